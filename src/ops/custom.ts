// User kernels: register a WGSL file and launch its entry points on tensors, with the same
// reflection-based checks, uniform packing and scheduling as Tellus's own kernels.
import { context } from '../graph/context.js';
import type { UniformValues } from '../gpu/kernels.js';
import type { Tensor } from '../graph/tensor.js';
import type { Storage } from '../graph/scheduler.js';
import { argError } from '../graph/options.js';
import { checkTensor, emit } from './emit.js';

/** Compiles a WGSL source; errors name `file` and the line. Entry points become launchable as (file, entry). */
export async function registerShader(file: string, code: string): Promise<void> {
  if (typeof file !== 'string') throw argError('registerShader(file, code)', 'file', 'a string', file);
  if (typeof code !== 'string') throw argError('registerShader(file, code)', 'code', 'a string', code);
  const k = context().kernels;
  k.addSource(file, code);
  await k.compile(file);
}

export interface Launch {
  file: string;
  entry: string;
  /** Tensors by binding name; outputs must be contiguous tensors the kernel fully writes. */
  bind: Record<string, Tensor>;
  uniforms?: UniformValues;
  overrides?: Record<string, number>;
  workgroups: [number, number?, number?];
  label?: string;
  bytes?: number;
  flops?: number;
}

export function launch(l: Launch): void {
  const bind: Record<string, Storage> = {};
  for (const [name, t] of Object.entries(l.bind))
    bind[name] = checkTensor(t, `launch(${l.file}:${l.entry})`, `bind.${name}`).storageFor(name);
  emit({
    file: l.file,
    entry: l.entry,
    overrides: l.overrides,
    bind,
    uniforms: l.uniforms ?? {},
    grid: [l.workgroups[0], l.workgroups[1] ?? 1, l.workgroups[2] ?? 1],
    label: l.label ?? l.entry,
    bytes: l.bytes,
    flops: l.flops,
  });
}
