// Sampling checks of explicit wave solvers: the velocity bounds they are checked against, the CFL
// limit of leapfrog time stepping, and the spatial resolution of the source's band.
import { fail, maxVelocity, positive, warnOnce } from './validate.js';
import { argError } from '../../graph/options.js';
import { highestFrequency } from './wavelets.js';

export interface VelocityBounds {
  /** v_max of the PML profile: maxVel when given (Deepwave's max_vel), else the model's maximum. */
  vmax: number;
  /** The velocity the CFL limit is checked against: the model's maximum when the host knows it, else maxVel. */
  vstable: number;
}

/**
 * Bounds of the velocity model `name` ([rows, cols]): exact from host values, otherwise the caller's
 * `maxVel`, which is then required (the maximum of a GPU-computed model needs a read-back).
 */
export function velocityBounds(op: string, name: string, host: ArrayLike<number> | null, cols: number, maxVel: unknown): VelocityBounds {
  if (host) {
    const hi = maxVelocity(op, name, host, cols);
    if (maxVel === undefined) return { vmax: hi, vstable: hi };
    const bound = positive(op, 'maxVel', maxVel);
    if (hi > bound) throw argError(op, 'maxVel', `a number >= the model's largest velocity (${hi})`, bound, Error);
    return { vmax: bound, vstable: hi };
  }
  if (maxVel === undefined)
    fail(
      op,
      `${name} was computed on the GPU, so its largest value is not known without a read-back: pass { maxVel } (an upper bound of ${name}, used by the CFL check and the PML profile)`,
    );
  const bound = positive(op, 'maxVel', maxVel);
  return { vmax: bound, vstable: bound };
}

/**
 * Largest stable dt of second-order (leapfrog) time stepping with a central second-derivative
 * stencil `second` (weights for distance 0..R) on each axis: 2 / (v·√(S·Σ 1/h²)), S = |a₀| + 2Σ|a_k|.
 */
export function cflLimit(second: readonly number[], spacings: readonly number[], vmax: number): number {
  const s = Math.abs(second[0]!) + 2 * second.slice(1).reduce((a, b) => a + Math.abs(b), 0);
  return 2 / (vmax * Math.sqrt(s * spacings.reduce((a, h) => a + 1 / (h * h), 0)));
}

/** Refuses a dt above `limit`, naming the largest stable dt and what set it (`scheme`, `detail`). */
export function checkCfl(op: string, dt: number, limit: number, scheme: string, detail: string): void {
  if (dt > limit) fail(op, `dt = ${dt} exceeds the CFL limit for ${scheme}: the largest stable dt is ${limit.toPrecision(6)} (${detail})`);
}

/**
 * Warns (once per message) below 6 cells per shortest wavelength (Deepwave's advice): the slowest
 * velocity over the highest frequency of `trace` (a source's samples at `dt`), against the coarsest spacing.
 */
export function warnResolution(op: string, trace: ArrayLike<number>, dt: number, velocities: ArrayLike<number>, spacing: number): void {
  const fmax = highestFrequency(trace, dt);
  if (fmax === null) return;
  let vmin = Infinity;
  for (let i = 0; i < velocities.length; i++) vmin = Math.min(vmin, velocities[i]!);
  const cells = vmin / fmax / spacing;
  if (cells < 6)
    warnOnce(
      `tellus: ${op}: only ${cells.toFixed(1)} cells per shortest wavelength (v = ${vmin}, f = ${fmax.toFixed(1)} Hz); below 6 the result is dispersed`,
    );
}
