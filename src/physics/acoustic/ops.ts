// The 2D acoustic ops. acoustic2d is a custom differentiable primitive in w = v^2 dt^2 (padded
// into the PML by edge replication, with differentiable ops, so the chain to v is automatic) and in
// the source amplitudes: its VJP is the exact discrete adjoint of the time loop (propagate.ts), its
// JVP is Born modelling. born2d is linear in the perturbation, and its VJP is the same adjoint.
import type { Tensor } from '../../graph/tensor.js';
import { argError } from '../../graph/options.js';
import { fmt } from '../../graph/shape.js';
import { contiguous, expand, mul, reshape, slice, square, stack } from '../../autodiff/ops.js';
import { customVjp, noGrad, vjp } from '../../autodiff/transforms.js';
import { hostValues, zeros } from '../../ops/creation.js';
import { emit, grid1d } from '../../ops/emit.js';
import { context } from '../../graph/context.js';
import { registerStatusFlag } from '../../graph/scheduler.js';
import * as common from '../common/index.js';
import { ACOUSTIC2D_OPTIONS, type Acoustic2dOptions, backwardBytes, type Grid, padModel, paddedW, planGrid } from './grid.js';
import { adjoint, born, type Checkpoint, type Consts, disposeConsts, disposeKept, forward, uploadConsts } from './propagate.js';
import { type Accuracy, cflLimit } from './stencil.js';

interface Setup {
  g: Grid;
  amps: Tensor | null;
}

/** Checks `op`'s arguments (v, the options, the amplitudes) and plans its grid. */
function setup(v: Tensor, opts: Acoustic2dOptions, op: string): Setup {
  common.floatTensor(op, 'v', v);
  common.options(op, opts, ACOUSTIC2D_OPTIONS);
  const amps = opts.sourceAmplitudes === undefined ? null : common.floatTensor(op, 'sourceAmplitudes', opts.sourceAmplitudes);
  const host = hostValues(v);
  const g = planGrid(op, { shape: v.shape, host }, opts, amps?.shape ?? null, context().info.isSoftware);
  if (!host) guardVelocity(v, g.vmax, op);
  const a = amps ? hostValues(amps) : null;
  // A NaN amplitude would fill the whole wavefield with NaN: refuse it here, or on the device when only the GPU has the values.
  if (a) common.finiteValues(op, 'sourceAmplitudes', a, amps!.shape);
  else if (amps && amps.size > 0) guardFinite(amps, op, 'sourceAmplitudes');
  // The first source trace's band against the slowest velocity (only checkable with host values).
  if (a && host && g.nsrc > 0) common.warnResolution(op, a.subarray(0, g.nt), g.dt, host, Math.max(g.dx, g.dz));
  return { g, amps: amps && g.nsrc > 0 ? contiguous(amps) : null };
}

/** The status bit of each op's velocity guard: the message names the op the user called. */
const velocityFlag = (op: string): number =>
  registerStatusFlag(`${op}: the velocity holds a NaN, a value <= 0, or a value above maxVel (the CFL check and the PML assumed maxVel)`);

/** Device-side check of a velocity whose values the host does not know (see check_velocity). */
function guardVelocity(v: Tensor, vmax: number, op: string): void {
  noGrad(() => {
    const c = contiguous(v);
    emit({
      file: 'acoustic.wgsl',
      entry: 'check_velocity',
      overrides: { VELOCITY_STATUS_BIT: velocityFlag(op) },
      bind: { vel: c.storageFor(`${op}: v`), vstatus: context().scheduler.status },
      uniforms: { n: v.size, vmax },
      grid: grid1d(v.size),
      label: `${op}.check_velocity`,
      bytes: 4 * v.size,
    });
    if (c !== v) c.dispose();
  });
}

/** The status bit of a finite-values guard: the message names the op and the tensor. */
const finiteFlag = (op: string, name: string): number => registerStatusFlag(`${op}: ${name} holds a NaN or Inf`);

/** Device-side check that a float32 tensor the host cannot see holds no NaN or Inf (see check_finite). */
function guardFinite(t: Tensor, op: string, name: string): void {
  noGrad(() => {
    const c = contiguous(t);
    emit({
      file: 'acoustic.wgsl',
      entry: 'check_finite',
      overrides: { FINITE_STATUS_BIT: finiteFlag(op, name) },
      bind: { vel: c.storageFor(`${op}: ${name}`), vstatus: context().scheduler.status },
      uniforms: { n: t.size, vmax: 0 },
      grid: grid1d(t.size),
      label: `${op}.check_finite`,
      bytes: 4 * t.size,
    });
    if (c !== t) c.dispose();
  });
}

/** What acoustic2d's backward reads: its inputs, the constants, and the forward's checkpoints (or du/dw of every step). */
interface WaveSaved {
  w: Tensor;
  amps: Tensor;
  c: Consts;
  checkpoints: (Checkpoint | null)[];
  laps: Tensor[] | null;
}

/** The differentiable core in (w, amplitudes). Without sources (`hasAmps` false) amps is a one-cell dummy with no gradient. */
function waveOp(g: Grid, c: Consts, hasAmps: boolean): (w: Tensor, amps: Tensor) => Tensor {
  return customVjp<WaveSaved>(
    ({ needsBackward }, w, amps) => {
      // Checkpoints cost memory and copies: keep them only when a transform will run the adjoint.
      const r = forward(g, c, w, amps, { keep: needsBackward });
      return { out: r.receivers, saved: { w, amps, c, checkpoints: r.checkpoints, laps: r.laps } };
    },
    (gOut, { w, amps, c, checkpoints, laps }) => {
      const { gradW, gradAmps } = adjoint(g, c, w, amps, contiguous(gOut), checkpoints, laps);
      return [gradW, hasAmps ? gradAmps : (gradAmps.dispose(), null)];
    },
    {
      name: 'acoustic2d',
      // J times a tangent: Born modelling in w; the same propagator in the (linear) amplitudes.
      jvp: ([dw, da], { w, amps, c }) => (dw ? bornOp(g, c, w, amps)(dw) : waveOp(g, c, hasAmps)(w, da!)),
    },
  );
}

/** Born modelling as a differentiable op, linear in dw (the background w and amps are held fixed); dw [nzp, nxp] or per shot [shot, nzp, nxp]. */
function bornOp(g: Grid, c: Consts, w: Tensor, amps: Tensor): (dw: Tensor) => Tensor {
  return (dw) =>
    customVjp(
      // The backward runs after this op returns: it reads the save()d handles, not the caller's.
      (_, x) => ({ out: born(g, c, w, amps, x), saved: { w, amps, c } }),
      (gOut, saved) => {
        // J^T: the background is recomputed with checkpoints, then the adjoint images it (per shot for a per-shot dw).
        const r = forward(g, saved.c, saved.w, saved.amps, { keep: true });
        const { gradW, gradAmps } = adjoint(g, saved.c, saved.w, saved.amps, contiguous(gOut), r.checkpoints, r.laps, dw.rank === 3);
        for (const t of [...r.state.u, ...r.state.aux, r.receivers, gradAmps]) t.dispose();
        disposeKept(r);
        return [gradW];
      },
      { name: 'born2d', jvp: ([ddw], saved) => bornOp(g, saved.c, saved.w, saved.amps)(ddw!) },
    )(dw);
}

/**
 * Receiver data [shot, receiver, time] of the constant-density acoustic wave equation
 * (Deepwave's scalar conventions; docs/acoustic.md), differentiable in `v` and the amplitudes.
 */
export function acoustic2d(v: Tensor, opts: Acoustic2dOptions): Tensor {
  return model(v, opts, 'acoustic2d');
}

/** acoustic2d for `op` (which names itself in errors). */
function model(v: Tensor, opts: Acoustic2dOptions, op: string): Tensor {
  const { g, amps } = setup(v, opts, op);
  const c = uploadConsts(g);
  const w = paddedW(v, g);
  const a = amps ?? zeros([1]);
  try {
    return waveOp(g, c, amps !== null)(w, a);
  } finally {
    // Whatever the backward needs, the tape holds through its own handles.
    for (const t of amps ? [w] : [w, a]) t.dispose();
    disposeConsts(c);
  }
}

export interface Wavefield {
  receivers: Tensor;
  /** u after nt steps on the model grid, [shot, nz, nx]. */
  wavefield: Tensor;
  /** u every `snapshotEvery` steps, [shot, snapshot, nz, nx] (when asked for). */
  snapshots?: Tensor;
}

/** Receivers, the final wavefield and optional snapshots (not differentiable). */
export function acoustic2dWavefield(v: Tensor, opts: Acoustic2dOptions): Wavefield {
  const { g, amps } = setup(v, opts, 'acoustic2dWavefield');
  return noGrad(() => {
    const c = uploadConsts(g);
    const a = amps ?? zeros([1]);
    const w = paddedW(v, g);
    const every = opts.snapshotEvery;
    if (every !== undefined && (!Number.isInteger(every) || every < 1))
      throw argError('acoustic2dWavefield', 'snapshotEvery', 'a positive integer', every);
    const r = forward(g, c, w, a, { snapshotEvery: every });
    const interior = (u: Tensor): Tensor =>
      contiguous(slice(reshape(u, [g.nshot, g.nzp, g.nxp]), [null, [g.oz, g.oz + g.nz], [g.ox, g.ox + g.nx]]));
    const wavefield = interior(r.state.u[0]);
    const snaps = r.snapshots.map(interior);
    const snapshots = snaps.length ? stack(snaps, 1) : undefined;
    for (const t of [...r.state.u, ...r.state.aux, ...r.snapshots, ...snaps, w]) t.dispose();
    if (!amps) a.dispose();
    disposeConsts(c);
    return snapshots ? { receivers: r.receivers, wavefield, snapshots } : { receivers: r.receivers, wavefield };
  });
}

/** Born-modelled (single-scattering) receiver data for a velocity perturbation `dv` around `v0`. */
export function born2d(v0: Tensor, dv: Tensor, opts: Acoustic2dOptions): Tensor {
  return bornModel(v0, dv, opts, 'born2d');
}

function bornModel(v0: Tensor, dv: Tensor, opts: Acoustic2dOptions, op: string): Tensor {
  const { g, amps } = setup(v0, opts, op);
  common.floatTensor(op, 'dv', dv);
  const perShot = `${g.nshot},${v0.shape.join()}`;
  if (dv.shape.join() !== v0.shape.join() && dv.shape.join() !== perShot)
    throw argError(op, 'dv', `a tensor of shape ${fmt(v0.shape)} (as v0) or one per shot ${fmt([g.nshot, ...v0.shape])}`, dv, Error);
  const hdv = hostValues(dv);
  if (hdv) common.finiteValues(op, 'dv', hdv, dv.shape);
  else if (dv.size > 0) guardFinite(dv, op, 'dv');
  const c = uploadConsts(g);
  try {
    const w = noGrad(() => paddedW(v0, g));
    // dw = 2 v dv dt^2 on the padded grid: differentiable in dv, so the VJP reaches dv by the chain rule.
    const vp = noGrad(() => padModel(v0, g));
    const dw = mul(mul(padModel(dv, g), vp), 2 * g.dt * g.dt);
    vp.dispose();
    const a = amps ?? zeros([1]);
    const out = bornOp(g, c, w, a)(dw);
    for (const t of amps ? [w] : [w, a]) t.dispose();
    return out;
  } finally {
    disposeConsts(c);
  }
}

/** Reverse-time-migration image / FWI gradient: J^T data, with J the Jacobian of acoustic2d in v. */
export function rtm2d(v0: Tensor, data: Tensor, opts: Acoustic2dOptions): Tensor {
  return migrate(v0, data, opts, 'rtm2d');
}

function migrate(v0: Tensor, data: Tensor, opts: Acoustic2dOptions, op: string): Tensor {
  common.floatTensor(op, 'data', data);
  const [out, pull] = vjp((v: Tensor) => model(v, opts, op), v0);
  try {
    const shape = (out as Tensor).shape;
    if (data.shape.join() !== shape.join())
      throw argError(op, 'data', `a tensor of the receivers' shape ${fmt(shape)} ([shot, receiver, time])`, data, Error);
    // A NaN residual would turn the whole image into NaN.
    const host = hostValues(data);
    if (host) common.finiteValues(op, 'data', host, data.shape);
    else if (data.size > 0) guardFinite(data, op, 'data');
    return pull(data)[0]!;
  } finally {
    (out as Tensor).dispose();
    pull.dispose();
  }
}

/**
 * Per-shot RTM images [shot, nz, nx]: J_s^T d_s for each shot s, the images rtm2d sums. Not
 * differentiable (a building block for batched Jacobian products: directions ride the shot axis).
 */
export function rtm2dShots(v0: Tensor, data: Tensor, opts: Acoustic2dOptions): Tensor {
  const op = 'rtm2dShots';
  const { g, amps } = setup(v0, opts, op);
  common.floatTensor(op, 'data', data);
  const shape = [g.nshot, g.nrec, g.nt];
  if (data.shape.join() !== shape.join())
    throw argError(op, 'data', `a tensor of the receivers' shape ${fmt(shape)} ([shot, receiver, time])`, data, Error);
  const host = hostValues(data);
  if (host) common.finiteValues(op, 'data', host, data.shape);
  else if (data.size > 0) guardFinite(data, op, 'data');
  return noGrad(() => {
    const c = uploadConsts(g);
    const a = amps ?? zeros([1]);
    const w = paddedW(v0, g);
    const r = forward(g, c, w, a, { keep: true });
    const { gradW, gradAmps } = adjoint(g, c, w, a, contiguous(data), r.checkpoints, r.laps, true);
    for (const t of [...r.state.u, ...r.state.aux, r.receivers, gradAmps, w]) t.dispose();
    disposeKept(r);
    if (!amps) a.dispose();
    disposeConsts(c);
    // w = pad(v)^2 dt^2 per shot: the chain rule back to each shot's v (the padding's edge cells fold into the model's).
    const vs = expand(reshape(v0, [1, g.nz, g.nx]), [g.nshot, g.nz, g.nx]);
    const [, pull] = vjp((x: Tensor) => mul(square(padModel(x, g)), g.dt * g.dt), vs);
    const out = pull(gradW)[0]!;
    pull.dispose();
    gradW.dispose();
    return out;
  });
}

/** Gauss-Newton Hessian-vector product J^T J dv. */
export function gaussNewton2d(v0: Tensor, dv: Tensor, opts: Acoustic2dOptions): Tensor {
  const d = bornModel(v0, dv, opts, 'gaussNewton2d');
  try {
    return migrate(v0, d, opts, 'gaussNewton2d');
  } finally {
    d.dispose();
  }
}

export interface Acoustic2dPlan {
  cflLimit: number;
  checkpointEvery: number;
  /** Bytes the backward pass holds (checkpoints plus one segment of recomputed steps). */
  backwardBytes: number;
  paddedShape: [number, number];
}

/** What acoustic2d would do with these arguments: stability limit, checkpointing and memory. */
export function acoustic2dPlan(v: Tensor, opts: Acoustic2dOptions): Acoustic2dPlan {
  const { g } = setup(v, opts, 'acoustic2dPlan');
  return {
    cflLimit: cflLimit((2 * g.R) as Accuracy, g.dx, g.dz, g.vstable),
    checkpointEvery: g.checkpointEvery,
    backwardBytes: backwardBytes(g),
    paddedShape: [g.nzp, g.nxe],
  };
}
