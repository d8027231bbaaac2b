// Raw kernels of SpectralConv2d's fused mode truncation and channel mixing (shaders/spectral.wgsl).
// Spectra are complex [batch, channels, H, Wh] (float32 [..., 2]); weights complex [2, I, O, m1, m2]
// (block 0 for the rows 0..m1-1, block 1 for the rows H-m1..H-1). Inputs that are not contiguous
// are copied first; outputs are contiguous and fully written.
import type { Tensor } from '../graph/tensor.js';
import { fmt } from '../graph/shape.js';
import { argError } from '../graph/options.js';
import { checkTensor, emit, grid1d, output } from './emit.js';
import { contiguous } from './elementwise.js';
import spectralWgsl from '../../shaders/spectral.wgsl';
import { registerShader } from '../gpu/kernels.js';

registerShader('spectral.wgsl', spectralWgsl);

function dims5(t: Tensor, fn: string, arg: string): [number, number, number, number] {
  checkTensor(t, fn, arg);
  if (t.dtype !== 'float32' || t.rank !== 5 || t.shape[4] !== 2)
    throw argError(fn, arg, 'a complex [batch, channels, H, Wh] spectrum (float32 [..., 2])', t);
  return t.shape.slice(0, 4) as [number, number, number, number];
}

function weightDims(w: Tensor, fn: string, arg: string): [number, number, number, number] {
  checkTensor(w, fn, arg);
  if (w.dtype !== 'float32' || w.rank !== 6 || w.shape[0] !== 2 || w.shape[5] !== 2)
    throw argError(fn, arg, 'complex weights [2, in, out, m1, m2] (float32 [..., 2])', w);
  return w.shape.slice(1, 5) as [number, number, number, number];
}

/**
 * Forward (adjoint = false): y[b, o] = sum_i x[b, i] w[blk, i, o] on the kept modes, zero elsewhere;
 * x [B, I, H, Wh] -> [B, O, H, Wh]. Adjoint: y[b, i] = sum_o x[b, o] conj(w[blk, i, o]); x [B, O, H, Wh] -> [B, I, H, Wh].
 */
export function spectralMixRaw(xIn: Tensor, wIn: Tensor, adjoint: boolean): Tensor {
  const what = adjoint ? 'spectralMixAdjoint(g, w)' : 'spectralMix(x, w)';
  const [b, c, h, wh] = dims5(xIn, what, 'x');
  const [ni, no, m1, m2] = weightDims(wIn, what, 'w');
  const [cRed, cOut] = adjoint ? [no, ni] : [ni, no];
  if (c !== cRed) throw new Error(`tellus: ${what}: x has ${c} channels, the weights ${fmt(wIn.shape)} expect ${cRed}`);
  if (m1 > Math.floor(h / 2) || m2 > wh) throw new Error(`tellus: ${what}: modes ${m1}x${m2} do not fit a spectrum of ${h}x${wh}`);
  const x = contiguous(xIn);
  const w = contiguous(wIn);
  const y = output([b, cOut, h, wh, 2], 'float32');
  const n = b * cOut * h * wh;
  if (n > 0) {
    const wOut = 2 * m1 * m2; // float stride along the weights' out axis
    const wIn_ = no * wOut; // ... along their in axis
    emit({
      file: 'spectral.wgsl',
      entry: 'mix',
      label: adjoint ? 'spectral mix adjoint' : 'spectral mix',
      bind: { x: x.storageFor(`${what}: x`), w: w.storageFor(`${what}: w`), y: y.storageFor(what) },
      uniforms: {
        n,
        c_out: cOut,
        c_red: cRed,
        h,
        wh,
        m1,
        m2,
        w_red: adjoint ? wOut : wIn_,
        w_out: adjoint ? wIn_ : wOut,
        w_blk: ni * no * wOut,
        cw: adjoint ? -1 : 1,
      },
      grid: grid1d(n),
      bytes: 8 * (n + 2 * b * cRed * m1 * m2 * (1 + cOut)),
      flops: 8 * b * cOut * 2 * m1 * m2 * cRed,
    });
  }
  if (x !== xIn) x.dispose();
  if (w !== wIn) w.dispose();
  return y;
}

/** Weight gradient: gw[blk, i, o, r, k2] = sum_b conj(u[b, i, k1, k2]) v[b, o, k1, k2]; u [B, I, H, Wh], v [B, O, H, Wh]. */
export function spectralWeightGradRaw(uIn: Tensor, vIn: Tensor, m1: number, m2: number): Tensor {
  const what = 'spectralWeightGrad(u, v)';
  const [b, ni, h, wh] = dims5(uIn, what, 'u');
  const [b2, no, h2, wh2] = dims5(vIn, what, 'v');
  if (b !== b2 || h !== h2 || wh !== wh2)
    throw new Error(`tellus: ${what}: u ${fmt(uIn.shape)} and v ${fmt(vIn.shape)} differ in batch or spectrum size`);
  if (m1 > Math.floor(h / 2) || m2 > wh) throw new Error(`tellus: ${what}: modes ${m1}x${m2} do not fit a spectrum of ${h}x${wh}`);
  const u = contiguous(uIn);
  const v = contiguous(vIn);
  const gw = output([2, ni, no, m1, m2, 2], 'float32');
  const n = 2 * ni * no * m1 * m2;
  if (n > 0) {
    emit({
      file: 'spectral.wgsl',
      entry: 'wgrad',
      label: 'spectral weight grad',
      bind: { u: u.storageFor(`${what}: u`), v: v.storageFor(`${what}: v`), gw: gw.storageFor(what) },
      uniforms: { n, batch: b, ci: ni, co: no, h, wh, m1, m2 },
      grid: grid1d(n),
      bytes: 8 * (n + 2 * b * m1 * m2 * (ni + no)),
      flops: 8 * n * b,
    });
  }
  if (u !== uIn) u.dispose();
  if (v !== vIn) v.dispose();
  return gw;
}
