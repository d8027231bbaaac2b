// Finite-difference weights of the acoustic stencil and the pipeline constants that carry them
// into acoustic.wgsl.
import { cflLimit as leapfrogLimit, positive } from '../common/index.js';
import { argError } from '../../graph/options.js';

export type Accuracy = 2 | 4 | 6 | 8;

/** 1D second-derivative weights for distance 0..R (symmetric) and first-derivative weights for 1..R (odd). */
export const SECOND: Record<Accuracy, number[]> = {
  2: [-2, 1],
  4: [-5 / 2, 4 / 3, -1 / 12],
  6: [-49 / 18, 3 / 2, -3 / 20, 1 / 90],
  8: [-205 / 72, 8 / 5, -1 / 5, 8 / 315, -1 / 560],
};
export const FIRST: Record<Accuracy, number[]> = {
  2: [1 / 2],
  4: [2 / 3, -1 / 12],
  6: [3 / 4, -3 / 20, 1 / 60],
  8: [4 / 5, -1 / 5, 4 / 105, -1 / 280],
};

/** The accuracy option of `op` (default 4). */
export function accuracyOf(op: string, accuracy: unknown = 4): Accuracy {
  if (!SECOND[accuracy as Accuracy]) throw argError(op, 'accuracy', '2, 4, 6 or 8', accuracy, Error);
  return accuracy as Accuracy;
}

/** Largest stable dt for second-order time stepping with the given spatial accuracy. */
export function cflLimit(accuracy: Accuracy, dx: number, dz: number, vmax: number): number {
  // vmax 0 would give an infinite limit that every dt passes.
  for (const [name, v] of [
    ['dx', dx],
    ['dz', dz],
    ['vmax', vmax],
  ] as const)
    positive('cflLimit', name, v);
  return leapfrogLimit(SECOND[accuracyOf('cflLimit', accuracy)], [dz, dx], vmax);
}

/** Pipeline constants: stencil radius R and the weights scaled by the spacings; unused distances stay 0. */
export function stencilOverrides(accuracy: Accuracy, dz: number, dx: number): Record<string, number> {
  const overrides: Record<string, number> = { R: accuracy / 2 };
  for (let k = 0; k <= 4; k++) {
    overrides[`Z${k}`] = (SECOND[accuracy][k] ?? 0) / (dz * dz);
    overrides[`X${k}`] = (SECOND[accuracy][k] ?? 0) / (dx * dx);
    if (k > 0) {
      overrides[`DZ${k}`] = (FIRST[accuracy][k - 1] ?? 0) / dz;
      overrides[`DX${k}`] = (FIRST[accuracy][k - 1] ?? 0) / dx;
    }
  }
  return overrides;
}
