// Time to accuracy (issue 23, docs/pinn.md part e): DeepXDE's reference problem, u_tt = u_xx on
// x in [-4, 4], t in [0, 1], u(x, 0) = f(x) = exp(-2 x^2) at rest, u = 0 at both ends; d'Alembert's
// solution is [f(x - t) + f(x + t)] / 2. Training stops once the relative L2 error on a 101 x 101
// grid is <= `until`, checked every `every` steps (the checks are inside the timing). DeepXDE
// (PyTorch, one CPU thread, tanh 2-[64]x4-1, Adam, soft constraints) first gets there after 1,600
// iterations, about 200 CPU seconds on this machine.
import * as tl from '../../src/index.js';
import { relL2 } from './run.js';

export interface DalembertOptions {
  hidden?: number[];
  /** Collocation points (Hammersley), redrawn every `resample` Adam steps (0: never). */
  points?: number;
  resample?: number;
  adam?: number;
  lr?: number;
  lbfgs?: number;
  until?: number;
  every?: number;
  seed?: number;
}

export interface DalembertResult {
  relL2: number;
  target: number;
  /** When the grid error first reached `until` (seconds from the start of training), else null. */
  reached: { relL2: number; seconds: number; phase: 'adam' | 'lbfgs'; step: number } | null;
  /** The error at every check. */
  history: { phase: 'adam' | 'lbfgs'; step: number; seconds: number; relL2: number }[];
  seconds: number;
  grid: [number, number];
  /** u on the grid, t rows and x columns: PINN and exact. */
  u: Float64Array;
  exact: Float64Array;
}

const L = 4;
const f = (x: number): number => Math.exp(-2 * x * x);

export async function dalembert(o: DalembertOptions, log: (line: string) => void): Promise<DalembertResult> {
  const opt = {
    hidden: [64, 64, 64, 64],
    points: 1000,
    resample: 0,
    adam: 3000,
    lr: 2e-3,
    lbfgs: 0,
    until: 1e-2,
    every: 50,
    seed: 1,
    ...(Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as DalembertOptions), // undefined keeps the default
  };
  const dom = tl.spaceTime(new tl.Interval(-L, L), new tl.TimeDomain(0, 1));
  const net = new tl.FieldNet({ inputs: 2, hidden: opt.hidden, lo: dom.lo, hi: dom.hi, seed: opt.seed });
  // Hard constraints: u = f(x) + (1 - x^2/L^2) t^2 N gives u(x, 0) = f, u_t(x, 0) = 0, and
  // u(±L, t) = f(±L) = exp(-32) ~ 1e-14, zero in float32. u_tt(x, 0) = 2 (1 - x^2/L^2) N = f''
  // (at most 4 in size): N starts O(1), so no output scale is needed.
  const pinn = new tl.Pinn({
    domain: dom,
    net,
    transform: (x, n) =>
      x('x')
        .square()
        .mul(-2)
        .exp()
        .add(
          x('x')
            .square()
            .mul(-1 / (L * L))
            .add(1)
            .mul(x('t').square())
            .mul(n),
        ),
    terms: [
      {
        kind: 'residual',
        name: 'pde',
        points: new tl.Collocation(dom, opt.points),
        residual: (u) => tl.sub(u.dd('t'), u.dd('x')),
      },
    ],
  });
  const grid: [number, number] = [101, 101];
  const pts = dom.grid([grid[1], grid[0]]); // x slowest: reorder to t rows
  const order = new Int32Array(pts.n);
  const exact = new Float64Array(pts.n);
  for (let i = 0; i < pts.n; i++) {
    order[i] = (i % grid[0]) * grid[1] + Math.floor(i / grid[0]);
    const [x, t] = [pts.at(i, 0), pts.at(i, 1)];
    exact[order[i]!] = (f(x - t) + f(x + t)) / 2;
  }
  const onGrid = async (): Promise<Float64Array> => {
    const v = await pinn.predict(pts);
    const u = new Float64Array(v.length);
    for (let i = 0; i < pts.n; i++) u[order[i]!] = v[i]!;
    return u;
  };
  log(
    `e. d'Alembert, Gaussian pulse: ${pinn.numParameters()} parameters, ${opt.points} points, Adam ${opt.adam} (lr ${opt.lr}) + L-BFGS ${opt.lbfgs}, until relative L2 <= ${opt.until}`,
  );
  const history: DalembertResult['history'] = [];
  let reached: DalembertResult['reached'] = null;
  const res = await pinn.train({
    adam: { steps: opt.adam, lr: opt.lr },
    ...(opt.lbfgs > 0 ? { lbfgs: { maxIter: opt.lbfgs, tolGrad: 0, tolLoss: 0, tolStep: 0 } } : {}),
    ...(opt.resample > 0 ? { resample: { every: opt.resample } } : {}),
    logEvery: opt.every,
    stop: async (p) => {
      const t = performance.now();
      const e = relL2(await onGrid(), exact);
      const seconds = p.elapsed + (performance.now() - t) / 1000; // this check included
      history.push({ phase: p.phase, step: p.step, seconds, relL2: e });
      log(
        `e. ${p.phase} ${String(p.step).padStart(5)}  loss ${p.loss.toExponential(3)}  relative L2 ${e.toExponential(3)}  (${seconds.toFixed(1)} s)`,
      );
      if (e > opt.until) return false;
      reached = { relL2: e, seconds, phase: p.phase, step: p.step };
      return true;
    },
  });
  const u = await onGrid();
  pinn.dispose();
  const r = relL2(u, exact);
  const got = reached as DalembertResult['reached']; // assigned in the callback, which TS cannot see
  log(
    got
      ? `e. reached ${opt.until} after ${got.step} ${got.phase} steps in ${got.seconds.toFixed(1)} s`
      : `e. did not reach ${opt.until}: ${r.toExponential(3)} after ${res.seconds.toFixed(1)} s`,
  );
  return { relL2: r, target: opt.until, reached: got, history, seconds: res.seconds, grid, u, exact };
}
