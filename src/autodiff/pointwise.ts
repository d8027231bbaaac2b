// Derivatives of a coordinate network at many points at once, the core of every PINN residual.
// Nested grad() re-runs the network for each derivative it is asked for: u_xx and u_tt written as
// grad(grad(u)) cost four forward passes and three first-derivative passes. Here one forward pass
// and one first-derivative pass, kept on a tape, serve every first derivative and each second
// derivative costs one more reverse pass over them (JAX users write the same with vjp of vjp).
import { keep, type Tensor } from '../graph/tensor.js';
import { fmt } from '../graph/shape.js';
import { argError, argErrorText, checkOptions, optionNames } from '../graph/options.js';
import { onesLike, tensor } from '../ops/creation.js';
import { reshape, slice } from './ops.js';
import { vjp } from './transforms.js';

export interface DerivativesOptions {
  /**
   * Second derivatives to return: an axis j for ∂²u/∂x_j², a pair [i, j] for ∂²u/∂x_i∂x_j. Each
   * distinct j costs one reverse pass. Default none.
   */
  second?: readonly (number | readonly [number, number])[];
}

export interface Derivatives {
  /** u = f(x), shape [P]. */
  u: Tensor;
  /** ∂u/∂x_j in column j, shape [P, d]. */
  grad: Tensor;
  /** One [P] tensor per entry of `second`, in its order. */
  second: Tensor[];
}

const OPTIONS = optionNames<DerivativesOptions>()('second');
const FN = 'derivatives(f, x, opts)';

/**
 * u, ∇u and chosen second derivatives of a pointwise function f: x [P, d] -> [P] or [P, 1], where
 * row i of the output depends on row i of x alone (a coordinate MLP; a batch norm across points
 * would break this, and the derivatives would silently mix rows). Differentiable: the results may
 * feed a loss whose gradient with respect to the network's parameters is taken outside.
 */
export function derivatives(f: (x: Tensor) => Tensor, x: Tensor, opts: DerivativesOptions = {}): Derivatives {
  if (typeof f !== 'function') throw argError(FN, 'f', 'a function', f);
  checkOptions(opts, OPTIONS, FN);
  if (x?.rank !== 2 || x.dtype !== 'float32') throw argError(FN, 'x', 'a float32 tensor [points, dims]', x);
  const [P, d] = x.shape as [number, number];
  const pairs = (opts.second ?? []).map((s, k): [number, number] => {
    const [i, j] = typeof s === 'number' ? [s, s] : Array.isArray(s) && s.length === 2 ? s : [NaN, NaN];
    for (const a of [i, j])
      if (!Number.isInteger(a) || a < 0 || a >= d)
        throw argError(FN, `second[${k}]`, `an axis in [0, ${d - 1}] or a pair of them (x has ${d} columns)`, s, RangeError);
    return [i, j];
  });
  let outShape: readonly number[] = [];
  // u leaves through a kept handle, not as a second output: a second output would need a (zero)
  // cotangent in every second-derivative pass, and zeros still flow back through the whole network.
  let u: Tensor | undefined;
  const [g, pull2] = vjp((y: Tensor) => {
    const [out, pull] = vjp(f, y);
    if (!(out && typeof out === 'object' && 'shape' in out)) throw argError(FN, "f's result", 'a Tensor', out);
    outShape = (out as Tensor).shape;
    if (!(outShape.length === 1 && outShape[0] === P) && !(outShape.length === 2 && outShape[0] === P && outShape[1] === 1)) {
      pull.dispose();
      throw argErrorText(FN, "f's result", `shape [${P}] or [${P}, 1] (one value per row of x)`, fmt(outShape), Error);
    }
    const [gy] = pull(onesLike(out as Tensor));
    pull.dispose();
    u = keep(out as Tensor);
    return gy!;
  }, x);
  const second: Tensor[] = new Array<Tensor>(pairs.length);
  try {
    for (const j of new Set(pairs.map(([, j]) => j))) {
      const e = tensor(
        Float32Array.from({ length: P * d }, (_, k) => (k % d === j ? 1 : 0)),
        { shape: [P, d] },
      );
      // Row i of the result is ∂/∂x (∂u_i/∂x_j) at point i: column i' gives ∂²u/∂x_i'∂x_j.
      const [h] = pull2(e);
      e.dispose();
      pairs.forEach(([i, jj], k) => {
        if (jj === j) second[k] = reshape(slice(h!, [null, i]), [P]);
      });
      h!.dispose();
    }
  } finally {
    pull2.dispose();
  }
  const uFlat = reshape(u!, [P]);
  u!.dispose();
  return { u: uFlat, grad: g as Tensor, second };
}
