// Second-order forward-mode (Taylor) propagation along coordinate axes: a Jet holds a value
// v [N, h] and, for K chosen input axes, the first and second derivatives along each axis,
// stacked as d1 [K, N, h] and d2 [K, N, h] (null meaning zero). Each op applies the chain rule
// in ordinary differentiable tensor ops, so reverse mode over a jet gives the parameter
// gradient of a PDE residual with one tape level, not the three that grad(grad(u)) inside a
// loss needs. A linear layer costs three matmuls whatever K is (the K directions are one
// batched matmul), and the first layer's derivative inputs have N = 1 (they do not depend on
// the point). Pure second derivatives u_kk are what the wave, Helmholtz and Laplace operators
// need; mixed derivatives are not tracked.
import type { Tensor } from '../../graph/tensor.js';
import { add, concat, cos, exp, matmul, mul, neg, reshape, sin, slice, square, sub, tanh, tensorConst } from './ops.js';

export class Jet {
  constructor(
    /** Value [N, h]. */
    readonly v: Tensor,
    /** First derivatives along the tracked axes, [K, N or 1, h]; null when zero. */
    readonly d1: Tensor | null,
    /** Second derivatives along the tracked axes, [K, N or 1, h]; null when zero. */
    readonly d2: Tensor | null,
  ) {}

  /** The input jet of points X [N, d], tracking `axes`, with the affine map y = (x - shift) * scale applied per coordinate. */
  static input(X: Tensor, axes: readonly number[], shift?: readonly number[], scale?: readonly number[]): Jet {
    const d = X.shape[1]!;
    const sc = scale ?? Array<number>(d).fill(1);
    const sh = shift ?? Array<number>(d).fill(0);
    const v = mul(sub(X, tensorConst(sh, [1, d])), tensorConst(sc, [1, d]));
    // d(y_j)/d(x_k) = scale_k [j = k]; constant over points.
    const e = new Float32Array(axes.length * d);
    axes.forEach((k, i) => (e[i * d + k] = sc[k]!));
    return new Jet(v, axes.length ? tensorConst(e, [axes.length, 1, d]) : null, null);
  }

  /** A jet with no dependence on the inputs. */
  static constant(v: Tensor): Jet {
    return new Jet(v, null, null);
  }

  /** x W + b (W [in, out], b [out] or null): linear, so derivatives map through W alone. */
  linear(W: Tensor, b: Tensor | null): Jet {
    const v = matmul(this.v, W);
    return new Jet(b ? add(v, b) : v, this.d1 && matmul(this.d1, W), this.d2 && matmul(this.d2, W));
  }

  /** An elementwise function with value f, first derivative f1 and second derivative f2 (tensors at v). */
  map(f: Tensor, f1: Tensor, f2: Tensor): Jet {
    if (!this.d1) return new Jet(f, null, null);
    const d1 = mul(f1, this.d1);
    const curv = mul(f2, square(this.d1));
    return new Jet(f, d1, this.d2 ? add(mul(f1, this.d2), curv) : curv);
  }

  tanh(): Jet {
    const s = tanh(this.v);
    const f1 = sub(1, square(s));
    return this.map(s, f1, mul(mul(s, f1), -2));
  }
  sin(): Jet {
    const s = sin(this.v);
    const c = cos(this.v);
    return this.map(s, c, neg(s));
  }
  cos(): Jet {
    const s = sin(this.v);
    const c = cos(this.v);
    return this.map(c, neg(s), neg(c));
  }
  exp(): Jet {
    const e = exp(this.v);
    return this.map(e, e, e);
  }
  square(): Jet {
    return this.mul(this);
  }

  /** Product rule: (ab)' = a'b + ab', (ab)'' = a''b + 2a'b' + ab''. Broadcasts over the last axis. */
  mul(o: Jet | number): Jet {
    if (typeof o === 'number') return new Jet(mul(this.v, o), this.d1 && mul(this.d1, o), this.d2 && mul(this.d2, o));
    const a = this;
    const v = mul(a.v, o.v);
    const d1 = sum2(a.d1 && mul(a.d1, o.v), o.d1 && mul(a.v, o.d1));
    const cross = a.d1 && o.d1 ? mul(mul(a.d1, o.d1), 2) : null;
    const d2 = sum2(sum2(a.d2 && mul(a.d2, o.v), o.d2 && mul(a.v, o.d2)), cross);
    return new Jet(v, d1, d2);
  }
  add(o: Jet | number): Jet {
    if (typeof o === 'number') return new Jet(add(this.v, o), this.d1, this.d2);
    return new Jet(add(this.v, o.v), sum2(this.d1, o.d1), sum2(this.d2, o.d2));
  }
  sub(o: Jet | number): Jet {
    return this.add(typeof o === 'number' ? -o : o.mul(-1));
  }

  /** Columns [start, end) of the last axis. */
  cols(start: number, end = start + 1): Jet {
    const s = (t: Tensor | null): Tensor | null => t && slice(t, t.rank === 2 ? [null, [start, end]] : [null, null, [start, end]]);
    return new Jet(s(this.v)!, s(this.d1), s(this.d2));
  }
  /** Concatenation along the last axis. */
  static concat(js: readonly Jet[]): Jet {
    const n = js[0]!.v.shape[0]!;
    const k = js.find((j) => j.d1 || j.d2)?.d1?.shape[0] ?? js.find((j) => j.d2)?.d2?.shape[0];
    const full = (t: Tensor | null, j: Jet): Tensor => {
      const h = j.v.shape[1]!;
      if (!t) return tensorConst(new Float32Array(k! * n * h), [k!, n, h]);
      return t.shape[1] === n ? t : mul(t, tensorConst(new Float32Array(n).fill(1), [1, n, 1]));
    };
    const v = concat(
      js.map((j) => j.v),
      1,
    );
    if (k === undefined) return new Jet(v, null, null);
    const d1 = js.some((j) => j.d1)
      ? concat(
          js.map((j) => full(j.d1, j)),
          2,
        )
      : null;
    const d2 = js.some((j) => j.d2)
      ? concat(
          js.map((j) => full(j.d2, j)),
          2,
        )
      : null;
    return new Jet(v, d1, d2);
  }

  /** The value as [N] (single-column jets). */
  value(): Tensor {
    return reshape(this.v, [this.v.shape[0]!]);
  }
  /** d/dx_k of the value, [N], where i is the index of k among the tracked axes. */
  first(i: number): Tensor | null {
    return this.d1 && reshape(slice(this.d1, [[i, i + 1]]), [-1]);
  }
  /** d^2/dx_k^2 of the value, [N]. */
  second(i: number): Tensor | null {
    return this.d2 && reshape(slice(this.d2, [[i, i + 1]]), [-1]);
  }
}

function sum2(a: Tensor | null, b: Tensor | null): Tensor | null {
  return a && b ? add(a, b) : (a ?? b);
}
