// The direct 2-D convolution as differentiable ops. The forward map and its two transposes are
// closed under VJPs, so gradients of any order work:
//   F(x, w) = conv2d               VJP g -> [A(g, w), G(x, g)]
//   A(g, w) = input gradient       VJP h -> [F(h, w), G(h, g)]
//   G(x, g) = weight gradient      VJP k -> [A(g, k), F(x, k)]
// (<h, A(g, w)> = <F(h, w), g> and <k, G(x, g)> = <F(x, k), g> = <A(g, k), x>.)
import type { Tensor } from '../graph/tensor.js';
import { type ConvGeometry, conv2dInputGradRaw, conv2dRaw, conv2dWeightGradRaw } from '../ops/conv.js';
import { record, save } from './tape.js';

export type { ConvGeometry } from '../ops/conv.js';

type T = Tensor;

/** conv2d(x [N, C, H, W], w [O, C, KH, KW]) -> [N, O, HO, WO], no bias; stride, padding and dilation in `geo`. */
export function conv2dDirect(x: T, w: T, geo: ConvGeometry): T {
  return record('conv2d', conv2dRaw(x, w, geo), [x, w], () => {
    const [sx, sw] = [save(x), save(w)];
    return (g) => [inputGrad(g, sw, sx.shape, geo), weightGrad(sx, g, sw.shape, geo)];
  });
}

function inputGrad(g: T, w: T, xShape: readonly number[], geo: ConvGeometry): T {
  return record('conv2dInputGrad', conv2dInputGradRaw(g, w, [xShape[2]!, xShape[3]!], geo), [g, w], () => {
    const [sg, sw] = [save(g), save(w)];
    return (h) => [conv2dDirect(h, sw, geo), weightGrad(h, sg, sw.shape, geo)];
  });
}

function weightGrad(x: T, g: T, wShape: readonly number[], geo: ConvGeometry): T {
  return record('conv2dWeightGrad', conv2dWeightGradRaw(x, g, [wShape[2]!, wShape[3]!], geo), [x, g], () => {
    const [sx, sg] = [save(x), save(g)];
    return (k) => [inputGrad(sg, k, sx.shape, geo), conv2dDirect(sx, k, geo)];
  });
}
