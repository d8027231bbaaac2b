// 2.5D DC resistivity simulation on a tensor mesh with m = log(sigma) per cell, in the structural
// Simulation shape the inversion toolkit takes: { nModel, nData, dpred, Jvec, Jtvec, jtjDiagonal }.
// Every solve is one batched PCG (Jacobi) over all sources x all wavenumbers. Sensitivities:
//   J v   = -P sum_k g_k A_k^-1 (d(A_k u_k)/dm v)        (tl.jvp of the matvec in m)
//   J^T w = -sum_k (d(A_k u_k)/dm)^T A_k^-1 (g_k P^T w)  (tl.vjp of the matvec in m; A_k symmetric)
// The forward fields of the last m are cached, so J v / J^T w at that m cost one batched solve each.
// diag(J^T W^2 J) forms J explicitly from pole fields at every distinct electrode (reciprocity:
// datum i's adjoint field is the pole field of M minus that of N), one batched solve of
// nElectrodes x nKy right-hand sides instead of one per datum; `storeJ` keeps that J and then
// uses it for J v and J^T w too (SimPEG's storeJ).
import * as ops from '../../autodiff/ops.js';
import { type CsrMatrix, sparseMatrix, spmv } from '../../autodiff/sparse.js';
import { jvp, vjp } from '../../autodiff/transforms.js';
import { argError, argErrorText, checkOptions, optionNames } from '../../graph/options.js';
import { type Tensor, tidy } from '../../graph/tensor.js';
import { tensor } from '../../ops/creation.js';
import { pcg } from '../linalg/pcg.js';
import { multigridPreconditioner } from '../linalg/multigrid.js';
import { floatTensor } from '../common/validate.js';
import { TensorMesh2d } from '../mesh/tensor.js';
import { applyDc, applyWith, dcCoefficients, dcMatrix, dcOperator, electrodeWeights, jacobiDc, type DcOperator } from './operator.js';
import { kyQuadrature, type KyQuadrature } from './quadrature.js';
import { checkSurvey, geometricFactors, type DcSurvey, type Electrode } from './survey.js';

export interface DcSimulationOptions {
  survey: DcSurvey;
  /** Data as the voltage V_MN for 1 A ('volts', default) or apparent resistivity V / G (ohm-m). */
  data?: 'volts' | 'apparent-resistivity';
  /** Wavenumbers of the ky quadrature (>= 3). Default 11. */
  nKy?: number;
  /** PCG relative residual per right-hand side. Default 1e-6 (about the float32 floor). */
  tol?: number;
  /** PCG iteration cap; a solve that has not converged by then throws. Default 5000. */
  maxIterations?: number;
  /** Keep J [nData, nCells] (formed from pole fields) and use it for J v and J^T w. Default false. */
  storeJ?: boolean;
  /**
   * 'jacobi' (default): one PCG over every wavenumber and source, matrix-free. 'multigrid': per
   * wavenumber, A assembled on the host and a smoothed-aggregation V-cycle (tl.multigridPreconditioner)
   * as the preconditioner: ~10x fewer iterations (bench/dc.ts), a host set-up per model and ky.
   */
  preconditioner?: 'jacobi' | 'multigrid';
}
const SIM_OPTIONS = optionNames<DcSimulationOptions>()('survey', 'data', 'nKy', 'tol', 'maxIterations', 'storeJ', 'preconditioner');
const OP = 'dcSimulation2d';

export interface DcSolveStats {
  /** Right-hand sides, PCG iterations, the worst final relative residual, wall seconds. */
  rhs: number;
  iterations: number;
  relativeResidual: number;
  seconds: number;
}

/** Dense [rows, nE] combination of electrode pole fields: +1 at `plus`, -1 at `minus` (null: none). */
function combination(pairs: [number, number | null][], nE: number): Tensor {
  const s = new Float32Array(pairs.length * nE);
  pairs.forEach(([p, q], r) => {
    s[r * nE + p] = 1;
    if (q !== null) s[r * nE + q] = -1;
  });
  return tensor(s, { shape: [pairs.length, nE] });
}

export class DcSimulation2d {
  readonly nModel: number;
  readonly nData: number;
  readonly nSources: number;
  readonly mesh: TensorMesh2d;
  readonly survey: DcSurvey;
  readonly quadrature: KyQuadrature;
  /** Half-space geometric factor per datum (V per ohm-m for 1 A). */
  readonly geometricFactors: Float64Array;
  readonly dataType: 'volts' | 'apparent-resistivity';
  readonly storeJ: boolean;
  readonly tol: number;
  readonly maxIterations: number;
  readonly preconditioner: 'jacobi' | 'multigrid';
  /** Statistics of every PCG solve so far (most recent last). */
  readonly solves: DcSolveStats[] = [];
  private readonly op: DcOperator;
  private readonly Q: Tensor; // [nSrc, n] source terms
  private readonly Qe: Tensor; // [nE, n] unit pole source at each distinct electrode
  private readonly P: CsrMatrix; // [nData, nSrc * n]
  private readonly g: Tensor; // [1, nKy] quadrature weights (a row, so sums over ky are matmuls)
  private readonly gd: Tensor; // [nKy, 1, n] weights * (ky^2 V + robin)
  private readonly scale: Tensor | null; // [nData] 1 / G for apparent resistivity
  private readonly srcPairs: [number, number | null][]; // per datum, electrode indices of A, B
  private readonly rxPairs: [number, number | null][]; // per datum, of M, N
  private readonly sourceElectrodes: [number, number | null][] = []; // per source, A and B
  private readonly nE: number;
  private cache: { m: Tensor; host: Float32Array; fields: Tensor; J: Tensor | null } | null = null;

  constructor(mesh: TensorMesh2d, opts: DcSimulationOptions) {
    if (!(mesh instanceof TensorMesh2d)) throw argError(OP, 'mesh', 'a TensorMesh2d', mesh);
    if (mesh.z0 !== 0) throw argError(OP, 'mesh.z0', '0 (the top of the mesh is the ground surface, z = 0)', mesh.z0, RangeError);
    if (opts === null || typeof opts !== 'object') throw argError(OP, 'opts', 'an options object with a survey', opts);
    checkOptions(opts, SIM_OPTIONS, OP);
    this.nData = checkSurvey(OP, opts.survey);
    const dataType = opts.data ?? 'volts';
    if (dataType !== 'volts' && dataType !== 'apparent-resistivity')
      throw argError(OP, 'opts.data', "'volts' or 'apparent-resistivity'", dataType, RangeError);
    const nKy = opts.nKy ?? 11;
    if (!Number.isInteger(nKy) || nKy < 3 || nKy > 40) throw argError(OP, 'opts.nKy', 'an integer in [3, 40]', nKy, RangeError);
    const tol = opts.tol ?? 1e-6;
    if (!(tol > 0 && tol < 1)) throw argError(OP, 'opts.tol', 'a number in (0, 1)', tol, RangeError);
    const maxIterations = opts.maxIterations ?? 5000;
    if (!Number.isInteger(maxIterations) || maxIterations < 1)
      throw argError(OP, 'opts.maxIterations', 'a positive integer', maxIterations, RangeError);
    if (opts.storeJ !== undefined && typeof opts.storeJ !== 'boolean') throw argError(OP, 'opts.storeJ', 'a boolean', opts.storeJ);
    const pre = opts.preconditioner ?? 'jacobi';
    if (pre !== 'jacobi' && pre !== 'multigrid') throw argError(OP, 'opts.preconditioner', "'jacobi' or 'multigrid'", pre, RangeError);
    this.preconditioner = pre;
    [this.mesh, this.survey, this.dataType, this.tol, this.maxIterations] = [mesh, opts.survey, dataType, tol, maxIterations];
    this.storeJ = opts.storeJ ?? false;
    this.nModel = mesh.nCells;
    this.nSources = opts.survey.sources.length;
    this.geometricFactors = geometricFactors(opts.survey);
    // SimPEG's fitting range: a quarter of the smallest cell to 4 x the mesh extent.
    const hmin = Math.min(...mesh.hx, ...mesh.hz);
    this.quadrature = kyQuadrature({ rMin: hmin / 4, rMax: 4 * Math.max(...mesh.extent), n: nKy });
    const n = mesh.nCells;

    // Electrode weights (validated inside the mesh), distinct electrodes, sources and receivers.
    const keys = new Map<string, number>();
    const weightsOf: { cells: number[]; weights: number[] }[] = [];
    const electrode = (p: Electrode, name: string): number => {
      const key = `${p[0]},${p[1]}`;
      let k = keys.get(key);
      if (k === undefined) {
        k = weightsOf.length;
        keys.set(key, k);
        weightsOf.push(electrodeWeights(OP, name, mesh, p));
      }
      return k;
    };
    const q = new Float32Array(this.nSources * n);
    const [pr, pc, pv]: [number[], number[], number[]] = [[], [], []];
    this.srcPairs = [];
    this.rxPairs = [];
    let d = 0;
    opts.survey.sources.forEach((src, s) => {
      const at = `survey.sources[${s}]`;
      const a = electrode(src.a, `${at}.a`);
      const b = src.b ? electrode(src.b, `${at}.b`) : null;
      this.sourceElectrodes.push([a, b]);
      for (const [e, sign] of [
        [a, 1],
        [b, -1],
      ] as const)
        if (e !== null) weightsOf[e]!.cells.forEach((c, k) => (q[s * n + c] = q[s * n + c]! + sign * weightsOf[e]!.weights[k]!));
      src.receivers.forEach((rx, r) => {
        const m = electrode(rx.m, `${at}.receivers[${r}].m`);
        const nn = rx.n ? electrode(rx.n, `${at}.receivers[${r}].n`) : null;
        for (const [e, sign] of [
          [m, 1],
          [nn, -1],
        ] as const)
          if (e !== null)
            weightsOf[e]!.cells.forEach((c, k) => {
              pr.push(d);
              pc.push(s * n + c);
              pv.push(sign * weightsOf[e]!.weights[k]!);
            });
        this.srcPairs.push([a, b]);
        this.rxPairs.push([m, nn]);
        d++;
      });
    });
    this.nE = weightsOf.length;
    const qe = new Float32Array(this.nE * n);
    weightsOf.forEach((w, e) => w.cells.forEach((c, k) => (qe[e * n + c] = w.weights[k]!)));
    this.op = dcOperator(mesh, this.quadrature.points);
    this.Q = tensor(q, { shape: [this.nSources, n] });
    this.Qe = tensor(qe, { shape: [this.nE, n] });
    this.P = sparseMatrix(this.nData, this.nSources * n, { rows: pr, cols: pc, values: pv });
    this.g = tensor(Float32Array.from(this.quadrature.weights), { shape: [1, nKy] });
    const gd = new Float32Array(nKy * n);
    this.op.diagonalHost.forEach((row, k) => row.forEach((v, c) => (gd[k * n + c] = this.quadrature.weights[k]! * v)));
    this.gd = tensor(gd, { shape: [nKy, 1, n] });
    this.scale = dataType === 'volts' ? null : tensor(Float32Array.from(this.geometricFactors, (G) => 1 / G));
  }

  private checkModel(name: string, m: unknown, length = this.nModel): Tensor {
    const t = floatTensor(OP, name, m);
    if (t.rank !== 1 || t.shape[0] !== length) throw argError(OP, name, `a float32 tensor of shape [${length}]`, t);
    return t;
  }

  /** One batched PCG solve of A(m) x = b, b [nKy * k, nCells] (ky slowest); throws if it does not converge. */
  private async solve(m: Tensor, b: Tensor, mHost: Float32Array): Promise<Tensor> {
    const t0 = performance.now();
    const rows = b.shape[0]!;
    if (this.preconditioner === 'multigrid') {
      // One solve per wavenumber with its assembled matrix and V-cycle.
      const k = this.quadrature.points.length;
      const per = rows / k;
      const parts: Tensor[] = [];
      let [iterations, residual] = [0, 0];
      try {
        for (let q = 0; q < k; q++) {
          const A = dcMatrix(this.op, mHost, q);
          const mg = multigridPreconditioner(A, { shape: [this.mesh.nz, this.mesh.nx] });
          const bq = ops.slice(b, [[q * per, (q + 1) * per]]);
          try {
            const r = await pcg((x: Tensor) => spmv(A, x), bq, {
              tol: this.tol,
              maxIterations: this.maxIterations,
              preconditioner: mg.apply,
              checkEvery: 5,
            });
            parts.push(r.x);
            iterations = Math.max(iterations, r.iterations);
            residual = Math.max(residual, ...r.relativeResidual);
          } finally {
            [bq, A, mg].forEach((t) => t.dispose());
          }
        }
        const x = tidy(() => ops.concat(parts, 0));
        this.solves.push({ rhs: rows, iterations, relativeResidual: residual, seconds: (performance.now() - t0) / 1000 });
        return x;
      } finally {
        parts.forEach((t) => t.dispose());
      }
    }
    const c = dcCoefficients(this.op, m, rows);
    const precond = jacobiDc(this.op, c);
    try {
      const r = await pcg((x: Tensor) => applyWith(this.op, c, x), b, {
        tol: this.tol,
        maxIterations: this.maxIterations,
        preconditioner: precond,
      });
      this.solves.push({
        rhs: rows,
        iterations: r.iterations,
        relativeResidual: Math.max(...r.relativeResidual),
        seconds: (performance.now() - t0) / 1000,
      });
      return r.x;
    } finally {
      [c.w, c.d, precond].forEach((t) => t.dispose());
    }
  }

  /** m on the host, checked finite. */
  private async readModel(m: Tensor): Promise<Float32Array> {
    const host = Float32Array.from((await m.data()) as Float32Array);
    for (let i = 0; i < host.length; i++)
      if (!Number.isFinite(host[i]!)) throw argErrorText(OP, 'm', 'finite log-conductivities', `${host[i]} at cell ${i}`, RangeError);
    return host;
  }

  /** The ky-domain fields of the last m: per source ([nKy * nSrc, n]) or, with storeJ, per electrode ([nKy * nE, n]). */
  private async fields(m: Tensor): Promise<{ fields: Tensor; J: Tensor | null; host: Float32Array }> {
    this.checkModel('m', m);
    const c = this.cache;
    if (c && c.m === m && !m.isDisposed) return c;
    const host = await this.readModel(m);
    if (c && c.host.length === host.length && c.host.every((v, i) => v === host[i])) {
      c.m = m;
      return c;
    }
    this.clearCache();
    const rows = this.storeJ ? this.Qe : this.Q;
    const [k, n] = [this.quadrature.points.length, this.nModel];
    const b = tidy(() =>
      ops.reshape(ops.expand(ops.reshape(rows, [1, rows.shape[0]!, n]), [k, rows.shape[0]!, n]), [k * rows.shape[0]!, n]),
    );
    const fields = await this.solve(m, b, host);
    b.dispose();
    this.cache = { m, host, fields, J: null };
    return this.cache;
  }

  /** Sum over ky with the quadrature weights of per-source fields [nKy * nSrc, n] -> potentials [nSrc, n]. */
  /** sum_k g_k x_k for x [nKy * R, ...] (ky slowest) -> [R, ...rest]. */
  private kySum(x: Tensor): Tensor {
    const k = this.quadrature.points.length;
    const rest = x.shape.slice(1);
    const rows = x.shape[0]! / k;
    return ops.reshape(ops.matmul(this.g, ops.reshape(x, [k, -1])), [rows, ...rest]);
  }

  private potentials(f: Tensor, pole = false): Tensor {
    const u = this.kySum(f);
    // Pole fields: each source is its A field minus its B field.
    return pole ? ops.matmul(combination(this.sourceElectrodes, this.nE), u) : u;
  }

  private toData(u: Tensor): Tensor {
    const v = spmv(this.P, ops.reshape(u, [-1]));
    return this.scale ? ops.mul(v, this.scale) : v;
  }

  /** Predicted data [nData] for m = log(sigma) [nCells]. */
  async dpred(m: Tensor): Promise<Tensor> {
    const { fields } = await this.fields(m);
    return tidy(() => this.toData(this.potentials(fields, this.storeJ)));
  }

  /** Potentials (V for 1 A) at every cell centre, [nSources, nCells]. */
  async potentialsAt(m: Tensor): Promise<Tensor> {
    const { fields } = await this.fields(m);
    return tidy(() => this.potentials(fields, this.storeJ));
  }

  /** J v, [nData], for v [nCells]. */
  async Jvec(m: Tensor, v: Tensor): Promise<Tensor> {
    this.checkModel('v', v);
    if (this.storeJ) {
      const J = await this.jacobian(m);
      return tidy(() => ops.reshape(ops.matmul(J, ops.reshape(v, [-1, 1])), [-1]));
    }
    const { fields } = await this.fields(m);
    const r = tidy(() => {
      const [out, t] = jvp((mm: Tensor) => applyDc(this.op, mm, fields), [m], [v]);
      out.dispose();
      return t;
    });
    const du = await this.solve(m, r, this.cache!.host);
    r.dispose();
    const out = tidy(() => ops.neg(this.toData(this.potentials(du))));
    du.dispose();
    return out;
  }

  /** J^T w, [nCells], for w [nData]. */
  async Jtvec(m: Tensor, w: Tensor): Promise<Tensor> {
    this.checkModel('w', w, this.nData);
    if (this.storeJ) {
      const J = await this.jacobian(m);
      return tidy(() => ops.reshape(ops.matmul(ops.reshape(w, [1, -1]), J), [-1]));
    }
    const { fields } = await this.fields(m);
    const k = this.quadrature.points.length;
    const rhs = tidy(() => {
      const ws = this.scale ? ops.mul(w, this.scale) : w;
      const lam = ops.reshape(spmv(this.P.transpose(), ws), [1, -1]);
      return ops.reshape(ops.matmul(ops.reshape(this.g, [k, 1]), lam), [k * this.nSources, this.nModel]);
    });
    const adj = await this.solve(m, rhs, this.cache!.host);
    rhs.dispose();
    const [out, pull] = vjp((mm: Tensor) => applyDc(this.op, mm, fields), m);
    try {
      return tidy(() => ops.neg(pull(adj)[0]!));
    } finally {
      pull.dispose();
      (out as Tensor).dispose();
      adj.dispose();
    }
  }

  /**
   * The sensitivity matrix J [nData, nCells] at m, formed from pole fields (see the header); kept
   * for the last m. Rows are built 32 data at a time.
   */
  async jacobian(m: Tensor): Promise<Tensor> {
    if (!this.storeJ) {
      // Pole fields are a separate solve in the adjoint mode; J is formed, not kept.
      const k = this.quadrature.points.length;
      const n = this.nModel;
      const b = tidy(() => ops.reshape(ops.expand(ops.reshape(this.Qe, [1, this.nE, n]), [k, this.nE, n]), [k * this.nE, n]));
      this.checkModel('m', m);
      const host = this.cache?.m === m ? this.cache.host : await this.readModel(m);
      const pole = await this.solve(m, b, host);
      b.dispose();
      try {
        return this.rows(m, pole);
      } finally {
        pole.dispose();
      }
    }
    const c = await this.fields(m);
    c.J ??= this.rows(m, c.fields);
    return c.J;
  }

  private rows(m: Tensor, pole: Tensor): Tensor {
    const [k, n, nE] = [this.quadrature.points.length, this.nModel, this.nE];
    const chunk = 32;
    return tidy(() => {
      const co = dcCoefficients(this.op, m, k);
      const lam = ops.reshape(pole, [k, nE, n]);
      const w2 = ops.square(co.w);
      const parts: Tensor[] = [];
      for (let i0 = 0; i0 < this.nData; i0 += chunk) {
        const i1 = Math.min(this.nData, i0 + chunk);
        const C = i1 - i0;
        const U = ops.matmul(combination(this.srcPairs.slice(i0, i1), nE), lam); // [k, C, n]
        const L = ops.matmul(combination(this.rxPairs.slice(i0, i1), nE), lam);
        const gU = spmv(this.op.G, ops.reshape(U, [k * C, n]));
        const gL = spmv(this.op.G, ops.reshape(L, [k * C, n]));
        const faceSum = this.kySum(ops.mul(gU, gL)); // [C, nInterior]
        const face = ops.mul(spmv(this.op.H.transpose(), ops.mul(faceSum, w2)), ops.exp(ops.neg(m)));
        const gd = ops.contiguous(ops.expand(this.gd, [k, C, n]));
        const cell = ops.mul(ops.sum(ops.mul(ops.mul(U, L), gd), [0]), ops.exp(m));
        let rowsC = ops.neg(ops.add(face, cell));
        if (this.scale) rowsC = ops.mul(rowsC, ops.reshape(ops.slice(this.scale, [[i0, i1]]), [C, 1]));
        parts.push(rowsC);
      }
      return parts.length === 1 ? parts[0]! : ops.concat(parts, 0);
    });
  }

  /** diag(J^T diag(dataWeights)^2 J), [nCells] (SimPEG's getJtJdiag with W = 1 / uncertainty). */
  async jtjDiagonal(m: Tensor, dataWeights?: Tensor): Promise<Tensor> {
    if (dataWeights !== undefined) this.checkModel('dataWeights', dataWeights, this.nData);
    const J = await this.jacobian(m);
    const out = tidy(() => {
      const WJ = dataWeights ? ops.mul(J, ops.reshape(dataWeights, [-1, 1])) : J;
      return ops.sum(ops.square(WJ), [0]);
    });
    if (!this.storeJ) J.dispose();
    return out;
  }

  private clearCache(): void {
    if (!this.cache) return;
    this.cache.fields.dispose();
    this.cache.J?.dispose();
    this.cache = null;
  }

  dispose(): void {
    this.clearCache();
    this.op.dispose();
    [this.Q, this.Qe, this.g, this.gd, this.scale].forEach((t) => t?.dispose());
    this.P.dispose();
  }
}

/** A 2.5D DC resistivity simulation over `mesh` (top at z = 0) for `opts.survey`; m = log(sigma) per cell. */
export function dcSimulation2d(mesh: TensorMesh2d, opts: DcSimulationOptions): DcSimulation2d {
  return new DcSimulation2d(mesh, opts);
}
