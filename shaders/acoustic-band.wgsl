// The band of the acoustic stencil around the interior box (acoustic.wgsl REGIONs 2-4: the PML,
// the R-cell margin beside it, and the free-surface rows) laid out for CPU adapters like
// acoustic-box.wgsl: one invocation owns a vec4 column (four neighbouring cells of a row) and marches
// down ZSEG rows of it, so every field, PML memory plane and x profile is read a whole vec4 at a
// time instead of one gathered lane per cell, each row of u (forward) or of the z terms of w lambda
// (adjoint) is loaded once instead of 2R+1 times, and the column's x profiles once. Three dispatches
// cover the band: the rows above and below the box over the columns that meet no x-PML term (ZG),
// the same rows over the other columns (the corners: ZG and XG), and the box's rows beside it (XG).
// Lanes outside the inner columns [R, nxe - R) are ghosts: they compute garbage and store zero,
// which is what they hold.
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
  nsega: u32,        // forward march: row segments of ZSEG in [za, za + nza), then in [zb, zb + nzb)
  nsegb: u32,
}

// Which terms this dispatch compiles in (CPU adapters run both sides of every branch, so each part
// of the band is its own specialization): ZG the z C-PML terms (rows above and below the box), XG
// the x ones (columns beside it and the corners), FS the free-surface mirror (top rows only).
override ZG: bool = true;
override XG: bool = true;
override FS: bool = false;
override DW_SHOT: bool = false;  // Born's dw per shot (laid out like u) instead of one for all shots

// Rows per forward invocation (march below): each row of u and of the z PML memory is loaded once
// per invocation instead of 2R+1 times, and the x profiles once.
override ZSEG: u32 = 16u;

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

// (a, b, db, 0) of row z; x profile k (0 a, 1 b, 2 db) at the vec4 column q.
fn pz_row(z: u32) -> vec4<f32> { return prof[3u * b.nxq + z]; }
fn px_at(k: u32, q: u32) -> vec4<f32> { return prof[k * b.nxq + q]; }
// PML memory plane k at vec4 index i.
fn aux_at(k: u32, i: u32) -> vec4<f32> { return aux_old[k * b.nshot * b.nzp * b.nxq + i]; }

struct Acc {
  d2: vec4<f32>,
  d1: vec4<f32>,
  dp: vec4<f32>,
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

// ---- Forward: each invocation marches down ZSEG rows of its vec4 column (like acoustic-box.wgsl),
// keeping the 2R+1 rows of u and of a_z psi_z its z terms need in registers (Win), and the x
// profiles of its column. The terms are forward_terms' in the same order, so the results are the
// same float32 numbers (test/acoustic-variants.test.ts compares them bitwise with the one-cell kernel).

// Rows above (a1 = z-1 ...) and below (b1 = z+1 ...) of the current row.
struct Win {
  a4: vec4<f32>, a3: vec4<f32>, a2: vec4<f32>, a1: vec4<f32>,
  c: vec4<f32>,
  b1: vec4<f32>, b2: vec4<f32>, b3: vec4<f32>, b4: vec4<f32>,
}

fn win_shift(v: Win) -> Win { return Win(v.a3, v.a2, v.a1, v.c, v.b1, v.b2, v.b3, v.b4, vec4<f32>(0.0)); }

// With row z + R in its slot.
fn win_last(v: Win, last: vec4<f32>) -> Win {
  var o = v;
  if (R == 1u) { o.b1 = last; }
  if (R == 2u) { o.b2 = last; }
  if (R == 3u) { o.b3 = last; }
  if (R == 4u) { o.b4 = last; }
  return o;
}

fn above(v: Win, k: u32) -> vec4<f32> { return select(select(select(v.a4, v.a3, k == 3u), v.a2, k == 2u), v.a1, k == 1u); }
fn below(v: Win, k: u32) -> vec4<f32> { return select(select(select(v.b4, v.b3, k == 3u), v.b2, k == 2u), v.b1, k == 1u); }

struct March {
  s: u32,
  q: u32,
  c0: u32,             // vec4 index of (s, 0, q)
  z0: u32,             // rows [z0, z0 + n)
  n: u32,
  inner: vec4<bool>,
  ok: bool,
}

// Segment (row range) and column of shot g.z; a segment never spans the gap between the ranges.
fn march_of(g: vec3<u32>, nwg: vec3<u32>) -> March {
  var t: March;
  let id = g.x + g.y * nwg.x * 64u;
  let sc = divmod(id, max(b.nqa + b.nqb, 1u));
  t.q = select(b.qb + sc.y - b.nqa, b.qa + sc.y, sc.y < b.nqa);
  t.s = g.z;
  let in_a = sc.x < b.nsega;
  let seg = select(sc.x - b.nsega, sc.x, in_a);
  let hi = select(b.zb + b.nzb, b.za + b.nza, in_a);
  t.z0 = select(b.zb, b.za, in_a) + seg * ZSEG;
  t.ok = sc.x < b.nsega + b.nsegb && t.s < b.nshot;
  t.n = select(0u, min(ZSEG, hi - t.z0), t.ok);
  t.c0 = t.s * b.nzp * b.nxq + t.q;
  let x = vec4<u32>(4u * t.q) + vec4<u32>(0u, 1u, 2u, 3u);
  t.inner = (x >= vec4<u32>(R)) & (x < vec4<u32>(b.nxe - R));
  return t;
}

// The one-cell Task of row z, for the helpers shared with the adjoint.
fn row_task(t: March, z: u32) -> Task {
  var r: Task;
  r.s = t.s;
  r.z = z;
  r.q = t.q;
  r.c0 = t.c0;
  r.i = t.c0 + z * b.nxq;
  r.m = z * b.nxq + t.q;
  r.inner = t.inner;
  r.ok = true;
  return r;
}

// Row zr of u[t] (free-surface mirror above the model) and of a_z psi_z, in the march's column.
fn u_of_row(t: March, zr: u32) -> vec4<f32> {
  if (FS && zr < R) {
    if (zr == R - 1u) { return vec4<f32>(0.0); }
    return -u_cur[t.c0 + (2u * (R - 1u) - zr) * b.nxq];
  }
  return u_cur[t.c0 + zr * b.nxq];
}
fn pa_of_row(t: March, zr: u32) -> vec4<f32> { return pz_row(zr).x * aux_at(0u, t.c0 + zr * b.nxq); }

fn row_of(t: March, zr: u32, pa: bool) -> vec4<f32> {
  if (pa) { return pa_of_row(t, zr); }
  return u_of_row(t, zr);
}

// The window (of u, or of a_z psi_z) around row z0, but for row z0 + R, which the march loads.
fn start_win(t: March, pa: bool) -> Win {
  var v: Win;
  v.a1 = row_of(t, t.z0 - 1u, pa);
  v.c = row_of(t, t.z0, pa);
  if (R >= 2u) { v.a2 = row_of(t, t.z0 - 2u, pa); v.b1 = row_of(t, t.z0 + 1u, pa); }
  if (R >= 3u) { v.a3 = row_of(t, t.z0 - 3u, pa); v.b2 = row_of(t, t.z0 + 2u, pa); }
  if (R >= 4u) { v.a4 = row_of(t, t.z0 - 4u, pa); v.b3 = row_of(t, t.z0 + 3u, pa); }
  return v;
}

// The x profiles of the column (a left, here and right; b and db here).
struct PX {
  al: vec4<f32>,
  ac: vec4<f32>,
  ar: vec4<f32>,
  b: vec4<f32>,
  db: vec4<f32>,
}

fn px_of(q: u32) -> PX {
  var p: PX;
  if (XG) {
    p = PX(px_at(0u, max(q, 1u) - 1u), px_at(0u, q), px_at(0u, q + 1u), px_at(1u, q), px_at(2u, q));
  }
  return p;
}

fn fzw(u: Win, pa: Win, k: u32, c2: f32, c1: f32, pml: bool, a: Acc) -> Acc {
  var o = a;
  let up = below(u, k);
  let dn = above(u, k);
  o.d2 += c2 * (up + dn);
  o.d1 += c1 * (up - dn);
  if (pml) { o.dp += c1 * (below(pa, k) - above(pa, k)); }
  return o;
}

// acoustic.wgsl's forward_terms for the four cells of row t.z, with the z neighbours from the
// windows and the x profiles from p.
fn forward_terms_w(t: Task, u: Win, pa: Win, p: PX) -> Terms {
  var out: Terms;
  let u0 = u.c;
  let pz = ZG;
  var dz = Acc(Z0 * u0, vec4<f32>(0.0), vec4<f32>(0.0));
  dz = fzw(u, pa, 1u, Z1, DZ1, pz, dz);
  if (R >= 2u) { dz = fzw(u, pa, 2u, Z2, DZ2, pz, dz); }
  if (R >= 3u) { dz = fzw(u, pa, 3u, Z3, DZ3, pz, dz); }
  if (R >= 4u) { dz = fzw(u, pa, 4u, Z4, DZ4, pz, dz); }
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
    xr.pl = p.al * aux_at(1u, t.i - 1u);
    xr.pc = p.ac * aux_at(1u, t.i);
    xr.pr = p.ar * aux_at(1u, t.i + 1u);
  }
  var dx = Acc(X0 * u0, vec4<f32>(0.0), vec4<f32>(0.0));
  dx = fx(xr, 1u, X1, DX1, px, dx);
  if (R >= 2u) { dx = fx(xr, 2u, X2, DX2, px, dx); }
  if (R >= 3u) { dx = fx(xr, 3u, X3, DX3, px, dx); }
  if (R >= 4u) { dx = fx(xr, 4u, X4, DX4, px, dx); }
  if (!px) {
    out.lap += dx.d2;
  } else {
    let a = p.ac;
    let bb = p.b;
    let db = p.db;
    let zeta = aux_at(3u, t.i);
    let tmp = (1.0 + bb) * dx.d2 + db * dx.d1 + dx.dp;
    out.lap += (1.0 + bb) * tmp + a * zeta;
    out.a1 = bb * dx.d1 + a * aux_at(1u, t.i);
    out.a3 = bb * tmp + a * zeta;
  }
  return out;
}

// The a_z psi_z window exists only where z terms do (ZG).
fn start_pa(t: March) -> Win {
  var v: Win;
  if (ZG) { v = start_win(t, true); }
  return v;
}

fn pa_last(t: March, v: Win, z: u32) -> Win {
  if (ZG) { return win_last(v, pa_of_row(t, z + R)); }
  return v;
}

// Each entry runs the same march; only what it stores differs (written out per entry, so each
// binds only what it uses).
@compute @workgroup_size(64)
fn band_step(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = march_of(g, nwg);
  if (!t.ok) { return; }
  let p = px_of(t.q);
  var u = start_win(t, false);
  var pa = start_pa(t);
  for (var j = 0u; j < t.n; j++) {
    let r = row_task(t, t.z0 + j);
    u = win_last(u, u_of_row(t, r.z + R));
    pa = pa_last(t, pa, r.z);
    let f = forward_terms_w(r, u, pa, p);
    u_pn[r.i] = masked(r, w[r.m] * f.lap + 2.0 * u.c - u_pn[r.i]);
    store_aux(r, f.a0, f.a1, f.a2, f.a3);
    u = win_shift(u);
    pa = win_shift(pa);
  }
}

// The same, also keeping du[t+1]/dw (backward recompute, Born background).
@compute @workgroup_size(64)
fn band_step_lap(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = march_of(g, nwg);
  if (!t.ok) { return; }
  let p = px_of(t.q);
  var u = start_win(t, false);
  var pa = start_pa(t);
  for (var j = 0u; j < t.n; j++) {
    let r = row_task(t, t.z0 + j);
    u = win_last(u, u_of_row(t, r.z + R));
    pa = pa_last(t, pa, r.z);
    let f = forward_terms_w(r, u, pa, p);
    u_pn[r.i] = masked(r, w[r.m] * f.lap + 2.0 * u.c - u_pn[r.i]);
    store_aux(r, f.a0, f.a1, f.a2, f.a3);
    lap_out[r.i] = masked(r, f.lap);
    u = win_shift(u);
    pa = win_shift(pa);
  }
}

// Born: the scattered field's step, driven by dw times the background's du/dw.
@compute @workgroup_size(64)
fn band_born(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = march_of(g, nwg);
  if (!t.ok) { return; }
  let p = px_of(t.q);
  var u = start_win(t, false);
  var pa = start_pa(t);
  for (var j = 0u; j < t.n; j++) {
    let r = row_task(t, t.z0 + j);
    u = win_last(u, u_of_row(t, r.z + R));
    pa = pa_last(t, pa, r.z);
    let f = forward_terms_w(r, u, pa, p);
    u_pn[r.i] = masked(r, w[r.m] * f.lap + 2.0 * u.c - u_pn[r.i] + dw[select(r.m, r.i, DW_SHOT)] * lap_in[r.i]);
    store_aux(r, f.a0, f.a1, f.a2, f.a3);
    u = win_shift(u);
    pa = win_shift(pa);
  }
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

fn gc_at(m: u32, i: u32) -> vec4<f32> { return w[m] * u_cur[i]; }

// Rows above and below: their transposed D2 and D1 terms into x, their d(a psi) cotangents into y.
struct Acc2 {
  x: vec4<f32>,
  y: vec4<f32>,
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

// The adjoint marches like the forward: a window of gz(row) (d2, d1 and p of w lambda on the z
// axis) per invocation instead of 2R+1 evaluations per row, and the column's x profiles once.
struct GWin {
  d2: Win,
  d1: Win,
  p: Win,
}

fn g3_row(t: March, zr: u32) -> G3 {
  let i = t.c0 + zr * b.nxq;
  return gz(i, zr, gc_at(zr * b.nxq + t.q, i));
}

fn gwin_set(v: GWin, slot: u32, g: G3) -> GWin {
  var o = v;
  switch slot {
    case 0u: { o.d2.a4 = g.d2; o.d1.a4 = g.d1; o.p.a4 = g.p; }
    case 1u: { o.d2.a3 = g.d2; o.d1.a3 = g.d1; o.p.a3 = g.p; }
    case 2u: { o.d2.a2 = g.d2; o.d1.a2 = g.d1; o.p.a2 = g.p; }
    case 3u: { o.d2.a1 = g.d2; o.d1.a1 = g.d1; o.p.a1 = g.p; }
    case 4u: { o.d2.c = g.d2; o.d1.c = g.d1; o.p.c = g.p; }
    case 5u: { o.d2.b1 = g.d2; o.d1.b1 = g.d1; o.p.b1 = g.p; }
    case 6u: { o.d2.b2 = g.d2; o.d1.b2 = g.d1; o.p.b2 = g.p; }
    case 7u: { o.d2.b3 = g.d2; o.d1.b3 = g.d1; o.p.b3 = g.p; }
    default: { o.d2.b4 = g.d2; o.d1.b4 = g.d1; o.p.b4 = g.p; }
  }
  return o;
}

// Rows z0 - R .. z0 + R - 1 (slot 4 + row - z0); the march loads row z + R.
fn start_gwin(t: March) -> GWin {
  var v: GWin;
  v = gwin_set(v, 3u, g3_row(t, t.z0 - 1u));
  v = gwin_set(v, 4u, g3_row(t, t.z0));
  if (R >= 2u) { v = gwin_set(v, 2u, g3_row(t, t.z0 - 2u)); v = gwin_set(v, 5u, g3_row(t, t.z0 + 1u)); }
  if (R >= 3u) { v = gwin_set(v, 1u, g3_row(t, t.z0 - 3u)); v = gwin_set(v, 6u, g3_row(t, t.z0 + 2u)); }
  if (R >= 4u) { v = gwin_set(v, 0u, g3_row(t, t.z0 - 4u)); v = gwin_set(v, 7u, g3_row(t, t.z0 + 3u)); }
  return v;
}

fn gwin_shift(v: GWin) -> GWin { return GWin(win_shift(v.d2), win_shift(v.d1), win_shift(v.p)); }

// az_k with the rows above and below from the window.
fn az_w(v: GWin, k: u32, c2: f32, c1: f32, a: Acc2) -> Acc2 {
  let ad2 = above(v.d2, k);
  let bd2 = below(v.d2, k);
  let ad1 = above(v.d1, k);
  let bd1 = below(v.d1, k);
  return Acc2(a.x + (c2 * (ad2 + bd2) + c1 * (ad1 - bd1)), a.y + c1 * (above(v.p, k) - below(v.p, k)));
}

// gx with the column's profiles given.
fn gx_p(i: u32, bb: vec4<f32>, db: vec4<f32>, gc: vec4<f32>) -> G3 {
  if (!XG) { return G3(gc, vec4<f32>(0.0), gc); }
  let gtmp = (1.0 + bb) * gc + bb * aux_at(3u, i);
  return G3((1.0 + bb) * gtmp, db * gtmp + bb * aux_at(1u, i), gtmp);
}

// b and db of the columns left of, at and right of the march's (x strips and corners).
struct PXG {
  bl: vec4<f32>,
  dbl: vec4<f32>,
  bc: vec4<f32>,
  dbc: vec4<f32>,
  br: vec4<f32>,
  dbr: vec4<f32>,
  ac: vec4<f32>,
}

fn pxg_of(q: u32) -> PXG {
  var p: PXG;
  let ql = max(q, 1u) - 1u;
  if (XG) { p = PXG(px_at(1u, ql), px_at(2u, ql), px_at(1u, q), px_at(2u, q), px_at(1u, q + 1u), px_at(2u, q + 1u), px_at(0u, q)); }
  else { p.ac = px_at(0u, q); }
  return p;
}

@compute @workgroup_size(64)
fn band_adjoint(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let mt = march_of(g, nwg);
  if (!mt.ok) { return; }
  let px = pxg_of(mt.q);
  var v = start_gwin(mt);
  for (var j = 0u; j < mt.n; j++) {
    let t = row_task(mt, mt.z0 + j);
    v = gwin_set(v, 4u + R, g3_row(mt, t.z + R));
    let lam = u_cur[t.i];
    let gc = w[t.m] * lam;

    var az = Acc2(Z0 * v.d2.c, vec4<f32>(0.0));
    az = az_w(v, 1u, Z1, DZ1, az);
    if (R >= 2u) { az = az_w(v, 2u, Z2, DZ2, az); }
    if (R >= 3u) { az = az_w(v, 3u, Z3, DZ3, az); }
    if (R >= 4u) { az = az_w(v, 4u, Z4, DZ4, az); }
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

    let gl = gx_p(t.i - 1u, px.bl, px.dbl, gc_at(t.m - 1u, t.i - 1u));
    let gm = gx_p(t.i, px.bc, px.dbc, gc);
    let gr = gx_p(t.i + 1u, px.br, px.dbr, gc_at(t.m + 1u, t.i + 1u));
    var ax = Acc2(X0 * gm.d2, vec4<f32>(0.0));
    ax = ax_k(gl, gm, gr, 1u, X1, DX1, ax);
    if (R >= 2u) { ax = ax_k(gl, gm, gr, 2u, X2, DX2, ax); }
    if (R >= 3u) { ax = ax_k(gl, gm, gr, 3u, X3, DX3, ax); }
    if (R >= 4u) { ax = ax_k(gl, gm, gr, 4u, X4, DX4, ax); }
    acc += ax.x;

    u_pn[t.i] = masked(t, acc + 2.0 * lam - u_pn[t.i]);
    if (ZG || XG) {
      let pz = pz_row(t.z).x;
      let pxa = px.ac;
      store_aux(
        t,
        pz * (aux_at(0u, t.i) + az.y),
        pxa * (aux_at(1u, t.i) + ax.y),
        pz * (gc + aux_at(2u, t.i)),
        pxa * (gc + aux_at(3u, t.i)),
      );
    }
    grad_w[t.i] += masked(t, lam * lap_in[t.i]);
    v = gwin_shift(v);
  }
}
