// What invert needs from a forward problem (the structural `Simulation`) and the weighted data
// misfit phi_d = ||W (d(m) - dObs)||^2 built on it, W = diag(1 / std) (SimPEG's L2DataMisfit,
// no 1/2). Each call of the simulation returns a new tensor that the caller (invert) disposes.
import { type Tensor, tidy, keep } from '../../graph/tensor.js';
import { argError, argErrorText } from '../../graph/options.js';
import { tensor } from '../../ops/creation.js';
import { checkFloat, checkTensor } from '../../ops/emit.js';
import { min, mul, reshape, square, sub, sum } from '../../autodiff/ops.js';

/**
 * A forward problem d = F(m) with its Jacobian J = dF/dm at m, on flat models [nModel] and data
 * [nData]. Every method returns a new float32 tensor (the caller disposes it) and must not keep
 * its arguments.
 */
export interface Simulation {
  readonly nModel: number;
  readonly nData: number;
  /** Predicted data F(m), [nData]. */
  dpred(m: Tensor): Promise<Tensor>;
  /** J v, [nData], for v [nModel]. */
  Jvec(m: Tensor, v: Tensor): Promise<Tensor>;
  /** J^T w, [nModel], for w [nData]. */
  Jtvec(m: Tensor, w: Tensor): Promise<Tensor>;
  /**
   * diag(J^T diag(dataWeights)^2 J), [nModel] (SimPEG's getJtJdiag(m, W)); dataWeights [nData] is
   * 1 / std. Needed by sensitivity weighting; also the data part of the CG preconditioner. Declared
   * with m alone it returns diag(J^T J), which serves only when std is one number.
   */
  jtjDiagonal?(m: Tensor, dataWeights?: Tensor): Promise<Tensor>;
}

const WHAT = 'invert(sim, dObs, opts)';

/** Checks the structural type of `sim`; returns nModel and nData. */
export function checkSimulation(sim: unknown, what = WHAT): { nModel: number; nData: number } {
  if (sim === null || typeof sim !== 'object') throw argError(what, 'sim', 'an object { nModel, nData, dpred, Jvec, Jtvec }', sim);
  const s = sim as Record<string, unknown>;
  for (const k of ['nModel', 'nData'])
    if (!Number.isInteger(s[k]) || (s[k] as number) < 1) throw argError(what, `sim.${k}`, 'an integer >= 1', s[k], RangeError);
  for (const k of ['dpred', 'Jvec', 'Jtvec'])
    if (typeof s[k] !== 'function') throw argError(what, `sim.${k}`, `a function (the Simulation's ${k})`, s[k]);
  if (s.jtjDiagonal !== undefined && typeof s.jtjDiagonal !== 'function')
    throw argError(what, 'sim.jtjDiagonal', 'a function or undefined', s.jtjDiagonal);
  return { nModel: s.nModel as number, nData: s.nData as number };
}

/** Awaits a simulation call and checks its result: a float32 tensor with n elements, returned flat. */
export async function simCall(p: Promise<Tensor>, n: number, call: string, size: string, what = WHAT): Promise<Tensor> {
  const out = await p;
  checkTensor(out, what, `${call} (its result)`);
  if (out.dtype !== 'float32' || out.size !== n) {
    const e = argError(what, `${call} (its result)`, `a float32 tensor with ${size} = ${n} elements`, out, RangeError);
    out.dispose();
    throw e;
  }
  if (out.rank === 1) return out;
  const flat = reshape(out, [n]);
  out.dispose();
  return flat;
}

/** The data term: observed data, weights W = 1/std, and the misfit helpers. Owns its tensors. */
export class DataMisfit {
  readonly dObs: Tensor;
  /** W = 1 / std, [nData] (a tensor even for a scalar std, so jtjDiagonal gets one). */
  readonly weights: Tensor;
  readonly nData: number;

  private constructor(
    readonly sim: Simulation,
    dObs: Tensor,
    weights: Tensor,
    /** The std when it is one number for all data, else null. */
    readonly uniformStd: number | null,
  ) {
    this.nData = sim.nData;
    this.dObs = dObs;
    this.weights = weights;
  }

  /** Checks dObs and the uncertainty (std > 0; one read-back when std is a tensor). */
  static async create(sim: Simulation, dObs: unknown, uncertainty: unknown, what = WHAT): Promise<DataMisfit> {
    const n = sim.nData;
    checkTensor(dObs, what, 'dObs');
    checkFloat(dObs as Tensor, what, 'dObs');
    if ((dObs as Tensor).size !== n) throw argError(what, 'dObs', `a float32 tensor with sim.nData = ${n} elements`, dObs, RangeError);
    let weights: Tensor;
    let uniformStd: number | null = null;
    if (uncertainty === undefined || typeof uncertainty === 'number') {
      const std = (uniformStd = uncertainty ?? 1);
      if (!(Number.isFinite(std) && std > 0))
        throw argError(what, 'opts.uncertainty', 'a finite std > 0 (or a tensor of them)', std, RangeError);
      weights = tensor(new Float32Array(n).fill(1 / std));
    } else {
      const std = checkTensor(uncertainty, what, 'opts.uncertainty');
      checkFloat(std, what, 'opts.uncertainty');
      if (std.size !== n)
        throw argError(what, 'opts.uncertainty', `a number or a float32 tensor with sim.nData = ${n} elements`, std, RangeError);
      const lo = tidy(() => min(std));
      const smallest = await lo.item();
      lo.dispose();
      if (!(smallest > 0))
        throw argErrorText(what, 'opts.uncertainty', 'standard deviations that are all > 0', `a smallest entry of ${smallest}`, RangeError);
      weights = tidy(() => reshape(std, [n]).reciprocal());
    }
    return new DataMisfit(sim, keep(tidy(() => reshape(dObs as Tensor, [n]).add(0))), weights, uniformStd);
  }

  /** r = W (d - dObs) for predicted data d [nData]; and phi_d = |r|^2 as a scalar tensor. */
  residual(d: Tensor): { r: Tensor; phiD: Tensor } {
    return tidy(() => {
      const r = mul(sub(d, this.dObs), this.weights);
      return { r, phiD: sum(square(r)) };
    });
  }

  dispose(): void {
    this.dObs.dispose();
    this.weights.dispose();
  }
}
