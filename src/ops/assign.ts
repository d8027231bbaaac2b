// Copies between views (layout.wgsl assign): concat's parts, slice's adjoint and clone. Both sides
// one contiguous run become a copyBufferToBuffer node (a memcpy on CPU adapters).
import type { Tensor } from '../graph/tensor.js';
import { collapse } from '../graph/shape.js';
import { emit, grid1d, slots } from './emit.js';
import layoutWgsl from '../../shaders/layout.wgsl';
import { registerShader } from '../gpu/kernels.js';

registerShader('layout.wgsl', layoutWgsl);

/** Copies `src` into the view `dst` of a storage that other nodes may also write (concat). */
export function assignInto(src: Tensor, dst: Tensor, label: string): void {
  const c = collapse(src.shape, [src.strides, dst.strides]);
  const n = src.size;
  if (n === 0) return;
  const [ss, ds] = [c.strides[0]!, c.strides[1]!];
  // Rows of 4+ elements: four per invocation (one index decode for four; 2x on SwiftShader).
  const inner = c.shape.at(-1)!;
  const groups = inner >= 4 ? (n / inner) * Math.ceil(inner / 4) : 0;
  // Both sides one contiguous run: a buffer-to-buffer copy (a memcpy on CPU adapters; the kernel
  // below describes the equivalent dispatch).
  const run = c.shape.length === 1 && ss[0] === 1 && ds[0] === 1;
  emit({
    file: 'layout.wgsl',
    entry: groups ? 'assign_rows' : 'assign',
    label: run ? `${label} (copyBufferToBuffer)` : label,
    ...(run ? { copy: { src: 'src', dst: 'dst', srcOffset: 4 * src.offset, dstOffset: 4 * dst.offset, bytes: 4 * n } } : {}),
    bind: { src: src.storageFor(label), dst: dst.storageFor(label) },
    uniforms: {
      n: groups || n,
      rank: c.shape.length,
      offset_src: src.offset,
      offset_dst: dst.offset,
      shape: slots(c.shape),
      strides_src: slots(c.strides[0]!),
      strides_dst: slots(c.strides[1]!),
    },
    grid: grid1d(groups || n),
    bytes: 8 * n,
  });
}
