// Kernel registry: every hand-written WGSL entry point is reflected with wgsl_reflect once, so
// bind-group layouts come from the shader itself and each dispatch is checked by binding name and
// type before it reaches the driver. Pipelines are cached per (file, entry, override constants);
// shapes and scalars travel in uniforms and never reach the cache key.
import { WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';

export type DType = 'float32' | 'int32' | 'uint32';

export interface BindingInfo {
  name: string;
  binding: number;
  kind: 'uniform' | 'read' | 'read_write';
  /** Element type of a storage array ('f32', 'i32', 'u32', 'atomic'); u32 arrays hold raw 32-bit words of any dtype. */
  element: string;
}

export interface UniformMember {
  name: string;
  offset: number;
  /** 'f32' | 'u32' | 'i32' for scalars; for vectors and arrays of vectors, the scalar type and the number of slots. */
  scalar: 'f32' | 'u32' | 'i32';
  slots: number;
}

export interface Kernel {
  file: string;
  entry: string;
  module: GPUShaderModule;
  bindings: BindingInfo[];
  uniform: { binding: number; size: number; members: UniformMember[] } | null;
  overrides: Set<string>;
  workgroupSize: [number, number, number];
  layout: GPUBindGroupLayout;
  pipelines: Map<string, GPUComputePipeline>;
}

type ReflectType = { name: string; format?: ReflectType | null; count?: number; size?: number; members?: ReflectMember[] | null };
type ReflectMember = { name: string; offset: number; size: number; type: ReflectType };

function scalarOf(t: ReflectType): 'f32' | 'u32' | 'i32' {
  let s: ReflectType | null | undefined = t;
  while (s && s.format) s = s.format;
  const n = s?.name ?? t.name;
  if (n === 'f32' || n === 'u32' || n === 'i32') return n;
  throw new Error(`tellus: unsupported WGSL type ${t.name} in a binding (expected f32, i32, u32 or vectors/arrays of them)`);
}

function uniformMembers(t: ReflectType): UniformMember[] {
  return (t.members ?? []).map((m) => ({ name: m.name, offset: m.offset, scalar: scalarOf(m.type), slots: m.size / 4 }));
}

// Every kernel family registers its own WGSL here when its module loads (import the .wgsl as text,
// then registerShader), so this layer names no family; init() compiles all registered files.
const shaderSources = new Map<string, string>();

/** Registers a hand-written WGSL file (`file` as under shaders/) with its source text. */
export function registerShader(file: string, code: string): void {
  const prev = shaderSources.get(file);
  if (prev !== undefined && prev !== code)
    throw new Error(`tellus: registerShader(file, code): ${file} is already registered with different code`);
  shaderSources.set(file, code);
}

// A file whose source is partly generated (elementwise.wgsl's op table) gets a builder from the
// module above that owns the generated part; init() compiles what the builder returns.
const builders = new Map<string, (template: string) => string>();

/** Registers the builder that completes a registered shader's template before it compiles. */
export function generateShader(file: string, build: (template: string) => string): void {
  if (builders.has(file)) throw new Error(`tellus: generateShader(file, build): ${file} already has a builder`);
  builders.set(file, build);
}

const built = (file: string, code: string): string => builders.get(file)?.(code) ?? code;

/** The registered shader files as compiled (templates completed), in registration order. */
export function registeredShaders(): [file: string, code: string][] {
  return [...shaderSources].map(([file, code]) => [file, built(file, code)]);
}

export class KernelRegistry {
  private readonly kernels = new Map<string, Kernel>();
  private readonly modules = new Map<string, { module: GPUShaderModule; reflect: WgslReflect }>();
  private readonly sources = new Map<string, string>();
  /** Where each file lives, for error messages (built-ins are under shaders/). */
  private readonly paths = new Map<string, string>();

  constructor(private readonly device: GPUDevice) {}

  /** Registers a WGSL source file; its entry points become kernels named `${file}:${entry}`. */
  addSource(file: string, code: string, path = file): void {
    if (this.sources.has(file) && this.sources.get(file) !== code)
      throw new Error(`tellus: shader file ${file} registered twice with different code`);
    this.sources.set(file, code);
    this.paths.set(file, path);
  }

  /** Compiles every registered file and turns WGSL errors into messages that name the file and line. */
  async compileAll(): Promise<void> {
    const pending = [...this.sources.keys()].filter((f) => !this.modules.has(f));
    await Promise.all(pending.map((f) => this.compile(f)));
  }

  async compile(file: string): Promise<void> {
    const code = this.sources.get(file);
    if (code === undefined) throw new Error(`tellus: unknown shader file ${file}`);
    const path = this.paths.get(file) ?? file;
    let reflect: WgslReflect;
    try {
      reflect = new WgslReflect(code);
    } catch (e) {
      throw new Error(`tellus: WGSL parse error in ${path}: ${(e as Error).message}`);
    }
    // Inside an error scope, so a broken shader yields one clear exception instead of a console dump.
    this.device.pushErrorScope('validation');
    const module = this.device.createShaderModule({ code, label: file });
    const [info] = await Promise.all([module.getCompilationInfo(), this.device.popErrorScope()]);
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length > 0) {
      const lines = code.split('\n');
      const text = errors
        .map((m) => `${path}:${m.lineNum}:${m.linePos}: ${m.message}\n    ${lines[m.lineNum - 1]?.trim() ?? ''}`)
        .join('\n');
      throw new Error(`tellus: WGSL compile error\n${text}`);
    }
    this.modules.set(file, { module, reflect });
  }

  /**
   * A file registered after init() (its module loaded late) compiles on first use. Its compile
   * errors then surface through the scheduler's error scope instead of compileAll's message.
   */
  private compileLate(file: string): { module: GPUShaderModule; reflect: WgslReflect } {
    const template = shaderSources.get(file);
    if (template === undefined)
      throw new Error(`tellus: shader file ${file} is not registered (registerShader) or not compiled (was init() awaited?)`);
    const code = built(file, template);
    this.addSource(file, code, `shaders/${file}`);
    const mod = { module: this.device.createShaderModule({ code, label: file }), reflect: new WgslReflect(code) };
    this.modules.set(file, mod);
    return mod;
  }

  get(file: string, entry: string): Kernel {
    const key = `${file}:${entry}`;
    const hit = this.kernels.get(key);
    if (hit) return hit;
    const mod = this.modules.get(file) ?? this.compileLate(file);
    const ep = mod.reflect.entry.compute.find((e) => e.name === entry);
    if (!ep) throw new Error(`tellus: ${file} has no compute entry point '${entry}'`);

    const bindings: BindingInfo[] = [];
    let uniform: Kernel['uniform'] = null;
    for (const r of ep.resources) {
      if (r.group !== 0) throw new Error(`tellus: ${file} binds ${r.name} in group ${r.group}; kernels use group 0 only`);
      const type = r.type as unknown as ReflectType;
      if (r.resourceType === 0) {
        uniform = { binding: r.binding, size: type.size ?? 0, members: uniformMembers(type) };
        bindings.push({ name: r.name, binding: r.binding, kind: 'uniform', element: type.name });
      } else {
        // array<f32> and array<vec4<f32>> both hold f32 words; atomics hold raw u32 words.
        const element = type.format?.name === 'atomic' ? 'atomic' : scalarOf(type);
        bindings.push({ name: r.name, binding: r.binding, kind: r.access === 'read' ? 'read' : 'read_write', element });
      }
    }
    bindings.sort((a, b) => a.binding - b.binding);
    const layout = this.device.createBindGroupLayout({
      label: key,
      entries: bindings.map((b) => ({
        binding: b.binding,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: b.kind === 'uniform' ? 'uniform' : b.kind === 'read' ? 'read-only-storage' : 'storage' },
      })),
    });
    const ws = ep.workgroupSize as unknown as number[];
    const kernel: Kernel = {
      file,
      entry,
      module: mod.module,
      bindings,
      uniform,
      overrides: new Set(mod.reflect.overrides.map((o) => o.name)),
      workgroupSize: [ws[0] ?? 1, ws[1] ?? 1, ws[2] ?? 1],
      layout,
      pipelines: new Map(),
    };
    this.kernels.set(key, kernel);
    return kernel;
  }

  pipeline(kernel: Kernel, overrides: Record<string, number>): GPUComputePipeline {
    const names = Object.keys(overrides).sort();
    for (const n of names) {
      if (!kernel.overrides.has(n)) throw new Error(`tellus: ${kernel.file} has no override '${n}'`);
    }
    const key = names.map((n) => `${n}=${overrides[n]}`).join(',');
    let p = kernel.pipelines.get(key);
    if (!p) {
      p = this.device.createComputePipeline({
        label: `${kernel.file}:${kernel.entry}{${key}}`,
        layout: this.device.createPipelineLayout({ bindGroupLayouts: [kernel.layout] }),
        compute: { module: kernel.module, entryPoint: kernel.entry, constants: overrides },
      });
      kernel.pipelines.set(key, p);
    }
    return p;
  }

  /**
   * A variant of `kernel` whose `// <program>` ... `// </program>` section is replaced by `body`
   * (fused elementwise programs). It keeps the template's bindings and layout; cached by body.
   */
  generated(kernel: Kernel, body: string, overrides: Record<string, number>): GPUComputePipeline {
    const names = Object.keys(overrides).sort();
    const key = `${names.map((n) => `${n}=${overrides[n]}`).join(',')}\n${body}`;
    let p = kernel.pipelines.get(key);
    if (!p) {
      const template = this.sources.get(kernel.file)!;
      // The section inside this entry point's function (a template may hold several).
      const fn = template.indexOf(`fn ${kernel.entry}(`);
      const start = template.indexOf('// <program>', fn);
      const end = template.indexOf('// </program>', start);
      if (fn < 0 || start < 0 || end < 0) throw new Error(`tellus: ${kernel.file} has no // <program> section to generate into`);
      const code = `${template.slice(0, start)}// generated\n${body}\n  ${template.slice(end)}`;
      const module = this.device.createShaderModule({ code, label: `${kernel.file} (generated)` });
      p = this.device.createComputePipeline({
        label: `${kernel.file}:${kernel.entry} (generated)`,
        layout: this.device.createPipelineLayout({ bindGroupLayouts: [kernel.layout] }),
        compute: { module, entryPoint: kernel.entry, constants: overrides },
      });
      kernel.pipelines.set(key, p);
    }
    return p;
  }

  get pipelineCount(): number {
    let n = 0;
    for (const k of this.kernels.values()) n += k.pipelines.size;
    return n;
  }
}

export type UniformValues = Record<string, number | readonly number[]>;

/** Checks that `values` gives every uniform member, with no extras, the right length, and finite numbers. */
export function checkUniforms(kernel: Kernel, values: UniformValues, label: string): void {
  const where = `${kernel.file}:${kernel.entry} (${label})`;
  const members = kernel.uniform?.members ?? [];
  for (const m of members) {
    const v = values[m.name];
    if (v === undefined) throw new Error(`tellus: dispatch of ${where} is missing uniform '${m.name}'`);
    const arr = typeof v === 'number' ? [v] : v;
    if (arr.length > m.slots) throw new Error(`tellus: uniform '${m.name}' of ${where} holds ${m.slots} values, got ${arr.length}`);
    if (!arr.every((x) => typeof x === 'number' && Number.isFinite(x)))
      throw new TypeError(`tellus: uniform '${m.name}' of ${where} must be finite numbers, got ${String(v)}`);
  }
  for (const name of Object.keys(values)) {
    if (!members.some((m) => m.name === name)) throw new Error(`tellus: ${where} has no uniform '${name}'`);
  }
}

/** Writes checked `values` into `view` at `base` following the reflected struct layout. */
export function packUniforms(kernel: Kernel, values: UniformValues, view: DataView, base: number): void {
  for (const m of kernel.uniform?.members ?? []) {
    const v = values[m.name]!;
    const arr = typeof v === 'number' ? [v] : v;
    for (let i = 0; i < m.slots; i++) {
      const x = arr[i] ?? 0;
      const at = base + m.offset + 4 * i;
      if (m.scalar === 'f32') view.setFloat32(at, x, true);
      else if (m.scalar === 'i32') view.setInt32(at, x, true);
      else view.setUint32(at, x >>> 0, true);
    }
  }
}

const ELEMENT_OF: Record<DType, string> = { float32: 'f32', int32: 'i32', uint32: 'u32' };

/** Checks a storage binding's dtype against the array element type the shader declares. */
export function elementAccepts(element: string, dtype: DType): boolean {
  return element === 'u32' || element === 'atomic' || element === ELEMENT_OF[dtype];
}
