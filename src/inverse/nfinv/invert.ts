// NFs-Inv (Xu & Heagy): the model on the active cells is a neural field m_a = f_w(gamma(X)) of the
// cell-centre coordinates, padding cells hold a fixed background, and Adam updates the weights w.
// As in the authors' code the data term reaches the network through the physics: the simulation
// returns g = J^T W^T W (d(m) - dObs), the gradient of phi_d / 2, and the network backpropagates
// the surrogate loss (1 - beta) (1/N) g^T m_a(w), whose gradient in w is (1 - beta) (1/N) J_w^T g.
// An optional smallness term beta (1/N) sum |m_a - m_ref| (or squared) uses beta = exp(-t / tau),
// t = 1, 2, ... the epoch; without it beta = 0. N is the number of active cells.
//
// One forward pass of the network per epoch (vjp), one dpred and one Jtvec; the pullback takes the
// combined cotangent. Read-backs: phi_d and phi_m every `logEvery` epochs (two scalars), nothing else.
import { type Tensor, keep, tidy } from '../../graph/tensor.js';
import { argError, argErrorText, checkOptions, optionNames } from '../../graph/options.js';
import { tensor } from '../../ops/creation.js';
import { checkFloat, checkTensor } from '../../ops/emit.js';
import { abs, add, mul, reshape, sign, square, stack, sub, sum } from '../../autodiff/ops.js';
import { type CsrMatrix, sparseMatrix, spmv } from '../../autodiff/sparse.js';
import { type Pullback, vjp } from '../../autodiff/transforms.js';
import { Adam } from '../../nn/optim.js';
import type { NamedTensors } from '../../nn/module.js';
import { type Simulation, DataMisfit, checkSimulation, simCall } from '../inversion/simulation.js';
import { NeuralField, activeMask } from './field.js';

export interface NfSmallness {
  /** Reference model: a number or a float32 tensor [nModel] (its active entries are used). */
  reference: number | Tensor;
  /** beta = exp(-epoch / tau). Default 800 (the authors' DC runs). */
  tau?: number;
  /** 'l1' (default, the authors'): (1/N) sum |m - m_ref|; 'l2': (1/N) sum (m - m_ref)^2. */
  norm?: 'l1' | 'l2';
}
const SMALLNESS_OPTIONS = optionNames<NfSmallness>()('reference', 'tau', 'norm');

export interface NfIteration {
  /** Epoch t (1-based); the numbers are those of the model before that epoch's Adam step. */
  epoch: number;
  /** phi_d = ||W (d - dObs)||^2 (no 1/2). */
  phiD: number;
  /** phi_d / nData: 1 when the data are fit to their standard deviations. */
  chi: number;
  beta: number;
  /** The smallness value (1/N) sum |m - m_ref| (or squared); 0 without a smallness term. */
  phiM: number;
  /** Seconds since the start, and the estimated seconds left. */
  elapsed: number;
  eta: number;
}

export interface NfInvertResult {
  /** The final model [nModel], background in the inactive cells (the caller owns it). */
  model: Tensor;
  /** The trained field (the one passed in, trained in place). */
  network: NeuralField;
  /** Every `logEvery`-th epoch, the first and the last. */
  history: NfIteration[];
  /** phi_d of the final model. */
  phiD: number;
}

export interface NfInvertOptions {
  /** The neural field to train (in place). */
  field: NeuralField;
  /** Its inputs: the active cells' coordinates [nActive, field.inputs] (NeuralField.coordinates). */
  coordinates: Tensor;
  /** Active cells (nModel entries, truthy = active, in the simulation's cell order). Default all. */
  active?: ArrayLike<boolean | number>;
  /** Values of the inactive (padding) cells: a number or a tensor [nModel]. Required when some cell is inactive. */
  background?: number | Tensor;
  /** Adam epochs. Default 1000. */
  epochs?: number;
  /** Adam learning rate. Default 1e-3. */
  lr?: number;
  /** Another optimizer over field.parameters() (e.g. tl.SGD, for checks); the caller owns it. Excludes lr. */
  optimizer?: { step(params: NamedTensors, grads: NamedTensors): void };
  /** Data standard deviations: a number or a tensor [nData]. Default 1. */
  uncertainty?: number | Tensor;
  /** Smallness term with beta = exp(-t / tau); absent: beta = 0 (no explicit regularization). */
  smallness?: NfSmallness;
  /** Read back phi_d (and phi_m) every this many epochs. Default 10. */
  logEvery?: number;
  /** Called at every logged epoch (awaited); `model` [nModel] is valid during the call only. */
  onIteration?: (info: NfIteration & { model: Tensor }) => void | Promise<void>;
}
const OPTIONS = optionNames<NfInvertOptions>()(
  'field',
  'coordinates',
  'active',
  'background',
  'epochs',
  'lr',
  'optimizer',
  'uncertainty',
  'smallness',
  'logEvery',
  'onIteration',
);
const WHAT = 'nfInvert(sim, dObs, opts)';

const posInt = (v: unknown, arg: string): number => {
  if (!Number.isInteger(v) || (v as number) < 1) throw argError(WHAT, arg, 'an integer >= 1', v, RangeError);
  return v as number;
};

/** A number, or a float32 tensor of n elements (returned flat), for values over the cells. */
function cellValues(v: unknown, n: number, arg: string): number | Tensor {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw argError(WHAT, arg, 'a finite number or a float32 tensor [nModel]', v, RangeError);
    return v;
  }
  checkTensor(v, WHAT, arg);
  checkFloat(v as Tensor, WHAT, arg);
  if ((v as Tensor).size !== n) throw argError(WHAT, arg, `a number or a float32 tensor with sim.nModel = ${n} elements`, v, RangeError);
  return v as Tensor;
}

/** Trains `opts.field` so that its model fits dObs through `sim`; see the file comment. */
export async function nfInvert(sim: Simulation, dObs: Tensor, opts: NfInvertOptions): Promise<NfInvertResult> {
  const { nModel, nData } = checkSimulation(sim, WHAT);
  if (opts === null || typeof opts !== 'object') throw argError(WHAT, 'opts', 'an object { field, coordinates, ... }', opts);
  checkOptions(opts, OPTIONS, WHAT);
  const field = opts.field;
  if (!(field instanceof NeuralField)) throw argError(WHAT, 'opts.field', 'a NeuralField', field);
  const mask = activeMask(opts.active, nModel, WHAT, 'opts.active');
  const index = Int32Array.from(Array.from(mask).flatMap((v, i) => (v ? [i] : [])));
  const nA = index.length;
  const X = checkTensor(opts.coordinates, WHAT, 'opts.coordinates');
  if (X.dtype !== 'float32' || X.rank !== 2 || X.shape[0] !== nA || X.shape[1] !== field.inputs)
    throw argError(WHAT, 'opts.coordinates', `a float32 tensor [${nA}, ${field.inputs}] (active cells x field inputs)`, X, Error);
  const epochs = posInt(opts.epochs ?? 1000, 'opts.epochs');
  const logEvery = posInt(opts.logEvery ?? 10, 'opts.logEvery');
  const lr = opts.lr ?? 1e-3;
  if (typeof lr !== 'number' || !Number.isFinite(lr) || lr <= 0) throw argError(WHAT, 'opts.lr', 'a finite number > 0', lr, RangeError);
  if (opts.optimizer !== undefined) {
    if (opts.optimizer === null || typeof opts.optimizer !== 'object' || typeof opts.optimizer.step !== 'function')
      throw argError(WHAT, 'opts.optimizer', 'an optimizer { step(params, grads) } (tl.Adam, tl.SGD, ...)', opts.optimizer);
    if (opts.lr !== undefined)
      throw argErrorText(WHAT, 'opts.lr', 'absent when opts.optimizer is given (set its rate there)', String(opts.lr), Error);
  }
  if (opts.onIteration !== undefined && typeof opts.onIteration !== 'function')
    throw argError(WHAT, 'opts.onIteration', 'a function', opts.onIteration);
  const allActive = nA === nModel;
  if (!allActive && opts.background === undefined)
    throw argErrorText(WHAT, 'opts.background', 'the value of the inactive cells (a number or a tensor [nModel])', 'undefined', Error);
  let tau = Infinity;
  let norm: 'l1' | 'l2' = 'l1';
  if (opts.smallness !== undefined) {
    const s = opts.smallness;
    if (s === null || typeof s !== 'object') throw argError(WHAT, 'opts.smallness', 'an object { reference, tau, norm }', s);
    checkOptions(s, SMALLNESS_OPTIONS, `${WHAT} smallness`);
    tau = s.tau ?? 800;
    if (typeof tau !== 'number' || !Number.isFinite(tau) || tau <= 0)
      throw argError(WHAT, 'opts.smallness.tau', 'a finite number > 0', tau, RangeError);
    norm = s.norm ?? 'l1';
    if (norm !== 'l1' && norm !== 'l2') throw argError(WHAT, 'opts.smallness.norm', "'l1' or 'l2'", norm, Error);
    if (s.reference === undefined)
      throw argErrorText(WHAT, 'opts.smallness.reference', 'a number or a float32 tensor [nModel]', 'undefined', Error);
  }

  // Everything owned below is released in `finally`.
  const owned: { dispose(): void }[] = [];
  const own = <T extends { dispose(): void }>(t: T): T => (owned.push(t), t);
  try {
    const misfit = own(await DataMisfit.create(sim, dObs, opts.uncertainty, WHAT));
    // Injection P [nModel, nActive] (m = P m_a + background off the active cells) and its transpose for g.
    let P: CsrMatrix | null = null;
    let fill: Tensor | null = null;
    if (!allActive) {
      P = own(
        sparseMatrix(nModel, nA, { rows: index, cols: Int32Array.from({ length: nA }, (_, k) => k), values: new Float64Array(nA).fill(1) }),
      );
      const bg = cellValues(opts.background, nModel, 'opts.background');
      const off = Float32Array.from(mask, (v) => 1 - v);
      fill = own(keep(tidy(() => (typeof bg === 'number' ? tensor(off.map((o) => o * bg)) : mul(reshape(bg, [nModel]), tensor(off))))));
    }
    let refA: number | Tensor = 0;
    if (opts.smallness !== undefined) {
      const ref = cellValues(opts.smallness.reference, nModel, 'opts.smallness.reference');
      refA =
        typeof ref === 'number'
          ? ref
          : own(keep(tidy(() => (P ? spmv(P.transpose(), reshape(ref, [nModel])) : reshape(ref, [nA]).add(0)))));
    }
    const full = (ma: Tensor): Tensor => (P ? add(spmv(P, ma), fill!) : ma);
    const names = Object.keys(field.parameters());
    const named = (ps: Tensor[]): NamedTensors => Object.fromEntries(names.map((k, i) => [k, ps[i]!]));
    const fieldModel = (...ps: Tensor[]): Tensor => reshape(field.call(named(ps), X), [nA]);

    const optimizer = opts.optimizer ?? own(new Adam({ lr }));
    const history: NfIteration[] = [];
    const t0 = performance.now();
    for (let t = 1; t <= epochs; t++) {
      const beta = Number.isFinite(tau) ? Math.exp(-t / tau) : 0;
      const params = field.parameters();
      const [ma, pull] = vjp(fieldModel, ...names.map((k) => params[k]!)) as [Tensor, Pullback];
      const temps: Tensor[] = [ma];
      try {
        const m = P ? tidy(() => full(ma)) : ma;
        if (m !== ma) temps.push(m);
        const d = await simCall(sim.dpred(m), nData, 'sim.dpred(m)', 'sim.nData', WHAT);
        temps.push(d);
        const { r, phiD } = misfit.residual(d);
        temps.push(r, phiD);
        const w = tidy(() => mul(r, misfit.weights));
        temps.push(w);
        const g = await simCall(sim.Jtvec(m, w), nModel, 'sim.Jtvec(m, w)', 'sim.nModel', WHAT);
        temps.push(g);
        const { cot, phiM } = tidy(() => {
          const ga = P ? spmv(P.transpose(), g) : g;
          const dm = sub(ma, refA);
          const pm = norm === 'l1' ? mul(sum(abs(dm)), 1 / nA) : mul(sum(square(dm)), 1 / nA);
          const data = mul(ga, (1 - beta) / nA);
          if (beta === 0) return { cot: data, phiM: pm };
          const reg = norm === 'l1' ? mul(sign(dm), beta / nA) : mul(dm, (2 * beta) / nA);
          return { cot: add(data, reg), phiM: pm };
        });
        temps.push(cot, phiM);
        if (t % logEvery === 0 || t === 1 || t === epochs) {
          const packed = tidy(() => stack([reshape(phiD, [1]), reshape(phiM, [1])]));
          const [pd, pm] = Array.from(await packed.data());
          packed.dispose();
          if (!Number.isFinite(pd) || !Number.isFinite(pm))
            throw new Error(
              `tellus: ${WHAT}: the misfit became non-finite by epoch ${t} (phi_d ${pd}, phi_m ${pm}); lower opts.lr or check the simulation`,
            );
          const elapsed = (performance.now() - t0) / 1000;
          const info: NfIteration = { epoch: t, phiD: pd!, chi: pd! / nData, beta, phiM: pm!, elapsed, eta: (elapsed / t) * (epochs - t) };
          history.push(info);
          await opts.onIteration?.({ ...info, model: m });
        }
        const grads = pull(cot);
        temps.push(...grads);
        optimizer.step(params, named(grads));
      } finally {
        pull.dispose();
        for (const x of temps) x.dispose();
      }
    }
    const model = tidy(() => full(fieldModel(...names.map((k) => field.parameters()[k]!))));
    const d = await simCall(sim.dpred(model), nData, 'sim.dpred(m)', 'sim.nData', WHAT);
    const { r, phiD } = misfit.residual(d);
    const phi = await phiD.item();
    [d, r, phiD].forEach((x) => x.dispose());
    return { model, network: field, history, phiD: phi };
  } finally {
    for (const o of owned.reverse()) o.dispose();
  }
}
