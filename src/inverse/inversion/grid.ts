// Difference operators on the [nz, nx] cell grid of a 2-D tensor mesh, written as slices and
// zero pads of differentiable ops (no matrices): the first differences G_x, G_z divided by the
// distance between cell centres, their adjoints, the finite-volume Laplacian with zero flux at the
// boundary, and the column sums of c F^2 that Jacobi preconditioners need.
import type { Tensor } from '../../graph/tensor.js';
import { tensor } from '../../ops/creation.js';
import { add, mul, pad, slice, square, sub } from '../../autodiff/ops.js';
import type { MeshGeometry } from './mesh.js';

/** u padded with one zero before (`before`) or after it along x (axis 1) or z (axis 0). */
const padX = (u: Tensor, before: boolean): Tensor => pad(u, [[0, 0], before ? [1, 0] : [0, 1]]);
const padZ = (u: Tensor, before: boolean): Tensor => pad(u, [before ? [1, 0] : [0, 1], [0, 0]]);

export class GridDifferences {
  readonly nx: number;
  readonly nz: number;
  /** Cell areas [nz, nx]. */
  readonly area: Tensor;
  readonly invHx: Tensor;
  readonly invHz: Tensor;
  /** 1 / (distance between neighbouring centres): [1, nx - 1] and [nz - 1, 1]; null for a single column / row. */
  readonly invDx: Tensor | null;
  readonly invDz: Tensor | null;

  constructor(g: MeshGeometry) {
    const { nx, nz } = g;
    [this.nx, this.nz] = [nx, nz];
    const f32 = (v: ArrayLike<number>, shape: number[]): Tensor => tensor(Float32Array.from(v), { shape });
    const inv = (v: Float64Array): Float64Array => v.map((h) => 1 / h);
    this.area = f32(g.area, [nz, nx]);
    this.invHx = f32(inv(g.hx), [1, nx]);
    this.invHz = f32(inv(g.hz), [nz, 1]);
    this.invDx = nx > 1 ? f32(inv(g.dxc), [1, nx - 1]) : null;
    this.invDz = nz > 1 ? f32(inv(g.dzc), [nz - 1, 1]) : null;
  }

  /** (m_{j+1} - m_j) / dx per internal x-face, [nz, nx - 1]. */
  gradX(m: Tensor): Tensor {
    return mul(sub(slice(m, [null, [1, this.nx]]), slice(m, [null, [0, this.nx - 1]])), this.invDx!);
  }
  gradXT(y: Tensor): Tensor {
    const u = mul(y, this.invDx!);
    return sub(padX(u, true), padX(u, false));
  }
  /** (m_{i+1} - m_i) / dz per internal z-face, [nz - 1, nx]. */
  gradZ(m: Tensor): Tensor {
    return mul(sub(slice(m, [[1, this.nz]]), slice(m, [[0, this.nz - 1]])), this.invDz!);
  }
  gradZT(y: Tensor): Tensor {
    const u = mul(y, this.invDz!);
    return sub(padZ(u, true), padZ(u, false));
  }

  /** Cell-centred Laplacian: per cell, (flux out minus flux in) / width along each axis; zero flux at the boundary. */
  laplacian(m: Tensor): Tensor {
    let out: Tensor = mul(m, 0);
    if (this.invDx) {
      const q = this.gradX(m);
      out = add(out, mul(sub(padX(q, false), padX(q, true)), this.invHx));
    }
    if (this.invDz) {
      const q = this.gradZ(m);
      out = add(out, mul(sub(padZ(q, false), padZ(q, true)), this.invHz));
    }
    return out;
  }
  laplacianT(y: Tensor): Tensor {
    const { nx, nz } = this;
    let out: Tensor = mul(y, 0);
    if (this.invDx) {
      const s = mul(y, this.invHx);
      out = add(out, this.gradXT(sub(slice(s, [null, [0, nx - 1]]), slice(s, [null, [1, nx]]))));
    }
    if (this.invDz) {
      const s = mul(y, this.invHz);
      out = add(out, this.gradZT(sub(slice(s, [[0, nz - 1]]), slice(s, [[1, nz]]))));
    }
    return out;
  }

  /** Column sums of c_i G_ij^2 for G = G_x with per-face c [nz, nx - 1]: each face touches its two cells. */
  spreadX(c: Tensor): Tensor {
    const u = mul(c, square(this.invDx!));
    return add(padX(u, true), padX(u, false));
  }
  spreadZ(c: Tensor): Tensor {
    const u = mul(c, square(this.invDz!));
    return add(padZ(u, true), padZ(u, false));
  }

  /** Column sums of c_i L_ij^2 for the Laplacian: its diagonal entry at j plus its four neighbours' entries in column j. */
  laplacianDiagonal(c: Tensor): Tensor {
    const { nx, nz } = this;
    let diag: Tensor = mul(c, 0); // |L_jj|, summed over the axes before squaring
    let off: Tensor = mul(c, 0);
    if (this.invDx) {
      // |L_jj| (x part) = (1/dx_{j-1/2} + 1/dx_{j+1/2}) / hx_j; L_{j-1, j} = (1/dx_{j-1/2}) / hx_{j-1}, L_{j+1, j} = (1/dx_{j+1/2}) / hx_{j+1}.
      diag = add(diag, mul(add(padX(this.invDx, true), padX(this.invDx, false)), this.invHx));
      const cOverH2 = mul(c, square(this.invHx));
      const fromLeft = mul(slice(cOverH2, [null, [0, nx - 1]]), square(this.invDx));
      const fromRight = mul(slice(cOverH2, [null, [1, nx]]), square(this.invDx));
      off = add(off, add(padX(fromLeft, true), padX(fromRight, false)));
    }
    if (this.invDz) {
      diag = add(diag, mul(add(padZ(this.invDz, true), padZ(this.invDz, false)), this.invHz));
      const cOverH2 = mul(c, square(this.invHz));
      const fromAbove = mul(slice(cOverH2, [[0, nz - 1]]), square(this.invDz));
      const fromBelow = mul(slice(cOverH2, [[1, nz]]), square(this.invDz));
      off = add(off, add(padZ(fromAbove, true), padZ(fromBelow, false)));
    }
    return add(mul(c, square(diag)), off);
  }

  dispose(): void {
    for (const t of [this.area, this.invHx, this.invHz, this.invDx, this.invDz]) t?.dispose();
  }
}
