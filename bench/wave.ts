// Wave-propagation benchmarks: Tellus's acoustic2d (hand-written C-PML kernels, two dispatches a
// step) against the same time loop written with generic array ops in @jax-js/jax (jit-compiled step,
// 4th-order stencil on the padded grid, rigid edges: no PML work at all, which favours the peer).
// Throughput is cell updates per second over the padded grid; bandwidth assumes the ideal 16 bytes
// per cell update (read u[t] and u[t-1], write u[t+1], read w), against the calibrated copy rate.
// The peer starts from a Gaussian and its wavefield is checked against a float64 leapfrog before
// timing (Tellus's kernels have their own tests).
import * as tl from '../src/index.js';
import { type Case, type Row, time } from './harness.js';

type Jax = any;

interface Size {
  name: string;
  n: number;
  shots: number;
  steps: number;
  grad?: boolean;
}

const PML = 20;
const SIZES: Size[] = [
  { name: '256^2', n: 256, shots: 1, steps: 40 },
  { name: '512^2', n: 512, shots: 1, steps: 16 },
  { name: '1024^2', n: 1024, shots: 1, steps: 6 },
  { name: '256^2, 8 shots', n: 256, shots: 8, steps: 10 },
  { name: '256^2, gradient (forward + adjoint)', n: 256, shots: 1, steps: 20, grad: true },
];

const DX = 10;
const DT = 0.001;
const C = [-5 / 2, 4 / 3, -1 / 12].map((c) => c / (DX * DX));

function tellusCase(s: Size): Case {
  return async (state) => {
    if (!state.v) {
      state.v = tl.tensor(
        new Float32Array(s.n * s.n).map((_, i) => 2000 + 500 * Math.sin(i / 977)),
        { shape: [s.n, s.n] },
      );
      state.opts = {
        dx: DX,
        dt: DT,
        accuracy: 4,
        pmlWidth: PML,
        sourceAmplitudes: tl.ones([s.shots, 1, s.steps]),
        sourceLocations: Array.from({ length: s.shots }, (_, k) => [[s.n >> 1, (k * 31) % s.n]]),
        receiverLocations: Array.from({ length: s.shots }, () => [[2, s.n >> 2]]),
      } satisfies tl.Acoustic2dOptions;
    }
    if (s.grad) {
      const g = tl.grad((v: tl.Tensor) => tl.sum(tl.square(tl.acoustic2d(v, state.opts))))(state.v);
      await g.data();
      g.dispose();
    } else {
      const r = tl.acoustic2d(state.v, state.opts);
      await r.data();
      r.dispose();
    }
  };
}

function jaxCase(jax: Jax, s: Size): Case {
  const np = jax.numpy;
  const n = s.n + 2 * PML;
  // One leapfrog step of the 4th-order scheme: zero ghost cells, so edges reflect.
  const step = jax.jit((u: Jax, up: Jax, w: Jax) => {
    const p = np.pad(u.ref, [
      [0, 0],
      [2, 2],
      [2, 2],
    ]);
    const at = (dz: number, dx: number) => p.ref.slice([], [2 + dz, n + 2 + dz], [2 + dx, n + 2 + dx]);
    let lap = u.ref.mul(2 * C[0]!);
    for (const k of [1, 2]) lap = lap.add(at(k, 0).add(at(-k, 0)).add(at(0, k)).add(at(0, -k)).mul(C[k]!));
    p.dispose();
    return w.mul(lap).add(u.mul(2)).sub(up);
  });
  return async (state) => {
    state.w ??= np.full([s.shots, n, n], W);
    state.u0 ??= np.array(bump(s)).reshape([s.shots, n, n]);
    let u = state.u0.ref;
    let up = state.u0.ref;
    for (let t = 0; t < s.steps; t++) {
      const next = step(u.ref, up, state.w.ref);
      up = u;
      u = next;
    }
    state.result = await u.data();
    up.dispose();
  };
}

const W = 2000 * 2000 * DT * DT;

/** A Gaussian at rest in the middle of every shot's padded grid: the peer's start (zeros would prove nothing). */
function bump(s: Size): Float32Array {
  const n = s.n + 2 * PML;
  const r = n / 16;
  const one = Float32Array.from({ length: n * n }, (_, i) =>
    Math.exp(-((((i / n) | 0) - n / 2) ** 2 + ((i % n) - n / 2) ** 2) / (2 * r * r)),
  );
  const all = new Float32Array(s.shots * n * n);
  for (let k = 0; k < s.shots; k++) all.set(one, k * n * n);
  return all;
}

/** The jax-js case's leapfrog in float64 on the host (zero ghost cells), from the same start. */
function leapfrogReference(s: Size): Float64Array {
  const n = s.n + 2 * PML;
  const at = (u: Float64Array, base: number, z: number, x: number): number =>
    z < 0 || z >= n || x < 0 || x >= n ? 0 : u[base + z * n + x]!;
  let up = Float64Array.from(bump(s));
  let u = Float64Array.from(up);
  for (let t = 0; t < s.steps; t++) {
    const next = new Float64Array(u.length);
    for (let k = 0; k < s.shots; k++)
      for (let z = 0; z < n; z++)
        for (let x = 0; x < n; x++) {
          const b = k * n * n;
          let lap = 2 * C[0]! * u[b + z * n + x]!;
          for (const j of [1, 2]) lap += C[j]! * (at(u, b, z + j, x) + at(u, b, z - j, x) + at(u, b, z, x + j) + at(u, b, z, x - j));
          next[b + z * n + x] = W * lap + 2 * u[b + z * n + x]! - up[b + z * n + x]!;
        }
    [up, u] = [u, next];
  }
  return u;
}

/** Null if the jax-js case's wavefield matches the float64 leapfrog (relative L2 below 1e-4), else what is wrong. */
async function checkJaxCase(c: Case, s: Size): Promise<string | null> {
  const state: Record<string, any> = {};
  await c(state);
  const got = state.result as Float32Array;
  const want = leapfrogReference(s);
  let [e, t] = [0, 0];
  for (let i = 0; i < want.length; i++) [e, t] = [e + (got[i]! - want[i]!) ** 2, t + want[i]! ** 2];
  const err = Math.sqrt(e / t);
  console.log(`acoustic2d ${s.name}: jax-js against the float64 leapfrog, relative L2 ${err.toExponential(1)}`);
  return err < 1e-4 ? null : `wrong result: relative L2 ${err.toExponential(1)} against the float64 leapfrog`;
}

/**
 * The interior box's forward dispatch alone (issue 13: at least 50% of the calibrated vec4 copy at 16
 * bytes per cell): GPU timestamps of every dispatch of a 512^2 forward, the median over its steps.
 */
async function interiorBoxRow(): Promise<Row> {
  const s: Size = { name: '512^2', n: 512, shots: 1, steps: 16 };
  const run = tellusCase(s);
  const state: Record<string, any> = {};
  await run(state); // compile outside the profile
  const report = await tl.profile(() => run(state), { every: 1 });
  const ms = report.events
    .filter((e) => e.kernel.endsWith(':box_step') && e.durationMs !== undefined)
    .map((e) => e.durationMs!)
    .sort((a, b) => a - b);
  const benchmark = 'acoustic2d interior box 512^2, one forward dispatch';
  if (ms.length === 0) return { benchmark, library: 'tellus', timing: null, note: `no timed box_step dispatch (${report.timing} timing)` };
  const box = report.events.find((e) => e.kernel.endsWith(':box_step'))!;
  const timing = { medianMs: ms[ms.length >> 1]!, minMs: ms[0]!, maxMs: ms[ms.length - 1]!, runs: ms.length, dispatches: 1 };
  const gbs = box.bytes / (timing.medianMs * 1e6);
  const copy = report.roofline?.copyKernelGBs;
  const note = `${(box.bytes / 16 / (timing.medianMs * 1e3)).toFixed(1)} Mcell/s; ${copy ? `${((100 * gbs) / copy).toFixed(0)}% of the copy kernel` : 'no calibration'}`;
  console.log(`${benchmark.padEnd(46)} tellus  ${timing.medianMs.toFixed(2)} ms, ${gbs.toFixed(2)} GB/s, ${note}`);
  return { benchmark, library: 'tellus', timing, bytes: box.bytes, note };
}

/** Runs the wave cases for Tellus and (if loaded) jax-js; appends rows with Mcell/s notes. */
export async function waveBenchmarks(jax: Jax | null): Promise<Row[]> {
  const rows: Row[] = [await interiorBoxRow()];
  for (const s of SIZES) {
    const npad = s.n + 2 * PML + 4; // PML and the 4th-order scheme's ghost cells
    const cells = s.shots * npad * npad * s.steps * (s.grad ? 2 : 1); // gradient: forward (keeping du/dw) and adjoint
    const name = `acoustic2d ${s.name}, ${s.steps} steps`;
    const libs: [string, Case | null][] = [
      ['tellus', tellusCase(s)],
      ['jax-js', jax && !s.grad ? jaxCase(jax, s) : null],
    ];
    for (const [library, c] of libs) {
      if (!c) continue;
      try {
        const wrong = library === 'jax-js' ? await checkJaxCase(c, s) : null;
        if (wrong) console.log(`${name} ${library}: ${wrong}`);
        const timing = await time(c, { warmup: 1, runs: 3 });
        const rate = cells / (timing.medianMs * 1e3);
        rows.push({ benchmark: name, library, timing, bytes: 16 * cells, note: `${rate.toFixed(1)} Mcell/s`, ...(wrong ? { wrong } : {}) });
        console.log(`${name.padEnd(46)} ${library.padEnd(7)} ${timing.medianMs.toFixed(1)} ms, ${rate.toFixed(1)} Mcell/s`);
      } catch (e) {
        rows.push({ benchmark: name, library, timing: null, note: `failed: ${(e as Error).message.slice(0, 80)}` });
        console.log(`${name} ${library} failed: ${(e as Error).message}`);
      }
    }
  }
  return rows;
}
