// Leading eigenpairs of a symmetric positive semi-definite operator A known only through block
// products (JI-FNO's informative directions, issue 20 item 3): randomized subspace iteration and
// Rayleigh-Ritz (Halko, Martinsson & Tropp 2011, algorithms 4.4 and 5.1).
//   Y = A Omega (Omega Gaussian, n x l, l = k + oversample); Q = orth(Y)
//   repeat q times: Q = orth(A Q)
//   Z = A Q; B = Q^T Z (l x l, symmetrized); B = U diag(lambda) U^T; A ~ (Q U) diag(lambda) (Q U)^T.
// Each block of l products is one call of `matvec` on an [l, n] tensor and one read-back; the small
// dense work (CGS2 QR, the l x l eigenproblem by one-sided Jacobi) is float64 on the host.
import { Tensor, tidy } from '../../graph/tensor.js';
import { argError, argErrorText, checkOptions, optionNames } from '../../graph/options.js';
import { tensor } from '../../ops/creation.js';
import { Rng } from '../pinn/sampling.js';
import { qr, smallSvd } from '../linalg-host.js';
import { fmt } from '../../graph/shape.js';
import { add, mul, reshape } from '../../autodiff/ops.js';
import type { Acoustic2dOptions } from '../../physics/acoustic/index.js';
import { modelTensor, normalEach } from './actions.js';

/** A X for the rows of X ([l, n] float32, one vector a row); returns [l, n] (the caller's tensor, disposed after reading). */
export type BlockMatvec = (X: Tensor) => Tensor | Promise<Tensor>;

export interface RandomizedEighOptions {
  /** Eigenpairs wanted. Default 8. */
  k?: number;
  /** Extra random directions (l = k + oversample). Default 8. */
  oversample?: number;
  /** Subspace (power) iterations q. Default 2. */
  powerIterations?: number;
  /** Seed of Omega. Default 0. */
  seed?: number;
}
const EIGH_OPTIONS = optionNames<RandomizedEighOptions>()('k', 'oversample', 'powerIterations', 'seed');

export interface EighResult {
  /** The k leading eigenvalues, descending. */
  values: Float64Array;
  /** Their unit eigenvectors (length n); each has its largest-magnitude entry positive. */
  vectors: Float64Array[];
  /** ||A v_i - lambda_i v_i|| / lambda_1 from the last block of products (A Q), at no extra cost. */
  residuals: Float64Array;
  /** Blocks of products (matvec calls) and single products (columns). */
  products: { blocks: number; columns: number };
}

const WHAT = 'randomizedEigh(matvec, n, opts)';

/** Integer option `arg` of `what` at least `min`, else its default. */
function intOption(what: string, v: unknown, arg: string, dflt: number, min: number): number {
  const x = v ?? dflt;
  if (!Number.isInteger(x) || (x as number) < min) throw argError(what, `opts.${arg}`, `an integer >= ${min}`, x, RangeError);
  return x as number;
}

/** The eigensolver's options, checked and defaulted; `what` names the caller in errors. */
function eighSettings(what: string, opts: RandomizedEighOptions, n: number, kName = 'k') {
  const k = intOption(what, (opts as Record<string, unknown>)[kName], kName, 8, 1);
  if (k > n) throw argErrorText(what, `opts.${kName}`, `at most the operator's size ${n}`, `${k}`, RangeError);
  const oversample = intOption(what, opts.oversample, 'oversample', 8, 0);
  return {
    k,
    l: Math.min(k + oversample, n),
    q: intOption(what, opts.powerIterations, 'powerIterations', 2, 0),
    seed: intOption(what, opts.seed, 'seed', 0, 0),
  };
}

/** Leading eigenpairs of the PSD operator behind `matvec` (size n). */
export async function randomizedEigh(matvec: BlockMatvec, n: number, opts: RandomizedEighOptions = {}): Promise<EighResult> {
  if (typeof matvec !== 'function') throw argError(WHAT, 'matvec', 'a function X [l, n] => A X [l, n]', matvec);
  if (!Number.isInteger(n) || n < 1) throw argError(WHAT, 'n', 'a positive integer', n, RangeError);
  checkOptions(opts, EIGH_OPTIONS, WHAT);
  const s = eighSettings(WHAT, opts, n);
  return eighCore(matvec, n, s, WHAT);
}

/** The solver after its arguments were checked (gaussNewtonEigs calls it with its own name). */
async function eighCore(
  matvec: BlockMatvec,
  n: number,
  { k, l, q, seed }: { k: number; l: number; q: number; seed: number },
  what: string,
): Promise<EighResult> {
  const products = { blocks: 0, columns: 0 };
  /** A V for host columns V: one upload, one matvec, one read-back. */
  const apply = async (V: readonly Float64Array[]): Promise<Float64Array[]> => {
    const packed = new Float32Array(l * n);
    V.forEach((c, j) => packed.set(c, j * n));
    const X = tensor(packed, { shape: [l, n] });
    let Y: Tensor;
    try {
      Y = await matvec(X);
    } finally {
      X.dispose();
    }
    if (!(Y instanceof Tensor) || Y.shape.join() !== `${l},${n}`)
      throw argError(what, "matvec's result", `a tensor of shape [${l}, ${n}]`, Y, Error);
    const host = await Y.data();
    Y.dispose();
    products.blocks++;
    products.columns += l;
    return Array.from({ length: l }, (_, j) => Float64Array.from(host.subarray(j * n, (j + 1) * n) as Float32Array));
  };

  const rng = new Rng(seed);
  const omega = Array.from({ length: l }, () => Float64Array.from({ length: n }, () => rng.normal()));
  let Q = qr(await apply(omega), seed + 1).Q;
  for (let it = 0; it < q; it++) Q = qr(await apply(Q), seed + 2 + it).Q;
  const Z = await apply(Q);
  const dot = (a: Float64Array, b: Float64Array): number => a.reduce((acc, v, i) => acc + v * b[i]!, 0);
  // B = Q^T A Q, symmetrized: float32 products leave it symmetric only to round-off.
  const B = new Float64Array(l * l);
  for (let i = 0; i < l; i++) for (let j = 0; j < l; j++) B[i * l + j] = 0.5 * (dot(Q[i]!, Z[j]!) + dot(Q[j]!, Z[i]!));
  // For symmetric B the left singular vectors are eigenvectors; the Rayleigh quotient restores the
  // sign a singular value drops (a round-off-level negative eigenvalue of the PSD operator).
  const { U } = smallSvd(B, l);
  const pairs = U.map((u) => {
    let lam = 0;
    for (let i = 0; i < l; i++) for (let j = 0; j < l; j++) lam += u[i]! * B[i * l + j]! * u[j]!;
    return { lam, u };
  }).sort((a, b) => b.lam - a.lam);
  const combine = (cols: readonly Float64Array[], u: Float64Array): Float64Array => {
    const out = new Float64Array(n);
    for (let j = 0; j < l; j++) for (let i = 0; i < n; i++) out[i] = out[i]! + cols[j]![i]! * u[j]!;
    return out;
  };
  const top = pairs.slice(0, k);
  const lam1 = Math.abs(top[0]!.lam) || 1;
  const vectors: Float64Array[] = [];
  const residuals = new Float64Array(k);
  top.forEach(({ lam, u }, i) => {
    const v = combine(Q, u);
    const av = combine(Z, u); // A v, from the products already taken
    let big = 0;
    for (let c = 0; c < n; c++) if (Math.abs(v[c]!) > Math.abs(v[big]!)) big = c;
    const sign = v[big]! < 0 ? -1 : 1;
    let r2 = 0;
    for (let c = 0; c < n; c++) {
      r2 += (av[c]! - lam * v[c]!) ** 2;
      v[c] = sign * v[c]!;
    }
    residuals[i] = Math.sqrt(r2) / lam1;
    vectors.push(v);
  });
  return { values: Float64Array.from(top, (p) => p.lam), vectors, residuals, products };
}

export interface GaussNewtonEigsOptions extends Omit<RandomizedEighOptions, 'k'> {
  /** Directions wanted (the paper uses 8 and 64). Default 8. */
  r?: number;
  /** The model each pair's Jacobian is taken at: the background m0 (default; RTM migrates there) or the true m. */
  jacobianAt?: 'm0' | 'm';
  /**
   * A model-space weight W [nz, nx] (e.g. a top mute and depth scaling of the images): the
   * eigenvectors of (1/P) sum W J^T J W, the Hessian of images weighted by W. Default none.
   */
  weight?: Tensor;
}
const GN_OPTIONS = optionNames<GaussNewtonEigsOptions>()('r', 'oversample', 'powerIterations', 'seed', 'jacobianAt', 'weight');

export interface ModelPair {
  /** True model [nz, nx] (velocity). */
  m: Tensor;
  /** Background model [nz, nx] (velocity). */
  m0: Tensor;
}

/**
 * The r leading eigenpairs of the averaged Gauss-Newton Hessian H = (1/P) sum_p J_p^T J_p over
 * the pairs (the paper's E[J^T J]), J_p the Jacobian of acoustic2d in velocity at m0_p (or m_p),
 * from batched Born and adjoint products: H is never formed. Vectors are over the nz * nx cells.
 */
export async function gaussNewtonEigs(
  pairs: readonly ModelPair[],
  acousticOpts: Acoustic2dOptions,
  opts: GaussNewtonEigsOptions = {},
): Promise<EighResult> {
  const what = 'gaussNewtonEigs(pairs, acousticOpts, opts)';
  if (!Array.isArray(pairs) || pairs.length === 0) throw argError(what, 'pairs', 'a non-empty array of { m, m0 } models', pairs, Error);
  checkOptions(opts, GN_OPTIONS, what);
  const at = opts.jacobianAt ?? 'm0';
  if (at !== 'm0' && at !== 'm') throw argError(what, 'opts.jacobianAt', "'m0' or 'm'", at, Error);
  const models = pairs.map((p, i) => modelTensor(what, `pairs[${i}].${at}`, (p as Partial<ModelPair> | null)?.[at]));
  const shape = models[0]!.shape;
  models.forEach((t, i) => {
    if (t.shape.join() !== shape.join())
      throw argErrorText(what, `pairs[${i}].${at}`, `shape ${fmt(shape)} (as pairs[0])`, fmt(t.shape), Error);
  });
  const n = shape[0]! * shape[1]!;
  const s = eighSettings(what, opts, n, 'r');
  const W = opts.weight;
  if (W !== undefined && (!(W instanceof Tensor) || W.isDisposed || W.dtype !== 'float32' || W.shape.join() !== shape.join()))
    throw argError(what, 'opts.weight', `a live float32 tensor ${fmt(shape)} (the models' shape)`, W, Error);
  const matvec = (X: Tensor): Tensor => {
    const D = W ? tidy(() => mul(reshape(X, [X.shape[0]!, ...shape]), W)) : reshape(X, [X.shape[0]!, ...shape]);
    let acc: Tensor | null = null;
    for (const v of models) {
      const hv = W ? tidy(() => mul(normalEach(v, v, D, acousticOpts), W)) : normalEach(v, v, D, acousticOpts);
      const next: Tensor = acc ? add(acc, hv) : hv;
      if (acc) [acc, hv].forEach((t) => t.dispose());
      acc = next;
    }
    D.dispose();
    const out = mul(reshape(acc!, [X.shape[0]!, n]), 1 / models.length);
    acc!.dispose();
    return out;
  };
  return eighCore(matvec, n, s, what);
}
