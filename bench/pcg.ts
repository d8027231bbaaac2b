// PCG on the GPU: iterations and time to a relative residual of 1e-6 for a cell-centred
// variable-coefficient operator A = G^T diag(c) G + diag(d) on 100x50 and 400x200 grids (5-point
// stencil, Dirichlet edges, c over two decades as in a resistivity model, d a small mass term as
// k_y^2 sigma V gives), four right-hand sides at once, with the Jacobi and the smoothed-aggregation
// multigrid preconditioners; beside them, the same Jacobi PCG in float64 on the host (plain
// JavaScript, one core), as a CPU reference. Run: `npm run bench:pcg`; writes
// bench/results/pcg.json and pcg.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as tl from '../src/index.js';
import { hostPcg, timedPcg } from './solvers.js';

const TOL = 1e-6;
const RHS = 4;

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** Assembled A as triplets, with its diagonal. */
function operator(nx: number, nz: number): { i: number[]; j: number[]; v: number[]; n: number } {
  const rand = lcg(nx * 7919 + nz);
  const t = { i: [] as number[], j: [] as number[], v: [] as number[], n: nx * nz };
  const face = (a: number, b: number | null): void => {
    const c = 0.1 * 100 ** rand();
    t.i.push(a);
    t.j.push(a);
    t.v.push(c);
    if (b === null) return;
    t.i.push(b, a, b);
    t.j.push(b, b, a);
    t.v.push(c, -c, -c);
  };
  for (let z = 0; z < nz; z++)
    for (let x = 0; x <= nx; x++) face(z * nx + Math.min(x, nx - 1), x === 0 || x === nx ? null : z * nx + x - 1);
  for (let z = 0; z <= nz; z++)
    for (let x = 0; x < nx; x++) face(Math.min(z, nz - 1) * nx + x, z === 0 || z === nz ? null : (z - 1) * nx + x);
  for (let k = 0; k < t.n; k++) (t.i.push(k), t.j.push(k), t.v.push(1e-3 * (1 + rand())));
  return t;
}

interface Row {
  mesh: string;
  cells: number;
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
  for (const [nx, nz] of [
    [100, 50],
    [400, 200],
  ] as const) {
    const t = operator(nx, nz);
    const A = tl.sparseMatrix(t.n, t.n, { rows: t.i, cols: t.j, values: t.v });
    const rand = lcg(99);
    const bh = Float64Array.from({ length: RHS * t.n }, () => rand() * 2 - 1);
    const b = tl.tensor(Float32Array.from(bh), { shape: [RHS, t.n] });
    const op = (x: tl.Tensor): tl.Tensor => tl.spmv(A, x);
    const mesh = `${nx}x${nz}`;
    const diag = tl.tensor(Float32Array.from(A.diagonal()));
    const run = async (method: string, preconditioner: tl.Preconditioner, setupMs: number, checkEvery: number): Promise<void> => {
      const r = await timedPcg(op, b, { preconditioner, tol: TOL, maxIterations: 20000, checkEvery });
      rows.push({ mesh, cells: t.n, method, setupMs, ...r });
      console.log(JSON.stringify(rows[rows.length - 1]));
    };
    await run('Jacobi PCG (GPU)', diag, 0, 50);
    const s0 = performance.now();
    const mg = tl.multigridPreconditioner(A, { shape: [nz, nx] });
    await run(`multigrid PCG (GPU), ${mg.sizes.length} levels`, mg.apply, performance.now() - s0, 5);
    const h0 = performance.now();
    // The slowest right-hand side, one at a time.
    const it = Math.max(...Array.from({ length: RHS }, (_, q) => hostPcg(A, bh.subarray(q * t.n, (q + 1) * t.n), TOL)));
    rows.push({
      mesh,
      cells: t.n,
      method: 'Jacobi PCG, float64 host JS',
      iterations: it,
      setupMs: 0,
      solveMs: performance.now() - h0,
      relativeResidual: TOL,
    });
    console.log(JSON.stringify(rows[rows.length - 1]));
    mg.dispose();
    A.dispose();
    b.dispose();
    diag.dispose();
  }
  const adapter = `${info.runtime}, ${info.description}`;
  const md = [
    `PCG to a relative residual of ${TOL}, ${RHS} right-hand sides at once; ${adapter}; ${new Date().toISOString().slice(0, 10)}.`,
    '',
    '| mesh | cells | method | iterations | set-up (ms) | solve (ms) | true rel. residual |',
    '|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.mesh} | ${r.cells} | ${r.method} | ${r.iterations} | ${r.setupMs.toFixed(0)} | ${r.solveMs.toFixed(0)} | ${r.relativeResidual.toExponential(1)} |`,
    ),
  ].join('\n');
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/pcg.json', JSON.stringify({ adapter, tol: TOL, rhs: RHS, rows }, null, 2));
  writeFileSync('bench/results/pcg.md', md + '\n');
  console.log(md);
  tl.destroy();
}

await main();
