// The band of the acoustic stencil around the interior box (acoustic.wgsl REGIONs 2-4: the PML,
// the R-cell margin beside it, and the free-surface rows) laid out for CPU adapters like
// acoustic-box.wgsl: one invocation owns four neighbouring cells of a row (one vec4), so every
// field, PML memory plane and x profile is read a whole vec4 at a time instead of one gathered
// lane per cell. Three dispatches cover the band: the rows above and below the box over the columns
// that meet no x-PML term (ZG), the same rows over the other columns (the corners: ZG and XG), and
// the box's rows beside it (XG). Lanes outside the inner columns [R, nxe - R) are ghosts: they
// compute garbage and store zero, which is what they hold.
// The arithmetic is acoustic.wgsl's, term by term and in the same order. Where that kernel takes
// the plain stencil (a cell whose stencil meets no PML), this one may take the general C-PML path
// for a whole vec4; the PML profiles a, b and db and the memory are exactly zero there, so both
// give the same float32 result (test/acoustic-variants.test.ts compares the two bitwise).
// Requires the padded row length to be a multiple of 4 and the box's columns to start and end on
// one (grid.ts), and the PML memory as four planes (acoustic.wgsl).

struct BandParams {
  nzp: u32,
  nxq: u32,          // row length in vec4s
  nshot: u32,
  nxe: u32,          // inner columns are [R, nxe - R)
  za: u32,           // this dispatch's rows: [za, za + nza) and [zb, zb + nzb)
  nza: u32,
  zb: u32,
  nzb: u32,
  qa: u32,           // its vec4 columns: [qa, qa + nqa) and [qb, qb + nqb)
  nqa: u32,
  qb: u32,
  nqb: u32,
}

// Which terms this dispatch compiles in (CPU adapters run both sides of every branch, so each part
// of the band is its own specialization): ZG the z C-PML terms (rows above and below the box), XG
// the x ones (columns beside it and the corners), FS the free-surface mirror (top rows only).
override ZG: bool = true;
override XG: bool = true;
override FS: bool = false;
override DW_SHOT: bool = false;  // Born's dw per shot (laid out like u) instead of one for all shots

override R: u32 = 2u;
override Z0: f32 = -2.0;
override Z1: f32 = 1.0;
override Z2: f32 = 0.0;
override Z3: f32 = 0.0;
override Z4: f32 = 0.0;
override X0: f32 = -2.0;
override X1: f32 = 1.0;
override X2: f32 = 0.0;
override X3: f32 = 0.0;
override X4: f32 = 0.0;
override DZ1: f32 = 0.5;
override DZ2: f32 = 0.0;
override DZ3: f32 = 0.0;
override DZ4: f32 = 0.0;
override DX1: f32 = 0.5;
override DX2: f32 = 0.0;
override DX3: f32 = 0.0;
override DX4: f32 = 0.0;

@group(0) @binding(0) var<uniform> b: BandParams;
@group(0) @binding(1) var<storage, read> w: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> prof: array<vec4<f32>>;        // ax, bx, dbx (nxq each), then (az, bz, dbz, 0) per row
@group(0) @binding(3) var<storage, read> u_cur: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> u_pn: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> aux_old: array<vec4<f32>>;     // planes psi_z, psi_x, zeta_z, zeta_x
@group(0) @binding(6) var<storage, read_write> aux_new: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> lap_out: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read> lap_in: array<vec4<f32>>;
@group(0) @binding(9) var<storage, read_write> grad_w: array<vec4<f32>>;
@group(0) @binding(10) var<storage, read> dw: array<vec4<f32>>;

fn wz(k: u32) -> f32 { return select(select(select(select(Z0, Z1, k == 1u), Z2, k == 2u), Z3, k == 3u), Z4, k == 4u); }
fn wdz(k: u32) -> f32 { return select(select(select(DZ1, DZ2, k == 2u), DZ3, k == 3u), DZ4, k == 4u); }

// The cells k to the right (left) of the four in c, given the vec4 r right (l left) of it.
fn right_of(c: vec4<f32>, r: vec4<f32>, k: u32) -> vec4<f32> {
  if (k == 1u) { return vec4<f32>(c.yzw, r.x); }
  if (k == 2u) { return vec4<f32>(c.zw, r.xy); }
  if (k == 3u) { return vec4<f32>(c.w, r.xyz); }
  return r;
}

fn left_of(l: vec4<f32>, c: vec4<f32>, k: u32) -> vec4<f32> {
  if (k == 1u) { return vec4<f32>(l.w, c.xyz); }
  if (k == 2u) { return vec4<f32>(l.zw, c.xy); }
  if (k == 3u) { return vec4<f32>(l.yzw, c.x); }
  return l;
}

struct Task {
  s: u32,
  z: u32,
  q: u32,
  i: u32,              // vec4 index of (s, z, q) in a field
  c0: u32,             // vec4 index of (s, 0, q): row r of the column is c0 + r nxq
  m: u32,              // vec4 index of (z, q) in w
  inner: vec4<bool>,   // lanes on inner columns
  ok: bool,
}

// a / d and a % d through a float division, for a + d < 2^22: exact there, since (a + 0.5) / d
// stays more than 0.5 / d from an integer. CPU adapters have no vector integer division: each lane
// would divide on its own, which cost more than the stencil.
fn divmod(a: u32, d: u32) -> vec2<u32> {
  let qt = u32((f32(a) + 0.5) / f32(d));
  return vec2<u32>(qt, a - qt * d);
}

// Task (row, column) of shot g.z; the host keeps (rows x columns) below 2^22.
fn task_of(g: vec3<u32>, nwg: vec3<u32>) -> Task {
  var t: Task;
  let r = g.x + g.y * nwg.x * 64u;
  let nq = b.nqa + b.nqb;
  let rk = divmod(r, max(nq, 1u));
  t.z = select(b.zb + rk.x - b.nza, b.za + rk.x, rk.x < b.nza);
  t.q = select(b.qb + rk.y - b.nqa, b.qa + rk.y, rk.y < b.nqa);
  t.s = g.z;
  t.ok = rk.x < b.nza + b.nzb && t.s < b.nshot;
  t.c0 = t.s * b.nzp * b.nxq + t.q;
  t.i = t.c0 + t.z * b.nxq;
  t.m = t.z * b.nxq + t.q;
  let x = vec4<u32>(4u * t.q) + vec4<u32>(0u, 1u, 2u, 3u);
  t.inner = (x >= vec4<u32>(R)) & (x < vec4<u32>(b.nxe - R));
  return t;
}

// (a, b, db, 0) of row z; x profile k (0 a, 1 b, 2 db) at the vec4 column q.
fn pz_row(z: u32) -> vec4<f32> { return prof[3u * b.nxq + z]; }
fn px_at(k: u32, q: u32) -> vec4<f32> { return prof[k * b.nxq + q]; }
// PML memory plane k at vec4 index i.
fn aux_at(k: u32, i: u32) -> vec4<f32> { return aux_old[k * b.nshot * b.nzp * b.nxq + i]; }

// u[t] at row zr (zr = z - k >= 0) of the task's column: above the first model row a free surface
// mirrors it oddly about row R-1, which holds zero.
fn u_row(t: Task, zr: u32) -> vec4<f32> {
  if (FS && zr < R) {
    if (zr == R - 1u) { return vec4<f32>(0.0); }
    return -u_cur[t.c0 + (2u * (R - 1u) - zr) * b.nxq];
  }
  return u_cur[t.c0 + zr * b.nxq];
}

struct Acc {
  d2: vec4<f32>,
  d1: vec4<f32>,
  dp: vec4<f32>,
}

fn fz(t: Task, k: u32, c2: f32, c1: f32, pml: bool, a: Acc) -> Acc {
  var o = a;
  let up = u_cur[t.i + k * b.nxq];
  let dn = u_row(t, t.z - k);
  o.d2 += c2 * (up + dn);
  o.d1 += c1 * (up - dn);
  if (pml) {
    o.dp += c1 * (pz_row(t.z + k).x * aux_at(0u, t.i + k * b.nxq) - pz_row(t.z - k).x * aux_at(0u, t.i - k * b.nxq));
  }
  return o;
}

// x neighbours of the four cells: the vec4s left and right of them and, where the PML can reach,
// a psi_x products (a and psi both zero off the PML).
struct XRow {
  l: vec4<f32>,
  c: vec4<f32>,
  r: vec4<f32>,
  pl: vec4<f32>,
  pc: vec4<f32>,
  pr: vec4<f32>,
}

fn fx(x: XRow, k: u32, c2: f32, c1: f32, pml: bool, a: Acc) -> Acc {
  var o = a;
  let r_ = right_of(x.c, x.r, k);
  let l_ = left_of(x.l, x.c, k);
  o.d2 += c2 * (r_ + l_);
  o.d1 += c1 * (r_ - l_);
  if (pml) { o.dp += c1 * (right_of(x.pc, x.pr, k) - left_of(x.pl, x.pc, k)); }
  return o;
}

struct Terms {
  lap: vec4<f32>,
  a0: vec4<f32>,   // new psi_z, psi_x, zeta_z, zeta_x
  a1: vec4<f32>,
  a2: vec4<f32>,
  a3: vec4<f32>,
}

// acoustic.wgsl's forward_terms for the task's four cells.
fn forward_terms(t: Task) -> Terms {
  var out: Terms;
  let u0 = u_cur[t.i];
  let pz = ZG;
  var dz = Acc(Z0 * u0, vec4<f32>(0.0), vec4<f32>(0.0));
  dz = fz(t, 1u, Z1, DZ1, pz, dz);
  if (R >= 2u) { dz = fz(t, 2u, Z2, DZ2, pz, dz); }
  if (R >= 3u) { dz = fz(t, 3u, Z3, DZ3, pz, dz); }
  if (R >= 4u) { dz = fz(t, 4u, Z4, DZ4, pz, dz); }
  if (!pz) {
    out.lap = dz.d2;
  } else {
    let pr = pz_row(t.z);
    let a = pr.x;
    let bb = pr.y;
    let db = pr.z;
    let zeta = aux_at(2u, t.i);
    let tmp = (1.0 + bb) * dz.d2 + db * dz.d1 + dz.dp;
    out.lap = (1.0 + bb) * tmp + a * zeta;
    out.a0 = bb * dz.d1 + a * aux_at(0u, t.i);
    out.a2 = bb * tmp + a * zeta;
  }

  let px = XG;
  var xr: XRow;
  xr.l = u_cur[t.i - 1u];
  xr.c = u0;
  xr.r = u_cur[t.i + 1u];
  if (px) {
    let ql = max(t.q, 1u) - 1u;
    xr.pl = px_at(0u, ql) * aux_at(1u, t.i - 1u);
    xr.pc = px_at(0u, t.q) * aux_at(1u, t.i);
    xr.pr = px_at(0u, t.q + 1u) * aux_at(1u, t.i + 1u);
  }
  var dx = Acc(X0 * u0, vec4<f32>(0.0), vec4<f32>(0.0));
  dx = fx(xr, 1u, X1, DX1, px, dx);
  if (R >= 2u) { dx = fx(xr, 2u, X2, DX2, px, dx); }
  if (R >= 3u) { dx = fx(xr, 3u, X3, DX3, px, dx); }
  if (R >= 4u) { dx = fx(xr, 4u, X4, DX4, px, dx); }
  if (!px) {
    out.lap += dx.d2;
  } else {
    let a = px_at(0u, t.q);
    let bb = px_at(1u, t.q);
    let db = px_at(2u, t.q);
    let zeta = aux_at(3u, t.i);
    let tmp = (1.0 + bb) * dx.d2 + db * dx.d1 + dx.dp;
    out.lap += (1.0 + bb) * tmp + a * zeta;
    out.a1 = bb * dx.d1 + a * aux_at(1u, t.i);
    out.a3 = bb * tmp + a * zeta;
  }
  return out;
}

fn masked(t: Task, v: vec4<f32>) -> vec4<f32> { return select(vec4<f32>(0.0), v, t.inner); }

// The new PML memory of the planes this dispatch can change (the others stay zero here).
fn store_aux(t: Task, a0: vec4<f32>, a1: vec4<f32>, a2: vec4<f32>, a3: vec4<f32>) {
  let n = b.nshot * b.nzp * b.nxq;
  if (ZG) {
    aux_new[t.i] = masked(t, a0);
    aux_new[2u * n + t.i] = masked(t, a2);
  }
  if (XG) {
    aux_new[n + t.i] = masked(t, a1);
    aux_new[3u * n + t.i] = masked(t, a3);
  }
}

fn advance(t: Task) -> vec4<f32> {
  let f = forward_terms(t);
  u_pn[t.i] = masked(t, w[t.m] * f.lap + 2.0 * u_cur[t.i] - u_pn[t.i]);
  store_aux(t, f.a0, f.a1, f.a2, f.a3);
  return f.lap;
}

@compute @workgroup_size(64)
fn band_step(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = task_of(g, nwg);
  if (!t.ok) { return; }
  _ = advance(t);
}

@compute @workgroup_size(64)
fn band_step_lap(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = task_of(g, nwg);
  if (!t.ok) { return; }
  lap_out[t.i] = masked(t, advance(t));
}

@compute @workgroup_size(64)
fn band_born(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = task_of(g, nwg);
  if (!t.ok) { return; }
  let f = forward_terms(t);
  u_pn[t.i] = masked(t, w[t.m] * f.lap + 2.0 * u_cur[t.i] - u_pn[t.i] + dw[select(t.m, t.i, DW_SHOT)] * lap_in[t.i]);
  store_aux(t, f.a0, f.a1, f.a2, f.a3);
}

// Adjoint (acoustic.wgsl adjoint_step). (gD2, gD1, gP) of a vec4 of cells on the z axis at row z,
// vec4 index i, given gc = w lambda there.
struct G3 {
  d2: vec4<f32>,
  d1: vec4<f32>,
  p: vec4<f32>,
}

fn gz(i: u32, z: u32, gc: vec4<f32>) -> G3 {
  if (!ZG) { return G3(gc, vec4<f32>(0.0), gc); }
  let pr = pz_row(z);
  let bb = pr.y;
  let db = pr.z;
  let gtmp = (1.0 + bb) * gc + bb * aux_at(2u, i);
  return G3((1.0 + bb) * gtmp, db * gtmp + bb * aux_at(0u, i), gtmp);
}

fn gx(i: u32, q: u32, gc: vec4<f32>) -> G3 {
  if (!XG) { return G3(gc, vec4<f32>(0.0), gc); }
  let bb = px_at(1u, q);
  let db = px_at(2u, q);
  let gtmp = (1.0 + bb) * gc + bb * aux_at(3u, i);
  return G3((1.0 + bb) * gtmp, db * gtmp + bb * aux_at(1u, i), gtmp);
}

fn gc_at(m: u32, i: u32) -> vec4<f32> { return w[m] * u_cur[i]; }

// Rows above and below: their transposed D2 and D1 terms into x, their d(a psi) cotangents into y.
struct Acc2 {
  x: vec4<f32>,
  y: vec4<f32>,
}

fn az_k(t: Task, k: u32, c2: f32, c1: f32, a: Acc2) -> Acc2 {
  let ia = t.i - k * b.nxq;
  let ib = t.i + k * b.nxq;
  let above = gz(ia, t.z - k, gc_at(t.m - k * b.nxq, ia));
  let below = gz(ib, t.z + k, gc_at(t.m + k * b.nxq, ib));
  return Acc2(a.x + (c2 * (above.d2 + below.d2) + c1 * (above.d1 - below.d1)), a.y + c1 * (above.p - below.p));
}

fn ax_k(l: G3, c: G3, r: G3, k: u32, c2: f32, c1: f32, a: Acc2) -> Acc2 {
  let lx = left_of(l.d2, c.d2, k);
  let rx = right_of(c.d2, r.d2, k);
  let ly = left_of(l.d1, c.d1, k);
  let ry = right_of(c.d1, r.d1, k);
  let lz = left_of(l.p, c.p, k);
  let rz = right_of(c.p, r.p, k);
  return Acc2(a.x + (c2 * (lx + rx) + c1 * (ly - ry)), a.y + c1 * (lz - rz));
}

@compute @workgroup_size(64)
fn band_adjoint(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = task_of(g, nwg);
  if (!t.ok) { return; }
  let lam = u_cur[t.i];
  let gc = w[t.m] * lam;

  var az = Acc2(Z0 * gz(t.i, t.z, gc).d2, vec4<f32>(0.0));
  az = az_k(t, 1u, Z1, DZ1, az);
  if (R >= 2u) { az = az_k(t, 2u, Z2, DZ2, az); }
  if (R >= 3u) { az = az_k(t, 3u, Z3, DZ3, az); }
  if (R >= 4u) { az = az_k(t, 4u, Z4, DZ4, az); }
  var acc = az.x;
  // Free surface: rows whose stencils reach the mirror image of this row (row 2(R-1) - z).
  if (FS && t.z <= 2u * (R - 1u)) {
    let m = 2u * (R - 1u) - t.z;
    for (var zi = R; zi <= m + R; zi++) {
      let ii = t.c0 + zi * b.nxq;
      let gi = gz(ii, zi, gc_at(zi * b.nxq + t.q, ii));
      let d = zi - m;
      acc -= wz(d) * gi.d2 - wdz(d) * gi.d1;
    }
  }

  let ql = max(t.q, 1u) - 1u;
  let gl = gx(t.i - 1u, ql, gc_at(t.m - 1u, t.i - 1u));
  let gm = gx(t.i, t.q, gc);
  let gr = gx(t.i + 1u, t.q + 1u, gc_at(t.m + 1u, t.i + 1u));
  var ax = Acc2(X0 * gm.d2, vec4<f32>(0.0));
  ax = ax_k(gl, gm, gr, 1u, X1, DX1, ax);
  if (R >= 2u) { ax = ax_k(gl, gm, gr, 2u, X2, DX2, ax); }
  if (R >= 3u) { ax = ax_k(gl, gm, gr, 3u, X3, DX3, ax); }
  if (R >= 4u) { ax = ax_k(gl, gm, gr, 4u, X4, DX4, ax); }
  acc += ax.x;

  u_pn[t.i] = masked(t, acc + 2.0 * lam - u_pn[t.i]);
  if (ZG || XG) {
    let pz = pz_row(t.z).x;
    let pxa = px_at(0u, t.q);
    store_aux(
      t,
      pz * (aux_at(0u, t.i) + az.y),
      pxa * (aux_at(1u, t.i) + ax.y),
      pz * (gc + aux_at(2u, t.i)),
      pxa * (gc + aux_at(3u, t.i)),
    );
  }
  grad_w[t.i] += masked(t, lam * lap_in[t.i]);
}
