// Raw (non-differentiable) 1D transforms along one axis, dispatched to shaders/fft.wgsl. Complex
// tensors are float32 tensors whose last axis holds (re, im); `axis` counts the other (logical)
// axes. On GPUs lengths of factors 2, 3, 5 up to 1024 run in one shared-memory dispatch, longer ones
// in two (four-step); on CPU adapters each radix pass is a dispatch. Any other length goes through
// Bluestein's chirp-z algorithm: two power-of-small-primes FFTs of length >= 2n - 1.
import { context } from '../graph/context.js';
import { keep, type Tensor } from '../graph/tensor.js';
import { collapse, contiguousStrides } from '../graph/shape.js';
import { tensor } from './creation.js';
import { emit, grid1d, output } from './emit.js';
import { contiguous as rawContiguous } from './elementwise.js';
import { argError } from '../graph/options.js';
import { MAX_LENGTH, MAX_LINE, MAX_SMOOTH, type Plan, plan, runLength, type Step } from './fft-plan.js';
import fftWgsl from '../../shaders/fft.wgsl';
import { registerShader } from '../gpu/kernels.js';

registerShader('fft.wgsl', fftWgsl);

export interface AxisTransform {
  /** Logical axis (negative counts from the end). */
  axis: number;
  /** 'complex' (pair tensor), 'real', or 'hermitian' (a half spectrum, mirrored as conj(X[n - k])). */
  input: 'complex' | 'real' | 'hermitian';
  /** Transform length; the input is cropped or zero-padded to it (for 'hermitian': to n/2 + 1). */
  n: number;
  /** exp(+2 pi i jk / n) instead of exp(-2 pi i jk / n); no 1/n unless `scale` says so. */
  inverse: boolean;
  scale: number;
  /** Leading outputs kept (n, or n/2 + 1 for a half spectrum). */
  outLen: number;
  /** Keep only the real part (irfft). */
  outReal: boolean;
}

const F = {
  CONJ_READ: 1,
  CONJ_LOAD: 2,
  CONJ_STORE: 4,
  CONJ_WRITE: 8,
  IN_REAL: 16,
  IN_HERM: 32,
  OUT_REAL: 64,
  LOAD_ELEM: 128,
  STORE_ELEM: 256,
  BIG: 512,
  LMUL: 1024,
  SMUL: 2048,
  FIRST: 4096,
  LAST: 8192,
} as const;
/** Conjugations travel as signs in a uniform, not as kernel modes. */
const CONJ = F.CONJ_READ | F.CONJ_LOAD | F.CONJ_STORE | F.CONJ_WRITE;

export type FftPath = 'auto' | 'shared' | 'pass';
let path: FftPath = 'auto';
/**
 * Testing aid: force the shared-memory kernel ('shared', GPUs) or one dispatch per pass ('pass',
 * CPU adapters, which 'auto' picks when the adapter is software), so both run on any machine.
 */
export function setFftPath(p: FftPath): void {
  path = p;
}
const usePasses = (): boolean => path === 'pass' || (path === 'auto' && context().info.isSoftware);

/** A transform length `fn`'s `arg` asks for: a positive integer this device's kernel path supports. */
export function checkFftLength(n: unknown, fn: string, arg: string): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw argError(fn, arg, 'a positive integer length', n, RangeError);
  if (!runLength(n, !usePasses()))
    throw argError(fn, arg, `a length of at most ${MAX_LENGTH} (${MAX_SMOOTH} if its prime factors are 2, 3 and 5)`, n, RangeError);
  return n;
}

// Plans and their uploaded tables live as long as the device; keyed by length and kernel path.
const plans = new Map<string, { plan: Plan; table: Tensor; generation: number }>();

function planFor(n: number, fourStep: boolean): { plan: Plan; table: Tensor } {
  const gen = context().generation;
  const key = `${n}:${fourStep}`;
  let hit = plans.get(key);
  if (!hit || hit.generation !== gen) {
    const p = plan(n, fourStep);
    hit = { plan: p, table: keep(tensor(p.table)), generation: gen };
    plans.set(key, hit);
  }
  return hit;
}

/** Where a dispatch reads: a float offset, strides of the batch dims, and per-position strides. */
interface Side {
  off: number;
  bstride: number[];
  estride: number;
  pstride: number;
}

interface Pass {
  step: Step;
  lines: number;
  bshape: number[];
  posDim: number;
  inp: Side;
  out: Side;
  loadPos: [number, number];
  storePos: [number, number];
  flags: number;
  nlog: number;
  inLen: number;
  outLen: number;
  lmul: number;
  smul: number;
  big: { n: number; fine: number; coarse: number } | null;
  scale: number;
}

/** The load side of a whole transform (its first dispatch) and the store side (its last). */
type Load = Pick<Pass, 'inp' | 'flags' | 'nlog' | 'inLen' | 'lmul'>;
type Store = Pick<Pass, 'out' | 'flags' | 'outLen' | 'smul' | 'scale'>;

/**
 * One dispatch of `fft` (every pass of `ps.step` in shared memory) or, with `pass`, of `fft_pass`
 * (one pass of radix pass.r, after earlier passes whose radices multiply to pass.ns).
 */
function dispatch(x: Tensor, table: Tensor, y: Tensor, ps: Pass, label: string, pass?: { r: number; ns: number }): void {
  const { step } = ps;
  const lpw = Math.max(1, Math.min(Math.floor(MAX_LINE / step.n), ps.lines));
  const bshape = [...new Array<number>(4 - ps.bshape.length).fill(1), ...ps.bshape];
  const lead = 4 - ps.bshape.length;
  const pad4 = (v: number[]): number[] => [...new Array<number>(lead).fill(0), ...v];
  // Consecutive threads should touch consecutive addresses: along a line when positions are
  // adjacent, across lines when the fastest batch dim is.
  let flags = ps.flags;
  if (!pass && Math.abs(ps.inp.estride * ps.loadPos[1]) <= 2) flags |= F.LOAD_ELEM;
  if (!pass && Math.abs(ps.out.estride * ps.storePos[1]) <= 2) flags |= F.STORE_ELEM;
  const grid = pass ? grid1d((ps.lines * step.n) / pass.r) : context().scheduler.grid1d(Math.ceil(ps.lines / lpw), 1);
  const radix = pass ? [pass.r] : step.radices;
  emit({
    file: 'fft.wgsl',
    entry: pass ? 'fft_pass' : 'fft',
    label,
    overrides: pass ? { FLAGS: flags & ~CONJ, R: pass.r } : { UNIFORM_FLAGS: 1 },
    bind: { x: x.storageFor(label), tw: table.storageFor(label), y: y.storageFor(label) },
    uniforms: {
      n: step.n,
      lines: ps.lines,
      lpw,
      npass: radix.length,
      radix: [...radix, ...new Array<number>(16 - radix.length).fill(0)],
      ns: pass?.ns ?? 1,
      tw_line: step.tw,
      flags: pass ? 0 : flags & ~CONJ,
      nlog: ps.nlog,
      in_len: ps.inLen,
      out_len: ps.outLen,
      lmul: ps.lmul,
      smul: ps.smul,
      big_n: ps.big?.n ?? 1,
      big_fine: ps.big?.fine ?? 0,
      big_coarse: ps.big?.coarse ?? 0,
      pos_dim: ps.posDim < 0 ? 4 : lead + ps.posDim,
      bshape,
      in_bstride: pad4(ps.inp.bstride),
      out_bstride: pad4(ps.out.bstride),
      load_pos: ps.loadPos,
      store_pos: ps.storePos,
      in_off: ps.inp.off,
      in_estride: ps.inp.estride,
      in_pstride: ps.inp.pstride,
      out_off: ps.out.off,
      out_estride: ps.out.estride,
      scale: ps.scale,
      conj: [F.CONJ_READ, F.CONJ_LOAD, F.CONJ_STORE, F.CONJ_WRITE].map((f) => (flags & f ? -1 : 1)),
    },
    grid,
    bytes: 16 * ps.lines * step.n,
    flops: 5 * ps.lines * step.n * (pass ? Math.log2(pass.r) : Math.log2(step.n)),
  });
}

/** One transform along `spec.axis`; returns a new contiguous tensor. */
export function fftAxis(xIn: Tensor, spec: AxisTransform): Tensor {
  let x = xIn;
  const complexIn = spec.input !== 'real';
  const rank = complexIn ? x.rank - 1 : x.rank;
  const axis = spec.axis < 0 ? spec.axis + rank : spec.axis;
  const inLen = x.shape[axis]!;
  const logical = x.shape.slice(0, rank);
  const outShape = logical.map((d, i) => (i === axis ? spec.outLen : d));
  const passes = usePasses();
  const { plan: p, table } = planFor(spec.n, !passes);
  const y = output(spec.outReal ? outShape : [...outShape, 2], 'float32');
  if (y.size === 0) return y;
  const ystr = y.strides;
  const others = logical.map((_, i) => i).filter((i) => i !== axis);
  let batch = collapse(
    others.map((i) => logical[i]!),
    [others.map((i) => x.strides[i]!), others.map((i) => ystr[i]!)],
  );
  const copies: Tensor[] = [];
  if (batch.shape.length > 3) {
    // Views whose batch dims do not merge to three go through a copy (contiguous ones always merge).
    copies.push((x = rawContiguous(x)));
    batch = collapse(
      others.map((i) => logical[i]!),
      [others.map((i) => x.strides[i]!), others.map((i) => ystr[i]!)],
    );
  }
  const lines = batch.shape.reduce((a, b) => a * b, 1);
  const inSide = (extra: number[]): Side => ({
    off: x.offset,
    bstride: [...batch.strides[0]!, ...extra],
    estride: x.strides[axis]!,
    pstride: complexIn ? x.strides[rank]! : 0,
  });
  const outSide = (extra: number[]): Side => ({ off: 0, bstride: [...batch.strides[1]!, ...extra], estride: ystr[axis]!, pstride: 1 });
  const inFlags = (spec.input === 'real' ? F.IN_REAL : 0) | (spec.input === 'hermitian' ? F.IN_HERM : 0);
  const outFlags = spec.outReal ? F.OUT_REAL : 0;
  const load = { nlog: spec.n, inLen, lmul: 0 };
  const store = { smul: 0, scale: 1 };
  const label = `fft ${spec.inverse ? 'inverse ' : ''}${spec.input} n=${spec.n} x${lines}`;
  const m = p.m;
  // A scratch line layout [lines, m] for the stages between reading x and writing y.
  const scratch = (): Tensor => output([lines, m, 2], 'float32');
  const scratchSide = (extra: number[]): Side => ({
    off: 0,
    bstride: [...contiguousStrides(batch.shape).map((s) => s * 2 * m), ...extra],
    estride: 2,
    pstride: 1,
  });

  // A full forward FFT of length m from `src` (read by `first`) into `dst` (written by `last`);
  // `first` / `last` carry the load and store side of the whole transform.
  const run = (src: Tensor, dst: Tensor, first: Load, last: Store, inExtra: (s: number) => Side, outExtra: (s: number) => Side): void => {
    if (p.steps.length === 1) {
      const step = p.steps[0]!;
      const whole: Pass = {
        step,
        lines,
        bshape: batch.shape,
        posDim: -1,
        loadPos: [0, 1],
        storePos: [0, 1],
        big: null,
        inp: first.inp,
        out: last.out,
        flags: first.flags | last.flags,
        nlog: first.nlog,
        inLen: first.inLen,
        lmul: first.lmul,
        smul: last.smul,
        outLen: last.outLen,
        scale: last.scale,
      };
      if (!passes) return dispatch(src, table, dst, whole, label);
      // One dispatch per pass; the passes in between hand over through scratch lines [lines, m].
      const rs = step.radices.length > 0 ? step.radices : [1];
      let cur = src;
      let ns = 1;
      rs.forEach((r, i) => {
        const isLast = i === rs.length - 1;
        const out = isLast ? dst : scratch();
        const flags = (i === 0 ? first.flags | F.FIRST : 0) | (isLast ? last.flags | F.LAST : 0);
        dispatch(cur, table, out, { ...whole, flags }, `${label} (pass ${i + 1}/${rs.length})`, { r, ns });
        if (cur !== src) cur.dispose();
        cur = out;
        ns *= r;
      });
      return;
    }
    const [s1, s2] = p.steps as [Step, Step];
    const mid = scratch();
    const bshape1 = [...batch.shape, s2.n];
    dispatch(
      src,
      table,
      mid,
      {
        step: s1,
        lines: lines * s2.n,
        bshape: bshape1,
        posDim: bshape1.length - 1,
        loadPos: [1, s2.n],
        storePos: [1, s2.n],
        inp: inExtra(0),
        out: scratchSide([0]),
        flags: first.flags | F.BIG,
        nlog: first.nlog,
        inLen: first.inLen,
        lmul: first.lmul,
        smul: 0,
        outLen: m,
        scale: 1,
        big: { n: m, ...p.big! },
      },
      `${label} (1/2)`,
    );
    const bshape2 = [...batch.shape, s1.n];
    dispatch(
      mid,
      table,
      dst,
      {
        step: s2,
        lines: lines * s1.n,
        bshape: bshape2,
        posDim: bshape2.length - 1,
        loadPos: [s2.n, 1],
        storePos: [1, s1.n],
        inp: scratchSide([0]),
        out: outExtra(0),
        flags: last.flags,
        nlog: m,
        inLen: m,
        lmul: 0,
        smul: last.smul,
        outLen: last.outLen,
        scale: last.scale,
        big: null,
      },
      `${label} (2/2)`,
    );
    mid.dispose();
  };

  if (!p.bluestein) {
    const conj = spec.inverse ? F.CONJ_LOAD : 0;
    run(
      x,
      y,
      { ...load, inp: inSide([]), flags: inFlags | conj },
      { ...store, out: outSide([]), flags: outFlags | (spec.inverse ? F.CONJ_STORE : 0), outLen: spec.outLen, scale: spec.scale },
      (s) => inSide([s]),
      (s) => outSide([s]),
    );
  } else {
    // X_k = c_k sum_j (x_j c_j) conj(c_(k-j)), c_j = exp(-i pi j^2 / n): a circular convolution of
    // length m, done as conj(FFT(conj(FFT(x c) * vhat))) with vhat = FFT(conj c) / m from the plan.
    // An inverse transform conjugates x on the way in and the result on the way out.
    const { chirp, vhat } = p.bluestein;
    const a = scratch();
    run(
      x,
      a,
      { ...load, inp: inSide([]), flags: inFlags | F.LMUL | (spec.inverse ? F.CONJ_READ : 0), lmul: chirp },
      { ...store, out: scratchSide([]), flags: 0, outLen: m },
      (s) => inSide([s]),
      (s) => scratchSide([s]),
    );
    run(
      a,
      y,
      { ...load, inp: scratchSide([]), flags: F.LMUL | F.CONJ_LOAD, nlog: m, inLen: m, lmul: vhat },
      {
        ...store,
        out: outSide([]),
        flags: outFlags | F.CONJ_STORE | F.SMUL | (spec.inverse ? F.CONJ_WRITE : 0),
        smul: chirp,
        outLen: spec.outLen,
        scale: spec.scale,
      },
      (s) => scratchSide([s]),
      (s) => outSide([s]),
    );
    a.dispose();
  }
  for (const c of copies) c.dispose();
  return y;
}
