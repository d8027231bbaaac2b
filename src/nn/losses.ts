// Losses, each a 0-d tensor built from public (differentiable) ops only, so the autodiff tape
// differentiates them like any user code. Shapes must match exactly (no silent broadcasting of predictions against
// targets, a classic source of wrong losses); only misfit weights broadcast.
import type { Tensor } from '../graph/tensor.js';
import { tidy } from '../graph/tensor.js';
import { fmt } from '../graph/shape.js';
import { argError } from '../graph/options.js';
import { checkFinite, checkFloat, checkTensor } from '../ops/emit.js';
// The differentiable public ops (the raw ones in ops/ are not recorded on the autodiff tape).
import { mean, minimum, reshape, sum } from '../autodiff/ops.js';

function pair(pred: unknown, target: unknown, what: string, names = ['pred', 'target']): [Tensor, Tensor] {
  const [na, nb] = names as [string, string];
  const a = checkTensor(pred, what, na);
  const b = checkTensor(target, what, nb);
  checkFloat(a, what, na);
  checkFloat(b, what, nb);
  if (a.rank !== b.rank || a.shape.some((d, i) => d !== b.shape[i]))
    throw argError(what, nb, `a tensor of shape ${fmt(a.shape)} (as ${na}; losses do not broadcast)`, b, Error);
  return [a, b];
}

/** Mean squared error: mean((pred - target)^2). */
export function mse(pred: Tensor, target: Tensor): Tensor {
  const [a, b] = pair(pred, target, 'mse(pred, target)');
  return tidy(() => mean(a.sub(b).square()));
}

/** Mean absolute error: mean(|pred - target|). */
export function l1(pred: Tensor, target: Tensor): Tensor {
  const [a, b] = pair(pred, target, 'l1(pred, target)');
  return tidy(() => mean(a.sub(b).abs()));
}

/**
 * Huber loss, averaged: 0.5 r^2 where |r| <= delta, delta (|r| - 0.5 delta) beyond (PyTorch's
 * HuberLoss). Written as q (|r| - q/2) with q = min(|r|, delta): one branch-free expression.
 */
export function huber(pred: Tensor, target: Tensor, delta = 1): Tensor {
  const [a, b] = pair(pred, target, 'huber(pred, target, delta)');
  if (checkFinite(delta, 'huber(pred, target, delta)', 'delta') <= 0)
    throw argError('huber(pred, target, delta)', 'delta', 'a number > 0', delta, RangeError);
  return tidy(() => {
    const r = a.sub(b).abs();
    const q = minimum(r, delta);
    return mean(q.mul(r.sub(q.mul(0.5))));
  });
}

/**
 * Relative L2 error, the FNO convention: for each sample along dim 0, ||pred - target||_2 /
 * ||target||_2 over all other dims, averaged over the batch. A sample whose target is all zeros gives
 * inf or NaN, as in the reference implementation.
 */
export function relativeL2(pred: Tensor, target: Tensor): Tensor {
  const [a, b] = pair(pred, target, 'relativeL2(pred, target)');
  if (a.rank < 1) throw argError('relativeL2(pred, target)', 'pred', 'a tensor of rank >= 1 (dim 0 is the batch)', a, Error);
  const batch = a.shape[0]!;
  const per = batch === 0 ? 0 : a.size / batch;
  return tidy(() => {
    const norm = (x: Tensor): Tensor => sum(reshape(x, [batch, per]).square(), 1).sqrt();
    return mean(norm(a.sub(b)).div(norm(b)));
  });
}

/**
 * Data misfit 0.5 * sum((w (d - dObs))^2), the usual objective of full-waveform inversion and
 * other least-squares inverse problems. `weights` (a tensor that broadcasts to d's shape, or a
 * number) is optional.
 */
export function weightedMisfit(d: Tensor, dObs: Tensor, weights?: Tensor | number): Tensor {
  const what = 'weightedMisfit(d, dObs, weights)';
  const [a, b] = pair(d, dObs, what, ['d', 'dObs']);
  if (typeof weights === 'number') checkFinite(weights, what, 'weights');
  else if (weights !== undefined) {
    const w = checkTensor(weights, what, 'weights');
    checkFloat(w, what, 'weights');
    const lead = a.rank - w.rank;
    if (lead < 0 || w.shape.some((n, i) => n !== 1 && n !== a.shape[lead + i]))
      throw argError(what, 'weights', `a tensor that broadcasts to d's shape ${fmt(a.shape)}`, w, Error);
  }
  return tidy(() => {
    const r = a.sub(b);
    const wr = weights === undefined ? r : r.mul(weights);
    return sum(wr.square()).mul(0.5);
  });
}
