// Time loops of the 2D acoustic propagator on the GPU: forward (optionally keeping checkpoints),
// the exact adjoint with segment-wise recomputation, and Born modelling. Every loop records a few
// dispatches per step (stencil regions, injection) into the lazy graph; state lives in a few persistent buffers updated in place
// (u[t+1] overwrites u[t-1]), so a run of any length allocates nothing per step.
import type { Tensor } from '../../graph/tensor.js';
import { clone, sum } from '../../autodiff/ops.js';
import { empty, tensor, zeros } from '../../ops/creation.js';
import { emit, grid1d } from '../../ops/emit.js';
import type { Grid } from './grid.js';
import { registerShader } from '../../gpu/kernels.js';
import acousticWgsl from '../../../shaders/acoustic.wgsl';
import acousticBoxWgsl from '../../../shaders/acoustic-box.wgsl';
import acousticBandWgsl from '../../../shaders/acoustic-band.wgsl';

const FILE = 'acoustic.wgsl';
const BOX_FILE = 'acoustic-box.wgsl';
const BAND_FILE = 'acoustic-band.wgsl';
registerShader(FILE, acousticWgsl);
registerShader(BOX_FILE, acousticBoxWgsl);
registerShader(BAND_FILE, acousticBandWgsl);

/** Rows each invocation of the vec4 box kernel marches (acoustic-box.wgsl ZSEG). */
const BOX_ROWS = 16;
/** Rows a band invocation marches down (acoustic-band.wgsl ZSEG). */
const BAND_ROWS = 16;

/** The vec4 box kernel's entry and bindings for each stencil entry of acoustic.wgsl. */
const BOX_ENTRIES: Record<string, { entry: string; bind: string[] }> = {
  step: { entry: 'box_step', bind: ['w', 'u_cur', 'u_pn'] },
  step_lap: { entry: 'box_step_lap', bind: ['w', 'u_cur', 'u_pn', 'lap_out'] },
  born_step: { entry: 'box_born', bind: ['w', 'u_cur', 'u_pn', 'dw', 'lap_in'] },
  adjoint_step: { entry: 'box_adjoint', bind: ['w', 'u_cur', 'u_pn', 'lap_in', 'grad_w'] },
};

/** The interior box as vec4 columns (CPU adapters): one invocation per 4 columns and BOX_ROWS rows of a shot. */
function boxVec4(entry: string, bind: Record<string, Tensor>, g: Grid, label: string, extra: Record<string, number>): void {
  const spec = BOX_ENTRIES[entry]!;
  const { width, height } = g.split;
  const ncg = width / 4;
  const nseg = Math.ceil(height / BOX_ROWS);
  if (ncg * nseg + ncg >= 2 ** 22) throw new Error(`tellus: acoustic2d: ${ncg * nseg} box tasks per shot exceed the vec4 kernel's 2^22`);
  const o = g.overrides;
  const overrides: Record<string, number> = { R: g.R, ZSEG: BOX_ROWS, ...extra };
  for (let k = 0; k <= 4; k++) [overrides[`Z${k}`], overrides[`X${k}`]] = [o[`Z${k}`]!, o[`X${k}`]!];
  const n = width * height * g.nshot;
  emit({
    file: BOX_FILE,
    entry: spec.entry,
    overrides,
    bind: storagesOf(Object.fromEntries(spec.bind.map((k) => [k, bind[k]!]))),
    uniforms: {
      nzp: g.nzp,
      nxq: g.nxp / 4,
      nshot: g.nshot,
      bz0: g.params.bz0,
      bz1: g.params.bz1,
      bq0: g.params.bx0 / 4,
      ncg,
      nseg,
    },
    grid: [grid1d(ncg * nseg)[0], grid1d(ncg * nseg)[1], g.nshot],
    label: `${label} interior`,
    bytes: 4 * 4 * n,
    flops: n * (8 * g.R + 6),
  });
}

/** The vec4 band kernel's entry and extra bindings for each stencil entry of acoustic.wgsl. */
const BAND_ENTRIES: Record<string, { entry: string; bind: string[] }> = {
  step: { entry: 'band_step', bind: [] },
  step_lap: { entry: 'band_step_lap', bind: ['lap_out'] },
  born_step: { entry: 'band_born', bind: ['dw', 'lap_in'] },
  adjoint_step: { entry: 'band_adjoint', bind: ['lap_in', 'grad_w'] },
};

/**
 * Everything around the box as vec4s of a row (CPU adapters, acoustic-band.wgsl), in three
 * specializations: the rows above and below the box over the columns no x-PML term reaches (z terms
 * only), the same rows over the other columns (the corners: both), and the box's rows beside it (x terms only).
 */
function bandVec4(entry: string, bind: Record<string, Tensor>, g: Grid, label: string, extra: Record<string, number>): void {
  const spec = BAND_ENTRIES[entry]!;
  const p = g.params;
  const R = g.R;
  const [qa, qb] = [Math.floor(R / 4), Math.ceil((g.nxe - R) / 4)];
  // Columns whose vec4 and both neighbouring vec4s lie in [xin0, xin1): no x-PML term (forward or adjoint).
  const qm0 = Math.max(qa, Math.ceil((p.xin0 + 4) / 4));
  const qm1 = Math.min(qb, Math.floor((p.xin1 - 8) / 4) + 1);
  const [mid0, mid1] = qm0 < qm1 ? [qm0, qm1] : [qb, qb];
  const rows = { za: R, nza: p.bz0 - R, zb: p.bz1, nzb: g.nzp - R - p.bz1 };
  const height = p.bz1 - p.bz0;
  const boxRows = { za: p.bz0, nza: height, zb: p.bz1, nzb: 0 };
  const [bq0, bq1] = height > 0 ? [p.bx0 / 4, p.bx1 / 4] : [qb, qb];
  const names = ['w', 'prof', 'u_cur', 'u_pn', 'aux_old', 'aux_new', ...spec.bind];
  const part = (name: string, zr: typeof rows, qs: [number, number, number, number], zg: boolean, xg: boolean): void => {
    const [qa0, nqa, qb0, nqb] = qs;
    const segs = { nsega: Math.ceil(zr.nza / BAND_ROWS), nsegb: Math.ceil(zr.nzb / BAND_ROWS) };
    const perShot = (segs.nsega + segs.nsegb) * (nqa + nqb);
    if (perShot <= 0) return;
    // The shader divides by the column count in float32 (exact below 2^22); shots go on grid z.
    if (perShot + nqa + nqb >= 2 ** 22) throw new Error(`tellus: acoustic2d: ${perShot} band tasks per shot exceed the vec4 kernel's 2^22`);
    const [gx, gy] = grid1d(perShot);
    const n = 4 * (zr.nza + zr.nzb) * (nqa + nqb) * g.nshot;
    emit({
      file: BAND_FILE,
      entry: spec.entry,
      overrides: { ...g.overrides, ZG: zg ? 1 : 0, XG: xg ? 1 : 0, FS: zg && g.freeSurface ? 1 : 0, ZSEG: BAND_ROWS, ...extra },
      bind: storagesOf(Object.fromEntries(names.map((k) => [k, bind[k]!]))),
      uniforms: { nzp: g.nzp, nxq: g.nxp / 4, nshot: g.nshot, nxe: g.nxe, ...zr, qa: qa0, nqa, qb: qb0, nqb, ...segs },
      grid: [gx, gy, g.nshot],
      label: `${label} ${name}`,
      bytes: 4 * (zg && xg ? 12 : 8) * n,
      flops: n * (16 * R + 20),
    });
  };
  part('pml z', rows, [mid0, mid1 - mid0, qb, 0], true, false);
  part('pml corners', rows, [qa, mid0 - qa, mid1, qb - mid1], true, true);
  part('pml x', boxRows, [qa, bq0 - qa, bq1, qb - bq1], false, true);
}

/** Per-run constants on the GPU: PML profiles and cell indices (a dummy cell when there are none). A plain tree of tensors, so customVjp can save it. */
export interface Consts {
  prof: Tensor;
  srcLoc: Tensor;
  recLoc: Tensor;
  /** Receivers' absolute cell indices (shot * cells + cell), for the vec4 receiver kernels (a dummy when unused). */
  recAbs: Tensor;
}

export function uploadConsts(g: Grid): Consts {
  return {
    prof: tensor(g.prof),
    srcLoc: tensor(g.srcCells.length ? g.srcCells : new Int32Array(1)),
    recLoc: tensor(g.recCells.length ? g.recCells : new Int32Array(1)),
    recAbs: tensor(
      recVec4(g) ? Uint32Array.from(g.recCells, (cell, k) => Math.floor(k / g.nrec) * g.nzp * g.nxp + cell) : new Uint32Array(4),
    ),
  };
}

export function disposeConsts(c: Consts): void {
  for (const t of [c.prof, c.srcLoc, c.recLoc, c.recAbs]) t.dispose();
}

/** Working buffers: u[t] and u[t-1] (u[t+1] overwrites the latter), PML memory old and new. */
export interface State {
  u: [Tensor, Tensor];
  aux: [Tensor, Tensor];
}

/** What the backward pass needs to restart at a step: u[t], u[t-1] and the PML memory. */
export interface Checkpoint {
  u: Tensor;
  uPrev: Tensor;
  aux: Tensor;
}

const cells = (g: Grid) => g.nshot * g.nzp * g.nxp;

export function zeroState(g: Grid): State {
  const n = cells(g);
  return { u: [zeros([n]), zeros([n])], aux: [zeros([4 * n]), zeros([4 * n])] };
}

function disposeState(s: State): void {
  for (const t of [...s.u, ...s.aux]) t.dispose();
}

/**
 * One stencil pass over every inner cell of every shot, as up to four dispatches of the same entry,
 * one per region (acoustic.wgsl REGION): each compiles out the PML and free-surface branches that
 * cannot apply there, since CPU adapters execute masked branches and a single dispatch would make
 * every cell pay for all of them.
 */
function stencil(entry: string, bind: Record<string, Tensor>, g: Grid, label: string, extra: Record<string, number> = {}): void {
  const { width, height, rows, sides } = g.split;
  const cost = (n: number) => ({ bytes: 4 * 3 * n * g.nshot, flops: n * g.nshot * (8 * g.R + 6) });
  const plane = (w: number, h: number, region: number, name: string): void => {
    if (w > 0 && h > 0) emitOn(entry, bind, g.params, [Math.ceil(w / 64), h, g.nshot], g, `${label} ${name}`, cost(w * h), region, extra);
  };
  const linear = (n: number, region: number, name: string): void => {
    const groups = Math.ceil(n / 64);
    if (n > 0)
      emitOn(
        entry,
        bind,
        g.params,
        [Math.min(groups, 65535), Math.ceil(groups / 65535), g.nshot],
        g,
        `${label} ${name}`,
        cost(n),
        region,
        extra,
      );
  };
  if (g.vec4) {
    if (width > 0 && height > 0) boxVec4(entry, bind, g, label, extra);
    bandVec4(entry, bind, g, label, extra);
    return;
  }
  plane(width, height, 1, 'interior');
  plane(width, rows, 3, 'pml z');
  linear(height * sides, 4, 'pml x');
  linear(rows * sides, 2, 'pml corners');
}

/** One stencil step: u[t+1] into s.u[1] (over u[t-1]), new PML memory into s.aux[1]. */
function step(g: Grid, c: Consts, w: Tensor, s: State, lapOut: Tensor | null, label: string): void {
  const bind: Record<string, Tensor> = { w, prof: c.prof, u_cur: s.u[0], u_pn: s.u[1], aux_old: s.aux[0], aux_new: s.aux[1] };
  if (lapOut) bind.lap_out = lapOut;
  stencil(lapOut ? 'step_lap' : 'step', bind, g, label);
}

/** `region` selects the stencil's cells (acoustic.wgsl REGION: 1 box, 2 corners, 3 z strips, 4 x strips); other entries ignore it. */
function emitOn(
  entry: string,
  bind: Record<string, Tensor>,
  uniforms: Record<string, number | number[]>,
  grid: [number, number, number],
  g: Grid,
  label: string,
  cost: { bytes: number; flops: number },
  region = 2,
  extra: Record<string, number> = {},
): void {
  emit({
    file: FILE,
    entry,
    overrides: { ...g.overrides, REGION: region, ...extra },
    bind: storagesOf(bind),
    uniforms,
    grid,
    label,
    ...cost,
  });
}

/** The storages a dispatch binds, each named in the error if its tensor was disposed. */
function storagesOf(bind: Record<string, Tensor>): Record<string, ReturnType<Tensor['storageFor']>> {
  return Object.fromEntries(Object.entries(bind).map(([k, t]) => [k, t.storageFor(`acoustic2d: ${k}`)]));
}

function injectUniforms(g: Grid, t: number) {
  return { nshot: g.nshot, nsrc: g.nsrc, nrec: g.nrec, nt: g.nt, t, cells: g.nzp * g.nxp };
}

function small(g: Grid, entry: string, bind: Record<string, Tensor>, t: number, label: string): void {
  // One invocation per shot (sources, and receivers added in order), per source (their cotangents)
  // and per 4 receivers (acoustic.wgsl sample_receivers); 'adjoint_inject' loops over a shot's receivers.
  const perShot = ['inject', 'inject_keep', 'sample', 'adjoint_inject_each'].includes(entry) ? Math.ceil((g.nshot * g.nrec) / 4) : 0;
  const n = Math.max(g.nshot, g.nshot * g.nsrc, perShot);
  emitOn(entry, bind, injectUniforms(g, t), grid1d(n), g, label, { bytes: 8 * g.nshot * (g.nsrc + g.nrec), flops: 0 });
}

/** Whether the receivers run as vec4s in their own dispatch (acoustic.wgsl sample4): shots x receivers a multiple of 4. */
const recVec4 = (g: Grid): boolean => g.nrec > 0 && (g.nshot * g.nrec) % 4 === 0;

function emitRec4(g: Grid, entry: string, bind: Record<string, Tensor>, t: number, label: string): void {
  const n4 = (g.nshot * g.nrec) / 4;
  emitOn(entry, bind, injectUniforms(g, t), grid1d(n4), g, label, { bytes: 12 * g.nshot * g.nrec, flops: 0 });
}

/**
 * Receivers sample u[t] into row t of `rec`, sources add into u[t+1] (and their -f into du/dw when
 * `lap` is kept): one dispatch, or two when the receivers run as vec4s.
 */
function injectStep(g: Grid, c: Consts, w: Tensor, amps: Tensor, s: State, rec: Tensor, lap: Tensor | null, t: number): void {
  if (!recVec4(g)) {
    const bind: Record<string, Tensor> = { w, amps, u_cur: s.u[0], u_pn: s.u[1], src_loc: c.srcLoc, rec_loc: c.recLoc, rec };
    if (lap) bind.lap_out = lap;
    small(g, lap ? 'inject_keep' : 'inject', bind, t, 'acoustic2d.inject');
    return;
  }
  emitRec4(g, 'sample4', { u_cur: s.u[0], rec_abs4: c.recAbs, rec4: rec }, t, 'acoustic2d.sample');
  if (!g.nsrc) return;
  if (lap) small(g, 'inject_lap', { w, amps, u_pn: s.u[1], src_loc: c.srcLoc, lap_out: lap }, t, 'acoustic2d.sources');
  else small(g, 'sources', { w, amps, u_pn: s.u[1], src_loc: c.srcLoc }, t, 'acoustic2d.sources');
}

const swap = <T>(p: [T, T]): void => void p.reverse();

/** A [rows, cols] buffer transposed into a new [cols, rows] one (receivers: time-major in the loop, trace-major outside). */
function transposed(x: Tensor, rows: number, cols: number, shape: number[], g: Grid): Tensor {
  const out = empty(shape);
  if (rows % 4 === 0 && cols % 4 === 0) {
    // 4x4 blocks as vec4s (acoustic.wgsl transpose4).
    const quads = rows / 4;
    emitOn(
      'transpose4',
      { t_in4: x, t_out4: out },
      { rows, cols },
      [Math.ceil(cols / 4 / 64), Math.min(quads, 65535), Math.ceil(quads / 65535)],
      g,
      'acoustic2d.receivers_layout',
      { bytes: 8 * rows * cols, flops: 0 },
    );
    return out;
  }
  const blocks = Math.ceil(rows / 16);
  emitOn(
    'transpose',
    { t_in: x, t_out: out },
    { rows, cols },
    [Math.ceil(cols / 64), Math.min(blocks, 65535), Math.ceil(blocks / 65535)],
    g,
    'acoustic2d.receivers_layout',
    { bytes: 8 * rows * cols, flops: 0 },
  );
  return out;
}

/** Receivers recorded time-major by the loop, as [shot, rec, t]. */
function traces(recT: Tensor, g: Grid): Tensor {
  const out = transposed(recT, g.nt, g.nshot * g.nrec, [g.nshot, g.nrec, g.nt], g);
  recT.dispose();
  return out;
}

export interface ForwardResult {
  receivers: Tensor;
  state: State;
  /** The state at steps 0, k, 2k, ... (step 0 is the zero state, kept as null). */
  checkpoints: (Checkpoint | null)[];
  /** du[t+1]/dw of every step, kept instead of checkpoints when the whole run fits (k = nt). */
  laps: Tensor[] | null;
  snapshots: Tensor[];
}

/**
 * Runs `nt` steps from rest. With `keep`, clones the state every g.checkpointEvery steps for the
 * backward pass; with `snapshotEvery`, clones u[t] every that many steps (t = 0 excluded).
 */
export function forward(g: Grid, c: Consts, w: Tensor, amps: Tensor, opts: { keep?: boolean; snapshotEvery?: number } = {}): ForwardResult {
  const s = zeroState(g);
  const rec = g.nrec ? empty([g.nt, g.nshot * g.nrec]) : zeros([1]); // every sample is written
  const checkpoints: (Checkpoint | null)[] = [];
  const snapshots: Tensor[] = [];
  // When one segment spans the run, keep du/dw now: the backward pass then recomputes nothing.
  const laps = opts.keep && g.checkpointEvery >= g.nt ? ([] as Tensor[]) : null;
  for (let t = 0; t < g.nt; t++) {
    if (opts.keep && !laps && t % g.checkpointEvery === 0) {
      checkpoints.push(t === 0 ? null : { u: clone(s.u[0]), uPrev: clone(s.u[1]), aux: clone(s.aux[0]) });
    }
    if (laps) {
      const lap = empty([cells(g)]); // written at every inner cell, the only ones read
      step(g, c, w, s, lap, 'acoustic2d.step');
      injectStep(g, c, w, amps, s, rec, lap, t);
      laps.push(lap);
    } else {
      step(g, c, w, s, null, 'acoustic2d.step');
      injectStep(g, c, w, amps, s, rec, null, t);
    }
    swap(s.u);
    swap(s.aux);
    if (opts.snapshotEvery && (t + 1) % opts.snapshotEvery === 0) snapshots.push(clone(s.u[0]));
  }
  const receivers = g.nrec ? traces(rec, g) : (rec.dispose(), zeros([g.nshot, 0, g.nt]));
  return { receivers, state: s, checkpoints, laps, snapshots };
}

/** Restores a checkpoint into fresh working buffers (the checkpoint stays intact for reuse). */
function restore(g: Grid, ck: Checkpoint | null): State {
  if (!ck) return zeroState(g);
  // aux[1] must be zero outside the PML (only PML cells are ever written): start from zeros.
  return { u: [clone(ck.u), clone(ck.uPrev)], aux: [clone(ck.aux), zeros([4 * cells(g)])] };
}

/** Re-runs steps [t0, t1) from a checkpoint, returning du[t+1]/dw of each. */
function recompute(g: Grid, c: Consts, w: Tensor, amps: Tensor, ck: Checkpoint | null, t0: number, t1: number): Tensor[] {
  const s = restore(g, ck);
  const laps: Tensor[] = [];
  for (let t = t0; t < t1; t++) {
    const lap = empty([cells(g)]); // written at every inner cell, the only ones read
    step(g, c, w, s, lap, 'acoustic2d.recompute');
    small(g, 'inject_lap', { w, amps, u_pn: s.u[1], src_loc: c.srcLoc, lap_out: lap }, t, 'acoustic2d.recompute_inject');
    swap(s.u);
    swap(s.aux);
    laps.push(lap);
  }
  disposeState(s);
  return laps;
}

/**
 * Reverse pass: given the cotangent of the receivers [shot, rec, nt], returns the cotangents of
 * w (padded grid, summed over shots, or [shot, nzp, nxp] with `perShot`) and of the source amplitudes. Each checkpoint segment is
 * recomputed forward once, keeping du/dw of its steps, then walked backwards.
 */
export function adjoint(
  g: Grid,
  c: Consts,
  w: Tensor,
  amps: Tensor,
  resid: Tensor,
  checkpoints: (Checkpoint | null)[],
  stored: Tensor[] | null = null,
  perShot = false,
): { gradW: Tensor; gradAmps: Tensor } {
  const lam = zeroState(g);
  const gradWShots = zeros([g.nshot, g.nzp, g.nxp]);
  const gradAmps = empty([g.nshot, g.nsrc, g.nt]); // every sample is written
  const gAmps = g.nsrc ? gradAmps : zeros([1]);
  const r = g.nrec ? transposed(resid, g.nshot * g.nrec, g.nt, [g.nt, g.nshot * g.nrec], g) : zeros([1]);
  // Receivers on distinct cells (per shot) take one thread each; otherwise one thread per shot adds them in order.
  const injectAdjoint = g.recDistinct ? 'adjoint_inject_each' : 'adjoint_inject';
  const k = stored ? g.nt : g.checkpointEvery;
  for (let seg = Math.ceil(g.nt / k) - 1; seg >= 0; seg--) {
    const t0 = seg * k;
    const t1 = Math.min(t0 + k, g.nt);
    const laps: Tensor[] = stored ? [...stored] : recompute(g, c, w, amps, checkpoints[seg] ?? null, t0, t1);
    for (let t = t1 - 1; t >= t0; t--) {
      const lap = laps[t - t0]!;
      stencil(
        'adjoint_step',
        { w, prof: c.prof, u_cur: lam.u[0], u_pn: lam.u[1], aux_old: lam.aux[0], aux_new: lam.aux[1], lap_in: lap, grad_w: gradWShots },
        g,
        'acoustic2d.adjoint',
      );
      if (recVec4(g) && g.recDistinct) {
        if (g.nsrc)
          small(g, 'source_cotangents', { w, u_cur: lam.u[0], src_loc: c.srcLoc, grad_amps: gAmps }, t, 'acoustic2d.source_cotangents');
        emitRec4(g, 'adjoint_receivers4', { u_pn: lam.u[1], rec_abs4: c.recAbs, resid4: r }, t, 'acoustic2d.adjoint_receivers');
      } else {
        small(
          g,
          injectAdjoint,
          { w, u_cur: lam.u[0], u_pn: lam.u[1], src_loc: c.srcLoc, rec_loc: c.recLoc, resid: r, grad_amps: gAmps },
          t,
          'acoustic2d.adjoint_inject',
        );
      }
      swap(lam.u);
      swap(lam.aux);
      if (!stored) lap.dispose();
    }
  }
  disposeState(lam);
  r.dispose();
  if (gAmps !== gradAmps) gAmps.dispose();
  if (perShot) return { gradW: gradWShots, gradAmps };
  const gradW = sum(gradWShots, [0]);
  gradWShots.dispose();
  return { gradW, gradAmps };
}

/**
 * Born modelling: receivers of the field scattered by the perturbation dw of w, either one dw for
 * every shot (the padded grid) or one per shot ([shot, nzp, nxp], laid out like the wavefields).
 */
export function born(g: Grid, c: Consts, w: Tensor, amps: Tensor, dw: Tensor): Tensor {
  const n = cells(g);
  const extra: Record<string, number> = dw.size === n && g.nshot > 1 ? { DW_SHOT: 1 } : {};
  const bg = zeroState(g);
  const sc = zeroState(g);
  const rec = g.nrec ? empty([g.nt, g.nshot * g.nrec]) : zeros([1]);
  for (let t = 0; t < g.nt; t++) {
    const lap = empty([n]); // written at every inner cell, the only ones read
    step(g, c, w, bg, lap, 'born2d.background');
    small(g, 'inject_lap', { w, amps, u_pn: bg.u[1], src_loc: c.srcLoc, lap_out: lap }, t, 'born2d.background_inject');
    stencil(
      'born_step',
      { w, prof: c.prof, u_cur: sc.u[0], u_pn: sc.u[1], aux_old: sc.aux[0], aux_new: sc.aux[1], lap_in: lap, dw },
      g,
      'born2d.step',
      extra,
    );
    if (recVec4(g)) emitRec4(g, 'sample4', { u_cur: sc.u[0], rec_abs4: c.recAbs, rec4: rec }, t, 'born2d.sample');
    else small(g, 'sample', { u_cur: sc.u[0], rec_loc: c.recLoc, rec }, t, 'born2d.sample');
    for (const p of [bg.u, bg.aux, sc.u, sc.aux]) swap(p);
    lap.dispose();
  }
  disposeState(bg);
  disposeState(sc);
  return g.nrec ? traces(rec, g) : (rec.dispose(), zeros([g.nshot, 0, g.nt]));
}

/** Releases what a forward pass kept for a backward pass (checkpoints or du/dw of every step). */
export function disposeKept(r: Pick<ForwardResult, 'checkpoints' | 'laps'>): void {
  for (const ck of r.checkpoints) if (ck) for (const t of [ck.u, ck.uPrev, ck.aux]) t.dispose();
  for (const t of r.laps ?? []) t.dispose();
}
