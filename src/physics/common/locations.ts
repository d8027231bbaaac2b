// Source and receiver locations: [shot, n, 2] cell indices (z, x), as nested arrays or an int32
// tensor made from host data, checked against the grid and the number of shots.
import { Tensor } from '../../graph/tensor.js';
import { hostValues } from '../../ops/creation.js';
import { argError, argErrorText } from '../../graph/options.js';
import { fmt } from '../../graph/shape.js';
import { fail } from './validate.js';

/** Locations as nested arrays [shot][n][(z, x)] or an int32 tensor created from host data. */
export type Locations = Tensor | readonly (readonly (readonly number[])[])[];

export interface CellList {
  /** Locations per shot. */
  n: number;
  shots: number;
  /** (z, x) per shot and location, shot-major. */
  cells: [number, number][];
}

/**
 * Checks `loc` (argument `name` of `op`) on an nz x nx grid; `nshot`, when given, is the number of
 * shots it must have (set by `shotsFrom`, the argument that fixed it).
 */
export function locations(
  op: string,
  name: string,
  loc: Locations,
  grid: [number, number],
  nshot: number | null = null,
  shotsFrom = 'sourceAmplitudes',
): CellList {
  const [nz, nx] = grid;
  let flat: ArrayLike<number>;
  let shape: number[];
  if (loc instanceof Tensor) {
    if (loc.dtype !== 'int32') throw argError(op, name, 'an int32 tensor', loc, Error);
    const host = hostValues(loc);
    if (!host)
      fail(
        op,
        `${name}: locations must be known on the host; pass nested arrays or a tensor made with tensor(data) (this one was computed on the GPU)`,
      );
    flat = host;
    shape = [...loc.shape];
  } else if (Array.isArray(loc)) {
    const shots = loc as readonly (readonly (readonly number[])[])[];
    const n = shots[0]?.length ?? 0;
    for (const [s, row] of shots.entries()) {
      // [shot][n][2] with the same n for every shot.
      if (!Array.isArray(row) || row.length !== n)
        throw argError(op, `${name}[${s}]`, `an array of ${n} locations (as ${name}[0])`, row, Error);
      for (const [j, p] of row.entries())
        if (!Array.isArray(p) || p.length !== 2) throw argErrorText(op, `${name}[${s}][${j}]`, 'a pair (z, x)', JSON.stringify(p), Error);
    }
    flat = (shots as number[][][]).flat(2);
    shape = [shots.length, n, 2];
  } else {
    throw argError(op, name, 'nested arrays [shot][n][(z, x)] or an int32 tensor', loc, Error);
  }
  if (shape.length !== 3 || shape[2] !== 2) throw argErrorText(op, name, 'shape [shot, n, 2]', fmt(shape), Error);
  if (nshot !== null && shape[0] !== nshot) throw argErrorText(op, name, `${nshot} shots (as ${shotsFrom})`, `${shape[0]}`, Error);
  const cells: [number, number][] = [];
  for (let i = 0; i < flat.length; i += 2) {
    const z = flat[i]!;
    const x = flat[i + 1]!;
    if (!Number.isInteger(z) || !Number.isInteger(x) || z < 0 || z >= nz || x < 0 || x >= nx) {
      const s = Math.floor(i / 2 / shape[1]!);
      fail(op, `${name}: location (${z}, ${x}) of shot ${s} is outside the ${nz}x${nx} grid (z in [0, ${nz - 1}], x in [0, ${nx - 1}])`);
    }
    cells.push([z, x]);
  }
  return { n: shape[1]!, shots: shape[0]!, cells };
}

/** Whether each shot's cells are distinct (an adjoint can then inject them in parallel without races). */
export function distinctPerShot(cells: Int32Array, nshot: number): boolean {
  const per = cells.length / nshot;
  for (let s = 0; s < nshot; s++) {
    if (new Set(cells.subarray(s * per, (s + 1) * per)).size !== per) return false;
  }
  return true;
}
