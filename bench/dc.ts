// The DC resistivity operator (src/physics/dc) under PCG: iterations and time to a relative
// residual of 1e-6 for one wavenumber on 100x50 and 400x200 meshes (5 m core cells, 8 padding
// cells growing by 1.3 on the sides and bottom), a conductive dipping dike under a layer (the
// example's case 3 model), one pole source at the surface centre. Two wavenumbers of the 11-point
// quadrature: the smallest (nearly a pure Neumann-Robin Laplacian: the hardest) and the middle one.
// Methods: Jacobi PCG through the matrix-free operator (what dcSimulation2d runs), smoothed-
// aggregation multigrid PCG on the assembled matrix, and the same Jacobi PCG in float64 on the host.
// Run: `npm run bench:dc`; writes bench/results/dc.json and dc.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as tl from '../src/index.js';
import { hostPcg, timedPcg } from './solvers.js';

const TOL = 1e-6;

function mesh(nx: number, nz: number): tl.TensorMesh2d {
  const p = tl.TensorMesh2d.padded({ nx: nx - 16, nz: nz - 8, h: 5, padLeft: 8, padRight: 8, padBottom: 8, factor: 1.3 });
  return new tl.TensorMesh2d(p.hx, p.hz, [-p.extent[0] / 2, 0]);
}

/** log sigma: 0.01 S/m background, a 0.02 S/m layer over the top 20 m, a 0.1 S/m dike dipping 45 degrees. */
function model(m: tl.TensorMesh2d): Float32Array {
  const cx = m.cellCentersX();
  const cz = m.cellCentersZ();
  return Float32Array.from({ length: m.nCells }, (_, c) => {
    const [x, z] = [cx[c % m.nx]!, cz[Math.floor(c / m.nx)]!];
    const dike = z > 20 && z < 125 && Math.abs(x - (z - 20)) < 15;
    return Math.log(dike ? 0.1 : z < 20 ? 0.02 : 0.01);
  });
}

interface Row {
  mesh: string;
  cells: number;
  ky: number;
  method: string;
  iterations: number;
  setupMs: number;
  solveMs: number;
  relativeResidual: number;
}

async function main(): Promise<void> {
  await tl.init();
  const info = tl.deviceInfo();
  const rows: Row[] = [];
  const only = process.env.BENCH_DC_MESH; // e.g. "100x50" to run one mesh
  for (const [nx, nz] of [
    [100, 50],
    [400, 200],
  ] as const) {
    const name = `${nx}x${nz}`;
    if (only && only !== name) continue;
    const M = mesh(nx, nz);
    const q = tl.kyQuadrature({ rMin: 5 / 4, rMax: 4 * Math.max(...M.extent) });
    const mh = model(M);
    const m = tl.tensor(mh);
    const src = new Float32Array(M.nCells);
    src[M.cellIndex(Math.floor(M.nx / 2), 0)] = 1;
    const b = tl.tensor(src, { shape: [1, M.nCells] });
    for (const k of [0, 5]) {
      const ky = q.points[k]!;
      const op = tl.dcOperator(M, [ky]);
      const A = (x: tl.Tensor): tl.Tensor => tl.applyDc(op, m, x);
      const push = (row: Row): void => {
        rows.push(row);
        console.log(JSON.stringify(row));
      };
      const run = async (method: string, preconditioner: tl.Preconditioner, setupMs: number, checkEvery: number): Promise<void> => {
        const r = await timedPcg(A, b, { preconditioner, tol: TOL, maxIterations: 50000, checkEvery });
        push({ mesh: name, cells: M.nCells, ky, method, setupMs, ...r });
      };
      const mat = tl.dcMatrix(op, mh, 0);
      const diag = tl.tensor(Float32Array.from(mat.diagonal()));
      await run('Jacobi PCG (GPU, matrix-free)', diag, 0, 50);
      const s0 = performance.now();
      const mg = tl.multigridPreconditioner(mat, { shape: [M.nz, M.nx] });
      await run(`multigrid PCG (GPU), ${mg.sizes.length} levels`, mg.apply, performance.now() - s0, 5);
      const h0 = performance.now();
      const it = hostPcg(mat, src, TOL);
      push({
        mesh: name,
        cells: M.nCells,
        ky,
        method: 'Jacobi PCG, float64 host JS',
        iterations: it,
        setupMs: 0,
        solveMs: performance.now() - h0,
        relativeResidual: TOL,
      });
      [mg, mat, diag, op].forEach((t) => t.dispose());
    }
    [m, b].forEach((t) => t.dispose());
  }
  const adapter = `${info.runtime}, ${info.description}`;
  const md = [
    `DC operator (one wavenumber, one pole source), PCG to a relative residual of ${TOL}; ${adapter}; ${new Date().toISOString().slice(0, 10)}.`,
    '',
    '| mesh | cells | ky (1/m) | method | iterations | set-up (ms) | solve (ms) | true rel. residual |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.mesh} | ${r.cells} | ${r.ky.toExponential(2)} | ${r.method} | ${r.iterations} | ${r.setupMs.toFixed(0)} | ${r.solveMs.toFixed(0)} | ${r.relativeResidual.toExponential(1)} |`,
    ),
  ].join('\n');
  if (!only) {
    mkdirSync('bench/results', { recursive: true });
    writeFileSync('bench/results/dc.json', JSON.stringify({ adapter, tol: TOL, rows }, null, 2));
    writeFileSync('bench/results/dc.md', md + '\n');
  }
  console.log(md);
  tl.destroy();
}

await main();
