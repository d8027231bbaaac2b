// Raw kernels of the direct 2-D convolution (shaders/conv.wgsl): the forward map and its two
// transposes, the input gradient and the weight gradient. NCHW layout, weight [O, C, KH, KW],
// PyTorch's cross-correlation with zero padding, stride and dilation. Inputs that are not
// contiguous are copied first; outputs are contiguous and fully written. The weight gradient sums
// the positions in chunks (a partial result per chunk, then a sum), so no invocation loops over
// more than CHUNK positions.
import type { Tensor } from '../graph/tensor.js';
import { fmt } from '../graph/shape.js';
import { argError } from '../graph/options.js';
import { checkTensor, emit, grid1d, output } from './emit.js';
import { contiguous } from './elementwise.js';
import { reshape } from './layout.js';
import { sum } from './reduce.js';
import convWgsl from '../../shaders/conv.wgsl';
import { registerShader } from '../gpu/kernels.js';

registerShader('conv.wgsl', convWgsl);

/** Stride, padding and dilation as (rows, columns) pairs. */
export interface ConvGeometry {
  stride: readonly [number, number];
  padding: readonly [number, number];
  dilation: readonly [number, number];
}

const CHUNK = 1024;

type Dims = [number, number, number, number];

function dims(t: Tensor, fn: string, arg: string, what: string): Dims {
  checkTensor(t, fn, arg);
  if (t.dtype !== 'float32' || t.rank !== 4) throw argError(fn, arg, `a float32 tensor ${what}`, t);
  return t.shape as Dims;
}

/** Output size along one axis. */
export const convOut = (n: number, k: number, s: number, p: number, d: number): number => Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;

function uniforms(x: Dims, o: number, ho: number, wo: number, kh: number, kw: number, geo: ConvGeometry) {
  return {
    n: x[0],
    c: x[1],
    h: x[2],
    w: x[3],
    o,
    ho,
    wo,
    kh,
    kw,
    sh: geo.stride[0],
    sw: geo.stride[1],
    ph: geo.padding[0],
    pw: geo.padding[1],
    dh: geo.dilation[0],
    dw: geo.dilation[1],
  };
}

function run(
  entry: string,
  label: string,
  aIn: Tensor,
  bIn: Tensor,
  outShape: number[],
  total: number,
  u: Record<string, number>,
  flops: number,
): Tensor {
  const a = contiguous(aIn);
  const b = contiguous(bIn);
  const y = output(outShape, 'float32');
  if (total > 0) {
    emit({
      file: 'conv.wgsl',
      entry,
      label,
      bind: { a: a.storageFor(`${label}: a`), b: b.storageFor(`${label}: b`), out: y.storageFor(label) },
      uniforms: { total, chunk: CHUNK, ...u },
      grid: grid1d(total),
      bytes: 4 * (a.size + b.size + y.size),
      flops,
    });
  }
  if (a !== aIn) a.dispose();
  if (b !== bIn) b.dispose();
  return y;
}

/** y [N, O, HO, WO] = conv2d(x [N, C, H, W], w [O, C, KH, KW]). */
export function conv2dRaw(x: Tensor, w: Tensor, geo: ConvGeometry): Tensor {
  const what = 'conv2d(x, w)';
  const xs = dims(x, what, 'x', '[N, C, H, W]');
  const [o, c, kh, kw] = dims(w, what, 'w', '[O, C, KH, KW]');
  if (c !== xs[1]) throw new Error(`tellus: ${what}: x ${fmt(x.shape)} has ${xs[1]} channels, w ${fmt(w.shape)} expects ${c}`);
  const ho = convOut(xs[2], kh, geo.stride[0], geo.padding[0], geo.dilation[0]);
  const wo = convOut(xs[3], kw, geo.stride[1], geo.padding[1], geo.dilation[1]);
  if (ho < 1 || wo < 1) throw new Error(`tellus: ${what}: no output positions for x ${fmt(x.shape)} and w ${fmt(w.shape)}`);
  const total = xs[0] * Math.ceil(o / 4) * ho * Math.ceil(wo / 4);
  const label = `conv2d ${c}->${o} ${kh}x${kw}`;
  return run(
    'forward',
    label,
    x,
    w,
    [xs[0], o, ho, wo],
    total,
    uniforms(xs, o, ho, wo, kh, kw, geo),
    2 * xs[0] * o * ho * wo * c * kh * kw,
  );
}

/** dx [N, C, H, W] = the transpose of conv2d(·, w) applied to g [N, O, HO, WO]; H, W from `inSize`. */
export function conv2dInputGradRaw(g: Tensor, w: Tensor, inSize: readonly [number, number], geo: ConvGeometry): Tensor {
  const what = 'conv2dInputGrad(g, w)';
  const [n, og, ho, wo] = dims(g, what, 'g', '[N, O, HO, WO]');
  const [o, c, kh, kw] = dims(w, what, 'w', '[O, C, KH, KW]');
  const [h, wd] = inSize;
  if (
    og !== o ||
    ho !== convOut(h, kh, geo.stride[0], geo.padding[0], geo.dilation[0]) ||
    wo !== convOut(wd, kw, geo.stride[1], geo.padding[1], geo.dilation[1])
  )
    throw new Error(`tellus: ${what}: g ${fmt(g.shape)} is not the output of w ${fmt(w.shape)} on a ${h}x${wd} input`);
  const total = n * Math.ceil(c / 4) * h * Math.ceil(wd / 4);
  const label = `conv2d input grad ${o}->${c} ${kh}x${kw}`;
  return run(
    'input_grad',
    label,
    g,
    w,
    [n, c, h, wd],
    total,
    uniforms([n, c, h, wd], o, ho, wo, kh, kw, geo),
    2 * n * o * ho * wo * c * kh * kw,
  );
}

/** dw [O, C, KH, KW] = sum over (n, r, q) of g[n, o, r, q] x[n, c, r sh + i dh - ph, q sw + j dw - pw]. */
export function conv2dWeightGradRaw(x: Tensor, g: Tensor, kernel: readonly [number, number], geo: ConvGeometry): Tensor {
  const what = 'conv2dWeightGrad(x, g)';
  const xs = dims(x, what, 'x', '[N, C, H, W]');
  const [n, o, ho, wo] = dims(g, what, 'g', '[N, O, HO, WO]');
  const [kh, kw] = kernel;
  if (
    n !== xs[0] ||
    ho !== convOut(xs[2], kh, geo.stride[0], geo.padding[0], geo.dilation[0]) ||
    wo !== convOut(xs[3], kw, geo.stride[1], geo.padding[1], geo.dilation[1])
  )
    throw new Error(`tellus: ${what}: g ${fmt(g.shape)} is not the output of a ${kh}x${kw} kernel on x ${fmt(x.shape)}`);
  const c = xs[1];
  const chunks = Math.max(1, Math.ceil((n * ho * wo) / CHUNK));
  const total = chunks * Math.ceil(o / 4) * Math.ceil(c / 4) * kh * kw;
  const label = `conv2d weight grad ${c}->${o} ${kh}x${kw}`;
  const part = run(
    'weight_grad',
    label,
    x,
    g,
    [chunks, o, c, kh, kw],
    total,
    uniforms(xs, o, ho, wo, kh, kw, geo),
    2 * n * o * ho * wo * c * kh * kw,
  );
  const dw = chunks === 1 ? reshape(part, [o, c, kh, kw]) : sum(part, 0);
  part.dispose();
  return dw;
}
