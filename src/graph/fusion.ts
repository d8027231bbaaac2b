// Elementwise fusion. Elementwise ops record a one-instruction description; at flush time chains
// of them are merged into one program when the intermediate is invisible (no tensor holds it,
// exactly one pending node reads it, and that node reads it element for element over the same
// shape). A program becomes the body of shaders/elementwise.wgsl's `run`: straight-line calls of
// its op functions (generated from the op table) with constant op codes. Fused intermediates never get a buffer.
import type { DType, Kernel } from '../gpu/kernels.js';
import { registerShader } from '../gpu/kernels.js';
import type { Node, Storage } from './scheduler.js';
import { collapse } from './shape.js';
import elementwiseWgsl from '../../shaders/elementwise.wgsl';

registerShader('elementwise.wgsl', elementwiseWgsl);

export const MAX_INPUTS = 6;
/** Longer chains are split: each piece compiles quickly and identical pieces share a pipeline. */
export const MAX_INSTRS = 64;
const MAX_RANK = 8;
/** Fewest elements for the vec4 form of a flat program (see lower). */
export const VEC4_MIN = 1 << 14;

export const K = { LOAD: 0, UNARY: 1, CAST: 2, BINARY: 3, BINARY_SCALAR: 4, WHERE: 5 } as const;

/** dtype codes of shaders/elementwise.wgsl (and the other kernels that take a DT override). */
export const DT_CODE: Record<DType, number> = { float32: 0, int32: 1, uint32: 2 };

export interface EwInput {
  storage: Storage;
  offset: number;
  /** Strides over the op's output shape (0 where broadcast). */
  strides: number[];
}

export interface EwOp {
  kind: number;
  op: number;
  dt: number;
  dt2: number;
  /** Scalar operand or parameter, as raw bits. */
  imm: number;
  name: string;
}

/** What an elementwise op records: out = op(inputs...) over `shape`. */
export interface Elementwise {
  shape: number[];
  inputs: EwInput[];
  op: EwOp;
  out: Storage;
}

interface Instr extends EwOp {
  /** LOAD: [input index]; others: SSA values (instruction indices). */
  args: number[];
}

interface Group {
  readonly shape: number[];
  inputs: EwInput[];
  instrs: Instr[];
  out: Storage;
  names: string[];
  /** Call site of the op that completes the group (profiling only). */
  site?: Error;
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/** Reads element i at element i: offset 0, row-major strides over `shape` (size-1 dims don't matter). */
function isIdentity(inp: EwInput, shape: readonly number[]): boolean {
  if (inp.offset !== 0) return false;
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && inp.strides[d] !== acc) return false;
    acc *= shape[d]!;
  }
  return true;
}

function sameInput(a: EwInput, b: EwInput): boolean {
  return a.storage === b.storage && a.offset === b.offset && a.strides.every((s, i) => s === b.strides[i]);
}

/** One SSA let per instruction (v<j> the value of instruction j). */
function instrLines(instrs: Instr[]): string[] {
  return instrs.map((ins, j) => {
    const [a, b, c] = ins.args.map((v) => `v${v}`);
    switch (ins.kind) {
      case K.LOAD:
        return `let v${j} = load(${ins.args[0]}u, index_of(${ins.args[0]}u, i));`;
      case K.UNARY:
        return `let v${j} = unary(${ins.op}u, ${ins.dt}u, ${a}, bitcast<f32>(imm(${j}u)));`;
      case K.CAST:
        return `let v${j} = cast_word(${a}, ${ins.dt}u, ${ins.dt2}u);`;
      case K.BINARY:
        return `let v${j} = binary(${ins.op}u, ${ins.dt}u, ${a}, ${b});`;
      case K.BINARY_SCALAR:
        return `let v${j} = binary(${ins.op}u, ${ins.dt}u, ${a}, imm(${j}u));`;
      default:
        return `let v${j} = select(${c}, ${b}, truthy(${a}, ${ins.dt2 === 1}));`;
    }
  });
}

/** The generated body of `run`: the lets, then the store. */
function body(instrs: Instr[]): string {
  return [...instrLines(instrs), `y[i] = v${instrs.length - 1};`].map((l) => `  ${l}`).join('\n');
}

/**
 * The vec4 body: input k read once as a vec4 (`vec`) or one broadcast word (`word`), then the
 * program once per component with its own SSA names, then one vec4 store.
 */
function body4(instrs: Instr[], reads: ('vec' | 'word')[], result = 'y4[i] ='): string {
  const lines = reads.map((r, k) => (r === 'vec' ? `let w${k} = vec_of(${k}u, i);` : `let w${k} = vec4<u32>(word_of(${k}u));`));
  const lane = instrLines(instrs);
  for (let c = 0; c < 4; c++) {
    lines.push(
      ...lane.map((l, j) =>
        instrs[j]!.kind === K.LOAD ? `let v${j}_${c} = w${instrs[j]!.args[0]}.${'xyzw'[c]};` : l.replace(/\bv(\d+)\b/g, `v$1_${c}`),
      ),
    );
  }
  const last = instrs.length - 1;
  lines.push(`${result} vec4<u32>(v${last}_0, v${last}_1, v${last}_2, v${last}_3);`);
  return lines.map((l) => `  ${l}`).join('\n');
}

export interface Lowering {
  /** The hand-written template; generated variants share its bindings and uniform layout. */
  kernel: Kernel;
  /** Its run_sum4 entry: a program's output summed instead of stored (fuseSum). */
  sumKernel: Kernel;
  grid: (n: number) => [number, number, number];
}

/**
 * How each input is read in the vec4 form, or null where the group has no vec4 form: the views
 * collapse to one dim, every input is unit-stride from a multiple of 4 or one broadcast word, and
 * the length is a multiple of 4.
 */
function vecReads(g: Group, c = collapsed(g)): ('vec' | 'word')[] | null {
  const n = g.shape.reduce((s, d) => s * d, 1);
  if (c.shape.length !== 1 || n % 4 !== 0) return null;
  const reads = g.inputs.map((inp, k) => (c.strides[k]![0] === 0 ? 'word' : c.strides[k]![0] === 1 && inp.offset % 4 === 0 ? 'vec' : null));
  return reads.every((r) => r !== null) ? reads : null;
}

/** The group's shape and input strides with mergeable dims merged. */
const collapsed = (g: Group): ReturnType<typeof collapse> =>
  collapse(
    g.shape,
    g.inputs.map((i) => i.strides),
  );

/** Input bindings of a program node: input k, or input 0 where the program has fewer. */
function inputBindings(g: Group): Record<string, Storage> {
  const bind: Record<string, Storage> = {};
  for (let k = 0; k < MAX_INPUTS; k++) bind[`in${k}`] = (g.inputs[k] ?? g.inputs[0]!).storage;
  return bind;
}

/**
 * A float sum's first pass (reduce.wgsl:reduce_thread_sum4) over the whole output of an invisible
 * program read nowhere else, as one run_sum4 node: the program's values go straight into the sum.
 * Null where the sum reads a view of it or the program has no vec4 form.
 */
function fuseSum(node: Node, g: Group, low: Lowering): Node | null {
  const u = node.uniforms as Record<string, number | number[]>;
  const n = g.shape.reduce((s, d) => s * d, 1);
  const [nOut, red, chunk, chunks] = [u.n_out, u.red_size, u.chunk, u.n_chunks] as number[];
  const rows = nOut! / chunks!;
  const rowStride = u.rank_out === 0 ? red : (u.strides_out as number[])[0];
  const reads = vecReads(g);
  if (reads === null || u.offset !== 0 || rowStride !== red || rows * red! !== n || u.rank_red !== 1) return null;
  return {
    kernel: low.sumKernel,
    overrides: {},
    bind: { ...inputBindings(g), y: node.bind.y! },
    uniforms: {
      n: nOut!,
      rank: 1,
      n_inputs: g.inputs.length,
      red4: red! / 4,
      chunk4: chunk! / 4,
      n_chunks: chunks!,
      scale: u.scale as number,
      shape: [n, 0, 0, 0, 0, 0, 0, 0],
      offsets: [...g.inputs.map((i) => i.offset), ...new Array<number>(MAX_RANK - g.inputs.length).fill(0)],
      strides: new Array<number>(MAX_INPUTS * MAX_RANK).fill(0),
      imms: g.instrs.map((i) => i.imm >>> 0),
    },
    body: body4(g.instrs, reads, 'let val ='),
    grid: node.grid,
    label: `${g.names.join('+')}+${node.label}`,
    site: node.site ?? g.site,
    bytes: 4 * (n * g.inputs.length + nOut!),
    flops: n * g.instrs.filter((i) => i.kind !== K.LOAD).length + n,
  };
}

/** Turns a group into a node for elementwise.wgsl:run with its generated body attached. */
function lower(g: Group, low: Lowering): Node {
  const n = g.shape.reduce((s, d) => s * d, 1);
  const bind: Record<string, Storage> = { y: g.out, ...inputBindings(g) };
  // Merged dims mean fewer divisions per element; when they merge to one dim (contiguous inputs,
  // broadcast scalars with stride 0, evenly strided views) the index walk is a multiply-add.
  const c = collapsed(g);
  const flat = c.shape.length <= 1;
  // Four elements per invocation where every input is unit-stride from a multiple of 4, or one
  // broadcast word, on large tensors: 2-3x the one-word loads on CPU adapters for 4M floats, but
  // ~25% slower for 1024 (a quarter of the workgroups, each four times longer: less to spread
  // over the CPU's threads).
  const reads = vecReads(g, c);
  const vec = reads !== null && n >= VEC4_MIN;
  const threads = vec ? n / 4 : n;
  const pad = (v: number[], len: number): number[] => [...v, ...new Array<number>(len - v.length).fill(0)];
  // 2-4 dims: shape and strides right-aligned in the first four slots, for the unrolled walk.
  const rank4 = !flat && c.shape.length <= 4;
  const align = (v: number[], fill: number): number[] => pad([...new Array<number>(4 - v.length).fill(fill), ...v], MAX_RANK);
  return {
    kernel: low.kernel,
    overrides: { FLAT: flat ? 1 : 0, RANK4: rank4 ? 1 : 0 },
    bind,
    uniforms: {
      n: threads,
      rank: c.shape.length,
      n_inputs: g.inputs.length,
      red4: 0,
      chunk4: 0,
      n_chunks: 0,
      scale: 0,
      shape: rank4 ? align(c.shape, 1) : pad(c.shape, MAX_RANK),
      offsets: pad(
        g.inputs.map((i) => i.offset),
        MAX_RANK,
      ),
      strides: c.strides.flatMap((st) => (rank4 ? align(st, 0) : pad(st, MAX_RANK))),
      imms: g.instrs.map((i) => i.imm >>> 0),
    },
    body: vec ? body4(g.instrs, reads) : body(g.instrs),
    grid: low.grid(threads),
    label: g.names.join('+'),
    site: g.site,
    bytes: 4 * n * (g.inputs.length + 1),
    flops: n * g.instrs.filter((i) => i.kind !== K.LOAD).length,
  };
}

/**
 * Rewrites a flush's node list: elementwise nodes become fused program nodes, other nodes pass
 * through in order. Adjusts storage use counts so un-materialized intermediates are never bound.
 */
export function fuseElementwise(nodes: Node[], low: Lowering): Node[] {
  if (!nodes.some((n) => n.ew)) return nodes;
  const readers = new Map<Storage, number>();
  for (const n of nodes) {
    const seen = new Set<Storage>();
    for (const b of n.kernel.bindings) if (b.kind === 'read' && n.bind[b.name]) seen.add(n.bind[b.name]!);
    if (n.ew) for (const i of n.ew.inputs) seen.add(i.storage);
    for (const s of seen) readers.set(s, (readers.get(s) ?? 0) + 1);
  }
  const out: Node[] = [];
  const open = new Map<Storage, Group>();
  const emit = (g: Group): void => {
    open.delete(g.out);
    const node = lower(g, low);
    for (const s of new Set(Object.values(node.bind))) s.uses++;
    out.push(node);
  };
  const emitReaders = (written: Set<Storage>): void => {
    for (const g of [...open.values()]) if (g.inputs.some((i) => written.has(i.storage))) emit(g);
  };

  for (const node of nodes) {
    const ew = node.ew;
    // The node's own pending uses are replaced by those of the nodes we emit for it.
    for (const s of new Set(Object.values(node.bind))) s.uses--;
    if (!ew) {
      // sum(program): the sum reads the program's values as it makes them.
      const x4 = node.kernel.file === 'reduce.wgsl' && node.kernel.entry === 'reduce_thread_sum4' ? node.bind.x4 : undefined;
      const src = x4 && x4.refs === 0 && readers.get(x4) === 1 ? open.get(x4) : undefined;
      const summed = src && fuseSum(node, src, low);
      if (summed) {
        open.delete(src.out);
        for (const s of new Set(Object.values(summed.bind))) s.uses++;
        out.push(summed);
        continue;
      }
      // A group must run before any other kernel that reads its output or writes it in place (an
      // optimizer step on a freshly computed parameter), and before one that overwrites its inputs.
      const touched = Object.values(node.bind);
      for (const s of touched) {
        const g = open.get(s);
        if (g) emit(g);
      }
      emitReaders(new Set(node.kernel.bindings.filter((b) => b.kind === 'read_write').map((b) => node.bind[b.name]!)));
      for (const s of new Set(Object.values(node.bind))) s.uses++;
      out.push(node);
      continue;
    }
    // Producers this node can absorb: invisible, read only here, element for element.
    let merged = ew.inputs.map((inp) => {
      const p = open.get(inp.storage);
      const ok = p && inp.storage.refs === 0 && readers.get(inp.storage) === 1 && sameShape(p.shape, ew.shape) && isIdentity(inp, ew.shape);
      return ok ? p : null;
    });
    const distinct = new Set(merged.filter((p): p is Group => p !== null));
    const loads = ew.inputs.filter((_, k) => !merged[k]);
    const projected: EwInput[] = [];
    for (const inp of [...[...distinct].flatMap((p) => p.inputs), ...loads])
      if (!projected.some((x) => sameInput(x, inp))) projected.push(inp);
    const projectedInputs = projected.length;
    const projectedInstrs = [...distinct].reduce((n, p) => n + p.instrs.length, ew.inputs.length + 1);
    if (projectedInputs > MAX_INPUTS || projectedInstrs > MAX_INSTRS) merged = merged.map(() => null);

    // The first absorbed producer is extended in place (a chain costs O(1) per op); others are appended.
    const first = merged.find((p): p is Group => p !== null);
    const g: Group = first ?? { shape: ew.shape, inputs: [], instrs: [], out: ew.out, names: [] };
    const inputIndex = (inp: EwInput): number => {
      const k = g.inputs.findIndex((x) => sameInput(x, inp));
      if (k >= 0) return k;
      g.inputs.push(inp);
      return g.inputs.length - 1;
    };
    const resultOf = new Map<Group, number>();
    if (first) {
      open.delete(first.out);
      resultOf.set(first, first.instrs.length - 1);
    }
    const values = ew.inputs.map((inp, k) => {
      const p = merged[k];
      if (p && !resultOf.has(p)) {
        open.delete(p.out);
        const base = g.instrs.length;
        for (const ins of p.instrs)
          g.instrs.push({ ...ins, args: ins.kind === K.LOAD ? [inputIndex(p.inputs[ins.args[0]!]!)] : ins.args.map((v) => v + base) });
        g.names.push(...p.names);
        resultOf.set(p, g.instrs.length - 1);
      }
      if (p) return resultOf.get(p)!;
      g.instrs.push({ kind: K.LOAD, op: 0, dt: 0, dt2: 0, imm: 0, name: 'load', args: [inputIndex(inp)] });
      return g.instrs.length - 1;
    });
    g.instrs.push({ ...ew.op, args: values });
    g.names.push(ew.op.name);
    g.site = node.site;
    g.out = ew.out;
    // Producers that were not merged must run before this group is emitted.
    for (const inp of g.inputs) {
      const p = open.get(inp.storage);
      if (p) emit(p);
    }
    open.set(ew.out, g);
  }
  for (const g of [...open.values()]) emit(g);
  return out;
}
