// Pooling and upsampling for [N, C, H, W] images (U-Net encoders and decoders), written in the
// differentiable ops so their gradients come from the ops' rules: pooling is a reshape into
// k x k windows and a reduction; bilinear upsampling is two matmuls with fixed interpolation
// matrices (PyTorch's align_corners = false convention).
import { argError, checkOptions, optionNames } from '../graph/options.js';
import type { Tensor } from '../graph/tensor.js';
import { tensor } from '../ops/creation.js';
import { checkTensor } from '../ops/emit.js';
import { matmul, max, mean, reshape, slice, transpose } from '../autodiff/ops.js';
import { Module } from './module.js';

function image(what: string, x: Tensor): [number, number, number, number] {
  checkTensor(x, what, 'x');
  if (x.rank !== 4) throw argError(what, 'x', 'a tensor [N, C, H, W]', x, Error);
  return x.shape as [number, number, number, number];
}

function windowSize(what: string, k: unknown, h: number, w: number): number {
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1) throw argError(what, 'kernelSize', 'a positive integer', k, RangeError);
  if (k > h || k > w) throw new RangeError(`tellus: ${what}: kernelSize ${k} is larger than the image (${h} x ${w})`);
  return k;
}

/** x cropped to whole k x k windows (PyTorch's floor mode drops the remainder) as [N, C, H/k, k, W/k, k]. */
function windows(x: Tensor, k: number): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [ho, wo] = [Math.floor(h / k), Math.floor(w / k)];
  const cropped = ho * k === h && wo * k === w ? x : slice(x, [null, null, [0, ho * k], [0, wo * k]]);
  return reshape(cropped, [n, c, ho, k, wo, k]);
}

/** Mean over non-overlapping kernelSize x kernelSize windows: [N, C, H, W] -> [N, C, H/k, W/k] (rounded down). */
export function avgPool2d(x: Tensor, kernelSize: number): Tensor {
  const what = 'avgPool2d(x, kernelSize)';
  const [, , h, w] = image(what, x);
  return mean(windows(x, windowSize(what, kernelSize, h, w)), [3, 5]);
}

/** Maximum over non-overlapping windows (ties share the gradient equally). */
export function maxPool2d(x: Tensor, kernelSize: number): Tensor {
  const what = 'maxPool2d(x, kernelSize)';
  const [, , h, w] = image(what, x);
  return max(windows(x, windowSize(what, kernelSize, h, w)), [3, 5]);
}

/**
 * The [out, n] matrix of 1-D linear interpolation from n samples to out = n * scale, with PyTorch's
 * align_corners = false: output i samples the input at (i + 0.5) / scale - 0.5, clamped to [0, n - 1].
 */
export function bilinearMatrix(n: number, out: number): Float32Array {
  const m = new Float32Array(out * n);
  const scale = out / n;
  for (let i = 0; i < out; i++) {
    const src = Math.min(Math.max((i + 0.5) / scale - 0.5, 0), n - 1);
    const i0 = Math.floor(src);
    const i1 = Math.min(i0 + 1, n - 1);
    const f = src - i0;
    m[i * n + i0]! += 1 - f;
    m[i * n + i1]! += f;
  }
  return m;
}

export interface UpsampleOptions {
  /** Integer scale factor along H and W (default 2). */
  scale?: number;
}
const UPSAMPLE_OPTIONS = optionNames<UpsampleOptions>()('scale');

/** Bilinear upsampling [N, C, H, W] -> [N, C, sH, sW]: rows then columns through interpolation matrices. */
export function upsampleBilinear2d(x: Tensor, opts: UpsampleOptions = {}): Tensor {
  const what = 'upsampleBilinear2d(x, opts)';
  const o = checkOptions(opts, UPSAMPLE_OPTIONS, what);
  const [n, c, h, w] = image(what, x);
  const s = o.scale ?? 2;
  if (typeof s !== 'number' || !Number.isInteger(s) || s < 1) throw argError(what, 'opts.scale', 'a positive integer', s, RangeError);
  const ah = tensor(bilinearMatrix(h, s * h), { shape: [s * h, h] });
  const awT = transpose(tensor(bilinearMatrix(w, s * w), { shape: [s * w, w] }));
  // Columns: [N*C*H, W] @ [W, sW]; rows: [sH, H] @ [N*C, H, sW] (the left matrix broadcasts).
  const cols = reshape(matmul(reshape(x, [n * c * h, w]), awT), [n * c, h, s * w]);
  return reshape(matmul(ah, cols), [n, c, s * h, s * w]);
}

/** Module forms, for Sequential. */
export class AvgPool2d extends Module {
  constructor(readonly kernelSize = 2) {
    super();
  }
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize);
  }
}

export class MaxPool2d extends Module {
  constructor(readonly kernelSize = 2) {
    super();
  }
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize);
  }
}

export class UpsampleBilinear2d extends Module {
  constructor(readonly scale = 2) {
    super();
  }
  forward(x: Tensor): Tensor {
    return upsampleBilinear2d(x, { scale: this.scale });
  }
}
