// Leading singular values and left singular vectors of J = d fn(w) / dw, the Jacobian of a model
// (e.g. a neural field's output over the cells) with respect to the network's weights, without
// forming J: randomized subspace iteration (Halko, Martinsson & Tropp 2011, algorithm 4.4).
//   Y = J Omega (Omega Gaussian, P x l, l = k + oversample); Q = orth(Y)
//   repeat q times: Z = orth(J^T Q); Q = orth(J Z)
//   B^T = J^T Q = Q_z R (thin QR); R^T = W S X^T (one-sided Jacobi); J ~ (Q W) S (Q_z X)^T.
// J V columns come from tl.jvp, J^T U columns from one tl.vjp forward pass and l pullbacks; the
// products run in float32 on the device, and each block is read back once. The small dense work
// (QR, SVD) is float64 on the host; the SVD works on R, not on B B^T, so the relative accuracy of
// the smaller singular values is not squared away.
import { Tensor, tidy } from '../../graph/tensor.js';
import { argError, argErrorText, checkOptions, optionNames } from '../../graph/options.js';
import { tensor } from '../../ops/creation.js';
import { concat, reshape, slice, stack } from '../../autodiff/ops.js';
import { jvp, vjp } from '../../autodiff/transforms.js';
import { flatten, unflatten } from '../../graph/tree.js';
import { Rng } from '../pinn/sampling.js';
import { qr, smallSvd } from '../linalg-host.js';

export interface JacobianSvdOptions {
  /** Singular triplets wanted. Default 10. */
  k?: number;
  /** Extra random directions (l = k + oversample). Default 10. */
  oversample?: number;
  /** Subspace (power) iterations q. Default 2. */
  powerIterations?: number;
  /** Seed of Omega. Default 0. */
  seed?: number;
}
const OPTIONS = optionNames<JacobianSvdOptions>()('k', 'oversample', 'powerIterations', 'seed');

export interface JacobianSvdResult {
  /** The k leading singular values, descending. */
  values: Float64Array;
  /** The k left singular vectors (length = fn's output size, e.g. one value per cell); each has its largest-magnitude entry positive. */
  vectors: Float64Array[];
  /** fn's output size (rows of J) and the parameter count (columns). */
  rows: number;
  columns: number;
  /** Products used: J v (jvp) and J^T u (pullbacks). */
  products: { jvp: number; vjp: number };
}

const WHAT = 'jacobianSvd(fn, params, opts)';

/** Host columns -> one float32 array [cols.length, len]. */
function pack(cols: readonly Float64Array[], len: number): Float32Array {
  const out = new Float32Array(cols.length * len);
  cols.forEach((c, j) => out.set(c, j * len));
  return out;
}

/** Singular values / left singular vectors of J = d fn(params) / d params; params is a pytree of float32 tensors. */
export async function jacobianSvd(
  fn: (params: never) => Tensor,
  params: unknown,
  opts: JacobianSvdOptions = {},
): Promise<JacobianSvdResult> {
  if (typeof fn !== 'function') throw argError(WHAT, 'fn', 'a function params => Tensor', fn);
  checkOptions(opts, OPTIONS, WHAT);
  const int = (v: unknown, arg: string, dflt: number, min: number): number => {
    const x = v ?? dflt;
    if (!Number.isInteger(x) || (x as number) < min) throw argError(WHAT, `opts.${arg}`, `an integer >= ${min}`, x, RangeError);
    return x as number;
  };
  const k0 = int(opts.k, 'k', 10, 1);
  const oversample = int(opts.oversample, 'oversample', 10, 0);
  const q = int(opts.powerIterations, 'powerIterations', 2, 0);
  const seed = int(opts.seed, 'seed', 0, 0);
  const { treedef, leaves, paths } = flatten(params, { root: 'params', what: WHAT, tensorsOnly: true });
  if (leaves.length === 0) throw argErrorText(WHAT, 'params', 'a pytree with at least one tensor', 'none', Error);
  leaves.forEach((t, i) => {
    if (t.dtype !== 'float32' || t.isDisposed) throw argError(WHAT, paths[i]!, 'a live float32 tensor', t, Error);
  });
  const sizes = leaves.map((t) => t.size);
  const P = sizes.reduce((a, b) => a + b, 0);
  const f = (...ls: Tensor[]): Tensor => {
    const out = (fn as (p: unknown) => unknown)(unflatten(treedef, ls));
    if (!(out instanceof Tensor) || out.dtype !== 'float32')
      throw argError(WHAT, "fn's result", 'a float32 tensor (the model)', out, Error);
    return reshape(out, [-1]);
  };
  const probe = tidy(() => f(...leaves));
  const n = probe.size;
  probe.dispose();
  if (k0 > Math.min(n, P))
    throw argErrorText(WHAT, 'opts.k', `at most min(rows, columns) = ${Math.min(n, P)}`, `${k0} (J is ${n} x ${P})`, RangeError);
  const l = Math.min(k0 + oversample, n, P);
  const products = { jvp: 0, vjp: 0 };

  // Columns of a host matrix [l][len] <- rows of a device [l, len] tensor, read back once.
  const readRows = async (t: Tensor, len: number): Promise<Float64Array[]> => {
    const host = await t.data();
    t.dispose();
    return Array.from({ length: l }, (_, j) => Float64Array.from(host.subarray(j * len, (j + 1) * len) as Float32Array));
  };
  /** J V for V = l vectors of length P. */
  const jMul = async (V: Float64Array[]): Promise<Float64Array[]> => {
    const Vt = tensor(pack(V, P), { shape: [l, P] });
    // One tidy per product, so a product's intermediates are released before the next one runs.
    const ys: Tensor[] = [];
    for (let j = 0; j < l; j++) {
      ys.push(
        tidy(() => {
          let o = 0;
          const tangents = leaves.map((x, i) => {
            const t = reshape(
              slice(Vt, [
                [j, j + 1],
                [o, o + sizes[i]!],
              ]),
              x.shape,
            );
            o += sizes[i]!;
            return t;
          });
          const [out, y] = jvp(f, leaves, tangents);
          out.dispose();
          return y;
        }),
      );
      products.jvp++;
    }
    const Y = tidy(() => stack(ys));
    ys.forEach((y) => y.dispose());
    Vt.dispose();
    return readRows(Y, n);
  };
  /** J^T U for U = l vectors of length n: one forward pass, l pullbacks. */
  const jtMul = async (U: Float64Array[]): Promise<Float64Array[]> => {
    const [out, pull] = vjp(f, ...leaves);
    let Z: Tensor;
    try {
      const Ut = tensor(pack(U, n), { shape: [l, n] });
      const zs: Tensor[] = [];
      for (let j = 0; j < l; j++) {
        zs.push(tidy(() => concat(pull(reshape(slice(Ut, [[j, j + 1]]), [n])).map((g) => reshape(g, [-1])))));
        products.vjp++;
      }
      Z = tidy(() => stack(zs));
      zs.forEach((z) => z.dispose());
      Ut.dispose();
    } finally {
      pull.dispose();
      (out as Tensor).dispose();
    }
    return readRows(Z, P);
  };

  const rng = new Rng(seed);
  const omega = Array.from({ length: l }, () => Float64Array.from({ length: P }, () => rng.normal()));
  let Q = qr(await jMul(omega), seed + 1).Q;
  for (let it = 0; it < q; it++) {
    const Z = qr(await jtMul(Q), seed + 2 + 2 * it).Q;
    Q = qr(await jMul(Z), seed + 3 + 2 * it).Q;
  }
  const { R } = qr(await jtMul(Q), seed + 2 + 2 * q);
  // B = Q^T J = R^T Q_z^T: left singular vectors of B are those of R^T.
  const Rt = new Float64Array(l * l);
  for (let i = 0; i < l; i++) for (let j = 0; j < l; j++) Rt[i * l + j] = R[j * l + i]!;
  const { s, U: W } = smallSvd(Rt, l);
  const vectors = W.slice(0, k0).map((w) => {
    const u = new Float64Array(n);
    for (let j = 0; j < l; j++) for (let i = 0; i < n; i++) u[i] = u[i]! + Q[j]![i]! * w[j]!;
    let big = 0;
    for (let i = 0; i < n; i++) if (Math.abs(u[i]!) > Math.abs(u[big]!)) big = i;
    if (u[big]! < 0) for (let i = 0; i < n; i++) u[i] = -u[i]!;
    return u;
  });
  return { values: s.slice(0, k0), vectors, rows: n, columns: P, products };
}
