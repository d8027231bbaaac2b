// Modified Bessel functions of the second kind K0 and K1 in float64, exponentially scaled
// (k0e(x) = e^x K0(x)) so that the Robin ratio K1/K0 and the ky quadrature stay finite for large
// arguments. Two independent methods: the ascending series (A&S 9.6.13, 9.6.11) for x <= 2, where
// it loses at most ~1.5 digits to cancellation, and for x > 2 the integral
// e^x K_nu(x) = int_0^inf exp(-x (cosh t - 1)) cosh(nu t) dt by the trapezoidal rule, which
// converges geometrically (the integrand is entire and decays in the strip |Im t| < pi/2; with step
// min(0.2, 0.5 / sqrt(x)) the discretization error is below ~1e-17 relative).

const EULER_GAMMA = 0.5772156649015329;

/** I0, I1 and the two K series sums at x <= 2 (terms fall below 1e-17 of the sum within ~15 terms). */
function seriesK(x: number): [number, number] {
  const q = (x * x) / 4;
  const lg = Math.log(x / 2);
  let term0 = 1; // (q^k / k!^2)
  let term1 = x / 2; // (x/2) q^k / (k! (k+1)!)
  let i0 = 0;
  let i1 = 0;
  let s0 = 0; // sum psi(k+1) q^k / k!^2
  let s1 = 0; // sum (psi(k+1) + psi(k+2)) (x/2) q^k / (k!(k+1)!)
  let psi = -EULER_GAMMA; // psi(k+1)
  for (let k = 0; k < 40; k++) {
    const psiNext = psi + 1 / (k + 1);
    i0 += term0;
    i1 += term1;
    s0 += psi * term0;
    s1 += (psi + psiNext) * term1;
    if (term0 < 1e-18 * i0 && k > 2) break;
    term0 *= q / ((k + 1) * (k + 1));
    term1 *= q / ((k + 1) * (k + 2));
    psi = psiNext;
  }
  const k0 = -lg * i0 + s0;
  const k1 = 1 / x + lg * i1 - s1 / 2;
  return [k0, k1];
}

/** e^x K0(x) and e^x K1(x) by the trapezoidal rule on the cosh integral (x > 2). */
function integralK(x: number): [number, number] {
  // The integrand is ~exp(-x t^2 / 2) near 0: the step shrinks with its width so that the
  // trapezoid error ~exp(-2 pi^2 / (x h^2)) stays below 1e-17.
  const h = Math.min(0.2, 0.5 / Math.sqrt(x));
  let s0 = 0.5;
  let s1 = 0.5;
  for (let k = 1; ; k++) {
    const t = k * h;
    const f = Math.exp(-x * (Math.cosh(t) - 1));
    s0 += f;
    s1 += f * Math.cosh(t);
    if (f * Math.cosh(t) < 1e-18 * s1) break;
  }
  return [h * s0, h * s1];
}

function checkArg(fn: string, x: number): void {
  if (!(x > 0) || !Number.isFinite(x)) throw new RangeError(`tellus: ${fn}: x: expected a positive finite number, got ${x}`);
}

/** e^x K0(x), x > 0. */
export function besselK0e(x: number): number {
  checkArg('besselK0e', x);
  return x <= 2 ? seriesK(x)[0] * Math.exp(x) : integralK(x)[0];
}

/** e^x K1(x), x > 0. */
export function besselK1e(x: number): number {
  checkArg('besselK1e', x);
  return x <= 2 ? seriesK(x)[1] * Math.exp(x) : integralK(x)[1];
}

/** K0(x), x > 0 (underflows to 0 beyond x ~ 700). */
export function besselK0(x: number): number {
  checkArg('besselK0', x);
  return x <= 2 ? seriesK(x)[0] : integralK(x)[0] * Math.exp(-x);
}

/** K1(x), x > 0. */
export function besselK1(x: number): number {
  checkArg('besselK1', x);
  return x <= 2 ? seriesK(x)[1] : integralK(x)[1] * Math.exp(-x);
}
