// Random velocity models: stationary Gaussian fields with a von Karman covariance, generated on the
// GPU by filtering white noise in the wavenumber domain (rfft2 -> multiply by sqrt(spectrum) -> irfft2).
// 2D von Karman (Sato & Fehler, "Seismic Wave Propagation and Scattering in the Heterogeneous Earth",
// ch. 2): correlation 2^(1-κ)/Γ(κ) r^κ K_κ(r) with r = sqrt((x/a_x)² + (z/a_z)²), power spectrum
// 4πκ a_x a_z σ² (1 + k_x² a_x² + k_z² a_z²)^-(κ+1). κ = 0.5 gives σ² exp(-r), the closed form the
// tests check; the spectrum test sums the continuous spectrum's aliases independently.
import type { Tensor } from '../../graph/tensor.js';
import { add, expand, mul, reshape, slice } from '../../autodiff/ops.js';
import { irfft2, rfft2 } from '../../autodiff/fft.js';
import { tensor, randn } from '../../ops/creation.js';
import { argError, argErrorText, checkOptions, optionNames } from '../../graph/options.js';

export interface VonKarmanOptions {
  /** Grid spacing along x and z, in the units of ax/az. Default 0.16 (km, the FNO paper's grid). */
  dx?: number;
  /** Grid spacing along z. Default dx. */
  dz?: number;
  /** Hurst exponent κ (roughness: 0.5 exponential, larger smoother). Default 0.5. */
  kappa?: number;
  /** Correlation length along x. Default 1.6 (km). */
  ax?: number;
  /** Correlation length along z. Default ax. */
  az?: number;
  /** Mean velocity. Default 3 (km/s). */
  mean?: number;
  /** Standard deviation of the velocity. Default 0.15 (km/s); exclusive with epsilon. */
  std?: number;
  /** Fractional fluctuation ε: std = ε · mean (the classic random-media parameter); exclusive with std. */
  epsilon?: number;
  /**
   * The field is drawn on a grid `pad` times larger along each axis and cropped, so the periodic
   * wrap of the FFT does not correlate opposite edges. Default 2; 1 keeps the periodic field.
   */
  pad?: number;
  /** Philox seed of the white noise (tl.randn's); default the global generator's next stream. */
  seed?: number;
}

const OPTIONS = optionNames<VonKarmanOptions>()('dx', 'dz', 'kappa', 'ax', 'az', 'mean', 'std', 'epsilon', 'pad', 'seed');
const FN = 'vonKarman(shape, opts)';

function positive(v: number | undefined, fallback: number, arg: string): number {
  const x = v ?? fallback;
  if (typeof x !== 'number' || !Number.isFinite(x) || x <= 0) throw argError(FN, arg, 'a finite number > 0', x, RangeError);
  return x;
}

/** Γ(x) for x > 0 (Lanczos, g = 7, 9 terms: ~1e-15 relative). */
function gamma(x: number): number {
  if (x < 0.5) return Math.PI / (Math.sin(Math.PI * x) * gamma(1 - x));
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const y = x - 1;
  let a = c[0]!;
  for (let i = 1; i < 9; i++) a += c[i]! / (y + i);
  const t = y + 7.5;
  return Math.sqrt(2 * Math.PI) * t ** (y + 0.5) * Math.exp(-t) * a;
}

/** K_ν(x), x > 0: the integral ∫_0^∞ exp(-x cosh t) cosh(ν t) dt by the trapezoid rule (exponentially convergent). */
function besselK(nu: number, x: number): number {
  const tMax = Math.acosh(Math.max(1, 40 / x)) + 1;
  const steps = Math.ceil(tMax / 0.02);
  const h = tMax / steps;
  let s = 0.5 * Math.exp(-x);
  for (let i = 1; i <= steps; i++) s += Math.exp(-x * Math.cosh(i * h)) * Math.cosh(nu * i * h);
  return s * h;
}

/** The von Karman correlation at normalized distance r: 2^(1-κ)/Γ(κ) r^κ K_κ(r), 1 at r = 0. */
export function vonKarmanCorrelation(r: number, kappa: number): number {
  if (r === 0) return 1;
  if (kappa === 0.5) return Math.exp(-r);
  return (2 ** (1 - kappa) / gamma(kappa)) * r ** kappa * besselK(kappa, r);
}

const spectra = new Map<string, Float64Array>();

/**
 * The amplitude filter sqrt(S(k)) on the rfft2 grid ([nz, nx/2 + 1]) of an nz x nx periodic field,
 * S the DFT of the unit-variance von Karman covariance sampled at the grid's lags (circulant
 * embedding): filtering unit white noise then gives exactly that covariance at every lag shorter
 * than half the grid. Sampling the continuous spectrum instead loses the power beyond Nyquist: for
 * κ = 0.5 at 3 cells per correlation length, lag-one correlations came out 0.08 too high.
 */
export function vonKarmanFilter(nz: number, nx: number, dz: number, dx: number, az: number, ax: number, kappa: number): Float64Array {
  const key = [nz, nx, dz, dx, az, ax, kappa].join(',');
  const hit = spectra.get(key);
  if (hit) return hit;
  const nh = Math.floor(nx / 2) + 1;
  const lag = (i: number, n: number) => Math.min(i, n - i);
  const cosTable = (n: number) => Float64Array.from({ length: n }, (_, i) => Math.cos((2 * Math.PI * i) / n));
  const [cz, cx] = [cosTable(nz), cosTable(nx)];
  // C is even along each axis, so its DFT is a real cosine transform, done one axis at a time.
  const rows = new Float64Array(nz * nh);
  const c = new Float64Array(nx);
  for (let i = 0; i < nz; i++) {
    const z = (lag(i, nz) * dz) / az;
    for (let j = 0; j < nx; j++) c[j] = vonKarmanCorrelation(Math.hypot(z, (lag(j, nx) * dx) / ax), kappa);
    for (let l = 0; l < nh; l++) {
      let s = 0;
      for (let j = 0; j < nx; j++) s += c[j]! * cx[(l * j) % nx]!;
      rows[i * nh + l] = s;
    }
  }
  const h = new Float64Array(nz * nh);
  for (let k = 0; k < nz; k++)
    for (let l = 0; l < nh; l++) {
      let s = 0;
      for (let i = 0; i < nz; i++) s += rows[i * nh + l]! * cz[(k * i) % nz]!;
      h[k * nh + l] = Math.sqrt(Math.max(s, 0)); // embedding round-off or a too-small grid: clip
    }
  if (spectra.size > 16) spectra.clear();
  spectra.set(key, h);
  return h;
}

/**
 * Random velocity models with a von Karman covariance, shape [nz, nx] or [batch, nz, nx]:
 * mean + std · f, f a zero-mean unit-variance field (in expectation: each sample's own mean and
 * spread vary as a random field's do). Defaults are the FNO-wave paper's (Yang et al. 2021):
 * 0.16 km spacing, κ = 0.5, a = 1.6 km, 3 km/s, σ = 0.15 km/s.
 */
export function vonKarman(shape: readonly number[], opts: VonKarmanOptions = {}): Tensor {
  checkOptions(opts, OPTIONS, FN);
  if (!Array.isArray(shape) || (shape.length !== 2 && shape.length !== 3) || !shape.every((d) => Number.isInteger(d) && d >= 2))
    throw argError(FN, 'shape', '[nz, nx] or [batch, nz, nx] with nz, nx >= 2 (integers)', shape, RangeError);
  const dx = positive(opts.dx, 0.16, 'dx');
  const dz = positive(opts.dz, dx, 'dz');
  const kappa = positive(opts.kappa, 0.5, 'kappa');
  const ax = positive(opts.ax, 1.6, 'ax');
  const az = positive(opts.az, ax, 'az');
  const mean = opts.mean ?? 3;
  if (typeof mean !== 'number' || !Number.isFinite(mean)) throw argError(FN, 'mean', 'a finite number', mean, RangeError);
  if (opts.std !== undefined && opts.epsilon !== undefined)
    throw argErrorText(
      FN,
      'epsilon',
      'either std or epsilon (std = epsilon * mean), not both',
      `std ${opts.std} and epsilon ${opts.epsilon}`,
      RangeError,
    );
  const std = opts.epsilon !== undefined ? positive(opts.epsilon, 0, 'epsilon') * Math.abs(mean) : positive(opts.std, 0.15, 'std');
  const pad = opts.pad ?? 2;
  if (!Number.isInteger(pad) || pad < 1) throw argError(FN, 'pad', 'an integer >= 1', pad, RangeError);

  const [batch, nz, nx] = shape.length === 3 ? (shape as [number, number, number]) : [1, shape[0]!, shape[1]!];
  const [pz, px] = [nz * pad, nx * pad];
  const h = vonKarmanFilter(pz, px, dz, dx, az, ax, kappa);
  const filter = tensor(
    Float32Array.from(h, (v) => v * std),
    { shape: [1, pz, h.length / pz, 1] },
  );
  const noise = randn([batch, pz, px], opts.seed === undefined ? {} : { seed: opts.seed });
  const spectrum = mul(rfft2(noise), expand(filter, [batch, pz, h.length / pz, 2]));
  const field = add(slice(irfft2(spectrum, { s: [pz, px] }), [null, [0, nz], [0, nx]]), mean);
  return shape.length === 3 ? field : reshape(field, [nz, nx]);
}
