// Operator learning with FNO2d: learn f -> u for the periodic screened Poisson problem
// -Δu + u = f on the unit torus. Each f is a smooth random field (a Fourier series with |k| <= 6 and
// amplitudes decaying like 1/(1 + |k|^2)), evaluated at the grid points, so the same f can be sampled
// at 32x32 and 64x64. u is solved exactly with the engine's own FFTs: û(k) = f̂(k) / (1 + 4π²|k|²)
// via rfft2 / irfft2. Train on 32x32, report train / validation relative L2 per epoch, evaluate on
// 64x64 samples (zero-shot super-resolution) and save the weights as safetensors.
//   node scripts/run.mjs examples/fno/main.ts [--epochs 6 --train 128 --val 32 --out examples/fno/output]
import * as tl from '../../src/index.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const EPOCHS = Number(args.get('epochs') ?? 6);
const NTRAIN = Number(args.get('train') ?? 128);
const NVAL = Number(args.get('val') ?? 32);
const OUT = args.get('out') ?? 'examples/fno/output';
const N = 32;
const BATCH = 8;
const KMAX = 6;

await tl.init();
tl.seed(0);

/** Random fields as Fourier terms (shared by both resolutions). */
let state = 12345;
const rnd = (): number => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
type Term = { k1: number; k2: number; a: number; b: number };
const field = (): Term[] => {
  const terms: Term[] = [];
  for (let k1 = -KMAX; k1 <= KMAX; k1++) for (let k2 = 0; k2 <= KMAX; k2++) {
    if (k1 * k1 + k2 * k2 > KMAX * KMAX || (k2 === 0 && k1 < 0)) continue;
    const s = 1 / (1 + k1 * k1 + k2 * k2);
    terms.push({ k1, k2, a: s * (2 * rnd() - 1), b: k1 === 0 && k2 === 0 ? 0 : s * (2 * rnd() - 1) });
  }
  return terms;
};
const sample = (fields: Term[][], n: number): tl.Tensor => {
  const v = new Float32Array(fields.length * n * n);
  fields.forEach((terms, p) => {
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (const t of terms) {
        const ph = 2 * Math.PI * (t.k1 * i + t.k2 * j) / n;
        s += t.a * Math.cos(ph) + t.b * Math.sin(ph);
      }
      v[(p * n + i) * n + j] = s;
    }
  });
  return tl.tensor(v, { shape: [fields.length, 1, n, n] });
};
/** Exact periodic solve of -Δu + u = f on the unit torus, spectrally. */
const solve = (f: tl.Tensor): tl.Tensor => {
  const n = f.shape[2]!;
  const wh = n / 2 + 1;
  const m = new Float32Array(n * wh);
  for (let i = 0; i < n; i++) for (let j = 0; j < wh; j++) {
    const k1 = i <= n / 2 ? i : i - n;
    m[i * wh + j] = 1 / (1 + 4 * Math.PI ** 2 * (k1 * k1 + j * j));
  }
  return tl.irfft2(tl.mul(tl.rfft2(f), tl.tensor(m, { shape: [n, wh, 1] })), { s: [n, n] });
};

const trainF = Array.from({ length: NTRAIN }, field);
const valF = Array.from({ length: NVAL }, field);
const xTrain = sample(trainF, N);
const yTrain = solve(xTrain);
const xVal = sample(valF, N);
const yVal = solve(xVal);
const xVal2 = sample(valF, 2 * N);
const yVal2 = solve(xVal2);

const model = new tl.FNO2d({ inChannels: 1, outChannels: 1, modes1: 8, modes2: 8, width: 8, layers: 2, projection: 32, padFraction: 0, seed: 1 });
const params = model.parameters();
const steps = EPOCHS * (NTRAIN / BATCH);
const opt = new tl.Adam({ lr: tl.cosineDecay(1e-2, steps, 1e-4) });
const step = tl.valueAndGrad((p: tl.NamedTensors, x: tl.Tensor, y: tl.Tensor) => tl.relativeL2(model.call(p, x), y));
const evaluate = async (x: tl.Tensor, y: tl.Tensor): Promise<number> => {
  let s = 0;
  for (let b = 0; b < x.shape[0]!; b += BATCH) {
    const xb = tl.slice(x, [[b, b + BATCH]]);
    const yb = tl.slice(y, [[b, b + BATCH]]);
    s += (await tl.noGrad(() => tl.relativeL2(model.forward(xb), yb)).item()) * xb.shape[0]!;
  }
  return s / x.shape[0]!;
};

console.log(`FNO2d: ${model.numParameters()} parameters; ${NTRAIN} train / ${NVAL} validation samples at ${N}x${N}; ${EPOCHS} epochs of ${NTRAIN / BATCH} Adam steps`);
const t0 = performance.now();
let trainErr = NaN, valErr = NaN;
for (let e = 0; e < EPOCHS; e++) {
  let sum = 0;
  const order = Array.from({ length: NTRAIN / BATCH }, (_, i) => i).sort(() => rnd() - 0.5);
  for (const b of order) {
    const xb = tl.slice(xTrain, [[b * BATCH, (b + 1) * BATCH]]);
    const yb = tl.slice(yTrain, [[b * BATCH, (b + 1) * BATCH]]);
    const [loss, grads] = step(params, xb, yb) as [tl.Tensor, tl.NamedTensors];
    opt.step(params, grads);
    sum += await loss.item();
    loss.dispose();
    for (const g of Object.values(grads)) g.dispose();
  }
  trainErr = sum / (NTRAIN / BATCH);
  valErr = await evaluate(xVal, yVal);
  console.log(`epoch ${String(e + 1).padStart(2)}  train rel L2 ${trainErr.toFixed(4)}  val rel L2 ${valErr.toFixed(4)}  (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
}
const val2 = await evaluate(xVal2, yVal2);
console.log(`final: train rel L2 ${trainErr.toFixed(4)}, validation ${valErr.toFixed(4)} at ${N}x${N}, ${val2.toFixed(4)} at ${2 * N}x${2 * N} (not trained on), ${((performance.now() - t0) / 1000).toFixed(0)} s of training`);

const { mkdirSync, writeFileSync } = await import('node:fs');
mkdirSync(OUT, { recursive: true });
writeFileSync(`${OUT}/fno.safetensors`, await tl.saveSafetensors(model, { task: '-lap(u) + u = f, periodic', resolution: `${N}x${N}` }));
console.log(`saved ${OUT}/fno.safetensors`);
tl.destroy();
