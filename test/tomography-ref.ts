// An independent float64 reference for straight-ray lengths, written differently from
// src/physics/tomography/rays.ts (Siddon's merged crossings): every cell's box clips the segment
// (Liang-Barsky), O(rays x cells), so only for tiny meshes. Imports nothing from Tellus.
// The edge convention it implements (the one rays.ts documents): a ray running along an interior
// grid line gives each of the two cells sharing that line half of its chord there; along the
// mesh's outer boundary, the one cell inside gets all of it.

/** Length of the segment (xa, za) -> (xb, zb) inside the closed box [xl, xh] x [zl, zh]. */
export function clipLength(xa: number, za: number, xb: number, zb: number, xl: number, xh: number, zl: number, zh: number): number {
  const [dx, dz] = [xb - xa, zb - za];
  let [t0, t1] = [0, 1];
  // p t <= q for each of the four half-planes.
  for (const [p, q] of [
    [-dx, xa - xl],
    [dx, xh - xa],
    [-dz, za - zl],
    [dz, zh - za],
  ] as const) {
    if (p === 0) {
      if (q < 0) return 0;
      continue;
    }
    const t = q / p;
    if (p < 0) t0 = Math.max(t0, t);
    else t1 = Math.min(t1, t);
  }
  return t1 > t0 ? (t1 - t0) * Math.hypot(dx, dz) : 0;
}

/** Dense [rays, cells] lengths (rays source-major, cells row-major [nz, nx]) on nodes X, Z. */
export function denseRayLengths(X: number[], Z: number[], sources: number[], receivers: number[]): Float64Array {
  const [nx, nz] = [X.length - 1, Z.length - 1];
  const [ns, nr] = [sources.length / 2, receivers.length / 2];
  const G = new Float64Array(ns * nr * nx * nz);
  for (let s = 0; s < ns; s++)
    for (let r = 0; r < nr; r++) {
      const [xa, za, xb, zb] = [sources[2 * s]!, sources[2 * s + 1]!, receivers[2 * r]!, receivers[2 * r + 1]!];
      const row = (s * nr + r) * nx * nz;
      for (let iz = 0; iz < nz; iz++)
        for (let ix = 0; ix < nx; ix++) {
          const [xl, xh, zl, zh] = [X[ix]!, X[ix + 1]!, Z[iz]!, Z[iz + 1]!];
          let w = clipLength(xa, za, xb, zb, xl, xh, zl, zh);
          // On a shared edge both closed boxes hold the whole chord: halve it.
          const onInteriorX = xa === xb && ((xa === xl && ix > 0) || (xa === xh && ix < nx - 1));
          const onInteriorZ = za === zb && ((za === zl && iz > 0) || (za === zh && iz < nz - 1));
          if (onInteriorX || onInteriorZ) w *= 0.5;
          G[row + iz * nx + ix] = w;
        }
    }
  return G;
}
