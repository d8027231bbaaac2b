// Constant-density acoustic wave equation in 2D, second order in time and 2R-th order in space,
// with a convolutional PML on every edge: Deepwave's scalar scheme (docs/acoustic.md).
//   u[t+1] = w (sum over axes of the C-PML-modified d2u) + 2 u[t] - u[t-1] - w f[t]   (w = v^2 dt^2)
// One time step of every shot is `step` (the stencil and the PML memory variables, one dispatch per
// REGION below) and `inject` (receivers sample u[t], sources add into u[t+1]). The backward pass runs their exact
// transposes, `adjoint_step` and `adjoint_inject`, so dot-product tests hold to float32 round-off;
// `born_step` is the step linearised in w.
// Fields are [shot][z][x] on the padded grid: PML cells plus R ghost cells per edge, ghosts held at
// zero (or, with a free surface, oddly mirrored about the ghost row just above the first model row).
// The PML memory (psi_z, psi_x, zeta_z, zeta_x) is four planes of cells (plane k at k * cells), so
// the vec4 band kernel (acoustic-band.wgsl) reads four neighbours' psi in one load. It is written only
// inside the PML; elsewhere it stays zero, so the interior costs no memory traffic for it.
// The profiles are ax, bx, dbx (nxp each, so each starts on a multiple of 4), then (az, bz, dbz, 0)
// for each row, so the vec4 band kernel reads a row's three in one load.

struct Params {
  nzp: u32,
  nxp: u32,     // row length of the stored fields (a multiple of 4; columns past nxe are ghosts)
  nxe: u32,     // padded width: inner columns are [R, nxe - R)
  nshot: u32,
  free_surface: u32,
  zin0: u32,    // rows in [zin0, zin1) see no z-PML term within R cells: the plain stencil suffices
  zin1: u32,
  xin0: u32,
  xin1: u32,
  zp0: u32,     // PML rows: z < zp0 or z >= zp1 (columns likewise)
  zp1: u32,
  xp0: u32,
  xp1: u32,
  bz0: u32,     // the interior box [bz0, bz1) x [bx0, bx1): no PML term or mirror reaches its stencils
  bz1: u32,
  bx0: u32,
  bx1: u32,
}

struct InjectParams {
  nshot: u32,
  nsrc: u32,
  nrec: u32,
  nt: u32,
  t: u32,
  cells: u32,   // padded cells per shot
}

// Which cells a stencil dispatch covers. The inner cells split into the interior box [bz0, bz1) x
// [bx0, bx1), the z strips above and below it, the x strips beside it, and the four corners. Each
// region compiles out the branches that cannot apply there (CPU adapters execute masked branches,
// so one mixed dispatch would make every cell pay for every PML term):
//   1 box: no PML term, no free-surface mirror;  3 z strips: no x-PML term;
//   4 x strips: no z-PML term, no mirror;         2 corners: the general path.
override REGION: u32 = 2u;
// Born's dw: one for every shot (index of the cell in w) or one per shot (laid out like u).
override DW_SHOT: bool = false;
const BOX = 1u;
const CORNERS = 2u;
const ZSTRIPS = 3u;
const XSTRIPS = 4u;
// Whether this region can meet a z-PML term (or the free surface), or an x-PML term.
override ZPML: bool = REGION == CORNERS || REGION == ZSTRIPS;
override XPML: bool = REGION == CORNERS || REGION == XSTRIPS;

// Stencil radius and weights are pipeline constants, and the distance-k terms are unrolled below:
// SwiftShader's JIT neither unrolls loops nor folds weights read from memory (docs/acoustic.md).
override R: u32 = 2u;
override Z0: f32 = -2.0;  // d2/dz2 weights by distance, over dz^2
override Z1: f32 = 1.0;
override Z2: f32 = 0.0;
override Z3: f32 = 0.0;
override Z4: f32 = 0.0;
override X0: f32 = -2.0;  // d2/dx2
override X1: f32 = 1.0;
override X2: f32 = 0.0;
override X3: f32 = 0.0;
override X4: f32 = 0.0;
override DZ1: f32 = 0.5;  // d/dz weights by distance, over dz
override DZ2: f32 = 0.0;
override DZ3: f32 = 0.0;
override DZ4: f32 = 0.0;
override DX1: f32 = 0.5;  // d/dx
override DX2: f32 = 0.0;
override DX3: f32 = 0.0;
override DX4: f32 = 0.0;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(0) var<uniform> q: InjectParams;
@group(0) @binding(1) var<storage, read> w: array<f32>;              // v^2 dt^2 on the padded grid
@group(0) @binding(2) var<storage, read> prof: array<f32>;           // ax, bx, dbx (nxp each), then (az, bz, dbz, 0) per row
@group(0) @binding(3) var<storage, read> u_cur: array<f32>;          // u[t] (adjoint: lambda[t+1])
@group(0) @binding(4) var<storage, read_write> u_pn: array<f32>;     // u[t-1] in, u[t+1] out (adjoint: lambda[t+2] in, lambda[t] out)
@group(0) @binding(5) var<storage, read> aux_old: array<f32>;         // planes psi_z, psi_x, zeta_z, zeta_x
@group(0) @binding(6) var<storage, read_write> aux_new: array<f32>;
@group(0) @binding(7) var<storage, read_write> lap_out: array<f32>;  // du[t+1]/dw: what the v-gradient and Born need
@group(0) @binding(8) var<storage, read> lap_in: array<f32>;
@group(0) @binding(9) var<storage, read_write> grad_w: array<f32>;   // [shot][z][x], summed over shots by the caller
@group(0) @binding(10) var<storage, read> dw: array<f32>;            // Born: the perturbation of w
@group(0) @binding(11) var<storage, read> amps: array<f32>;          // [shot][src][t]
@group(0) @binding(12) var<storage, read> src_loc: array<i32>;       // padded cell index per (shot, src)
@group(0) @binding(13) var<storage, read> rec_loc: array<i32>;       // padded cell index per (shot, rec)
@group(0) @binding(14) var<storage, read_write> rec: array<f32>;     // [t][shot][rec]: a step writes one contiguous row
@group(0) @binding(15) var<storage, read> resid: array<f32>;         // adjoint source at the receivers, [t][shot][rec]
@group(0) @binding(16) var<storage, read_write> grad_amps: array<f32>;

// Weights by distance, for the few places that loop (the free-surface mirror, near the top only).
fn wz(k: u32) -> f32 { return select(select(select(select(Z0, Z1, k == 1u), Z2, k == 2u), Z3, k == 3u), Z4, k == 4u); }
fn wdz(k: u32) -> f32 { return select(select(select(DZ1, DZ2, k == 2u), DZ3, k == 3u), DZ4, k == 4u); }

// PML profiles: x ones first, then a vec4 per row.
fn pz_at(k: u32, z: u32) -> f32 { return prof[3u * p.nxp + 4u * z + k]; }
fn px_at(k: u32, x: u32) -> f32 { return prof[k * p.nxp + x]; }

// PML memory plane k (0 psi_z, 1 psi_x, 2 zeta_z, 3 zeta_x) at cell i.
fn aux_at(k: u32, i: u32) -> f32 { return aux_old[k * p.nshot * p.nzp * p.nxp + i]; }
fn put_aux(i: u32, v: vec4<f32>) {
  let n = p.nshot * p.nzp * p.nxp;
  aux_new[i] = v.x;
  aux_new[n + i] = v.y;
  aux_new[2u * n + i] = v.z;
  aux_new[3u * n + i] = v.w;
}

struct Cell {
  s: u32,
  z: u32,
  x: u32,
  ok: bool,
}

// The cell of this invocation. The box and the z strips are 2D grids (z strips: the rows above the
// box, then those below it, over the box's columns); the x strips and the corners are numbered
// linearly, row by row over the columns left of the box, then right of it.
fn cell_of(g: vec3<u32>, n: vec3<u32>) -> Cell {
  var c: Cell;
  c.s = g.z;
  let top = p.bz0 - R;
  let rows = top + p.nzp - R - p.bz1;
  if (REGION == BOX || REGION == ZSTRIPS) {
    c.x = p.bx0 + g.x;
    c.z = select(p.bz0 + g.y, select(p.bz1 + g.y - top, R + g.y, g.y < top), REGION == ZSTRIPS);
    c.ok = c.x < p.bx1 && g.z < p.nshot;
    return c;
  }
  let id = g.x + g.y * n.x * 64u;
  let left = p.bx0 - R;
  let side = max(left + p.nxe - R - p.bx1, 1u);
  let r = id / side;
  let k = id % side;
  c.x = select(p.bx1 + k - left, R + k, k < left);
  if (REGION == XSTRIPS) {
    c.z = p.bz0 + r;
    c.ok = c.z < p.bz1;
  } else {
    c.z = select(p.bz1 + r - top, R + r, r < top);
    c.ok = r < rows;
  }
  c.ok = c.ok && left + p.nxe - R - p.bx1 > 0u && g.z < p.nshot;
  return c;
}

fn in_pml(z: u32, x: u32) -> bool {
  return (ZPML && (z < p.zp0 || z >= p.zp1)) || (XPML && (x < p.xp0 || x >= p.xp1));
}

// u[t] at padded row z (z >= 0) of the shot starting at `base`; above the first model row a free
// surface mirrors it oddly about row R-1, which holds zero.
fn u_row(base: u32, z: u32, x: u32) -> f32 {
  if (ZPML && p.free_surface != 0u && z < R) {
    if (z == R - 1u) { return 0.0; }
    return -u_cur[base + (2u * (R - 1u) - z) * p.nxp + x];
  }
  return u_cur[base + z * p.nxp + x];
}

// Distance-k terms of one axis at cell i: (d2, d1, d1 of a psi). `pml` adds the last one.
fn fz(k: u32, base: u32, i: u32, z: u32, x: u32, c2: f32, c1: f32, pml: bool, acc: ptr<function, vec3<f32>>) {
  let up = u_cur[i + k * p.nxp];
  let dn = u_row(base, z - k, x);
  var r = *acc + vec3<f32>(c2 * (up + dn), c1 * (up - dn), 0.0);
  if (pml) { r.z += c1 * (pz_at(0u, z + k) * aux_at(0u, i + k * p.nxp) - pz_at(0u, z - k) * aux_at(0u, i - k * p.nxp)); }
  *acc = r;
}

fn fx(k: u32, i: u32, x: u32, c2: f32, c1: f32, pml: bool, acc: ptr<function, vec3<f32>>) {
  let r_ = u_cur[i + k];
  let l_ = u_cur[i - k];
  var r = *acc + vec3<f32>(c2 * (r_ + l_), c1 * (r_ - l_), 0.0);
  if (pml) {
    r.z += c1 * (px_at(0u, x + k) * aux_at(1u, i + k) - px_at(0u, x - k) * aux_at(1u, i - k));
  }
  *acc = r;
}

struct Terms {
  lap: f32,          // sum over axes of the PML-modified second derivative: du[t+1]/dw
  aux: vec4<f32>,    // new psi_z, psi_x, zeta_z, zeta_x
}

// The spatial part of one forward step at inner cell (z, x) of shot s.
fn forward_terms(s: u32, z: u32, x: u32) -> Terms {
  let base = s * p.nzp * p.nxp;
  let i = base + z * p.nxp + x;
  let u0 = u_cur[i];
  var out: Terms;
  out.aux = vec4<f32>(0.0);

  let pz = ZPML && !(z >= p.zin0 && z < p.zin1);
  var dz = vec3<f32>(Z0 * u0, 0.0, 0.0);
  fz(1u, base, i, z, x, Z1, DZ1, pz, &dz);
  if (R >= 2u) { fz(2u, base, i, z, x, Z2, DZ2, pz, &dz); }
  if (R >= 3u) { fz(3u, base, i, z, x, Z3, DZ3, pz, &dz); }
  if (R >= 4u) { fz(4u, base, i, z, x, Z4, DZ4, pz, &dz); }
  if (!pz) {
    out.lap = dz.x;
  } else {
    let a = pz_at(0u, z);
    let b = pz_at(1u, z);
    let db = pz_at(2u, z);
    let zeta = aux_at(2u, i);
    let tmp = (1.0 + b) * dz.x + db * dz.y + dz.z;
    out.lap = (1.0 + b) * tmp + a * zeta;
    out.aux.x = b * dz.y + a * aux_at(0u, i);
    out.aux.z = b * tmp + a * zeta;
  }

  let px = XPML && !(x >= p.xin0 && x < p.xin1);
  var dx = vec3<f32>(X0 * u0, 0.0, 0.0);
  fx(1u, i, x, X1, DX1, px, &dx);
  if (R >= 2u) { fx(2u, i, x, X2, DX2, px, &dx); }
  if (R >= 3u) { fx(3u, i, x, X3, DX3, px, &dx); }
  if (R >= 4u) { fx(4u, i, x, X4, DX4, px, &dx); }
  if (!px) {
    out.lap += dx.x;
  } else {
    let a = px_at(0u, x);
    let b = px_at(1u, x);
    let db = px_at(2u, x);
    let zeta = aux_at(3u, i);
    let tmp = (1.0 + b) * dx.x + db * dx.y + dx.z;
    out.lap += (1.0 + b) * tmp + a * zeta;
    out.aux.y = b * dx.y + a * aux_at(1u, i);
    out.aux.w = b * tmp + a * zeta;
  }
  return out;
}

// Advances cell (z, x) of shot s; returns du[t+1]/dw before the sources.
fn advance(s: u32, z: u32, x: u32) -> f32 {
  let i = (s * p.nzp + z) * p.nxp + x;
  let t = forward_terms(s, z, x);
  u_pn[i] = w[z * p.nxp + x] * t.lap + 2.0 * u_cur[i] - u_pn[i];
  if (in_pml(z, x)) { put_aux(i, t.aux); }
  return t.lap;
}

@compute @workgroup_size(64)
fn step(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
  let c = cell_of(g, n);
  if (!c.ok) { return; }
  _ = advance(c.s, c.z, c.x);
}

// The same step, also keeping du[t+1]/dw for the velocity gradient (backward recompute) and Born.
@compute @workgroup_size(64)
fn step_lap(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
  let c = cell_of(g, n);
  if (!c.ok) { return; }
  lap_out[(c.s * p.nzp + c.z) * p.nxp + c.x] = advance(c.s, c.z, c.x);
}

// Born: the step for the scattered field, driven by dw times the background's du/dw.
@compute @workgroup_size(64)
fn born_step(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
  let c = cell_of(g, n);
  if (!c.ok) { return; }
  let i = (c.s * p.nzp + c.z) * p.nxp + c.x;
  let t = forward_terms(c.s, c.z, c.x);
  let m = c.z * p.nxp + c.x;
  u_pn[i] = w[m] * t.lap + 2.0 * u_cur[i] - u_pn[i] + dw[select(m, i, DW_SHOT)] * lap_in[i];
  if (in_pml(c.z, c.x)) { put_aux(i, t.aux); }
}

fn linear_id(g: vec3<u32>, n: vec3<u32>) -> u32 {
  return g.x + g.y * n.x * 64u;
}

// Receiver `id` (shot-major) records u[t]. Time-major storage keeps each step's writes in one run
// (writes strided by nt cost a TLB miss each on CPU adapters); the caller transposes once at the end.
fn sample_receiver(id: u32) {
  if (id < q.nshot * q.nrec) {
    rec[q.t * q.nshot * q.nrec + id] = u_cur[(id / q.nrec) * q.cells + u32(rec_loc[id])];
  }
}

// Receivers 4 * lid ... 4 * lid + 3: four per invocation, since a run can record thousands per
// shot (every node) and on CPU adapters each invocation's fixed cost (ids, masks, the masked
// sources loop beside it) outweighs one sample.
fn sample_receivers(lid: u32) {
  sample_receiver(4u * lid);
  sample_receiver(4u * lid + 1u);
  sample_receiver(4u * lid + 2u);
  sample_receiver(4u * lid + 3u);
}

// One thread per shot adds its sources into u[t+1] in order, so sources sharing a cell add up
// without atomics.
fn add_sources(shot: u32) {
  if (shot >= q.nshot) { return; }
  for (var j = 0u; j < q.nsrc; j++) {
    let k = shot * q.nsrc + j;
    let c = u32(src_loc[k]);
    u_pn[shot * q.cells + c] -= w[c] * amps[k * q.nt + q.t];
  }
}

// The sources' part of du[t+1]/dw: -f at each source cell.
fn sources_into_lap(shot: u32) {
  if (shot >= q.nshot) { return; }
  for (var j = 0u; j < q.nsrc; j++) {
    let k = shot * q.nsrc + j;
    lap_out[shot * q.cells + u32(src_loc[k])] -= amps[k * q.nt + q.t];
  }
}

// Receivers sample u[t]; sources add into u[t+1].
@compute @workgroup_size(64)
fn inject(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
  let id = linear_id(g, n);
  sample_receivers(id);
  add_sources(id);
}

// The same, also keeping du/dw (a forward pass that stores it for every step, so the backward
// pass needs no recomputation).
@compute @workgroup_size(64)
fn inject_keep(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
  let id = linear_id(g, n);
  sample_receivers(id);
  add_sources(id);
  sources_into_lap(id);
}

// Sources only, also into du/dw (backward recompute and Born background): no receivers.
@compute @workgroup_size(64)
fn inject_lap(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
  let id = linear_id(g, n);
  add_sources(id);
  sources_into_lap(id);
}

// Receivers only (the Born scattered field has no sources).
@compute @workgroup_size(64)
fn sample(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
  sample_receivers(linear_id(g, n));
}

// ---- Receivers as vec4s --------------------------------------------------------------------------
// When shots x receivers is a multiple of 4, sampling and the adjoint sources run as their own
// dispatch, four receivers per invocation with their absolute cell indices (shot * cells + cell:
// no division) read as one vec4, and the four samples stored (or adjoint sources read) as one vec4
// of the time-major row. The sources then run alone (`sources`, `inject_lap`, `source_cotangents`),
// so the receivers' invocations no longer carry the masked sources loop.
@group(0) @binding(21) var<storage, read> rec_abs4: array<vec4<u32>>;
@group(0) @binding(22) var<storage, read_write> rec4: array<vec4<f32>>;
@group(0) @binding(23) var<storage, read> resid4: array<vec4<f32>>;

@compute @workgroup_size(64)
fn sample4(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
  let id = linear_id(g, n);
  let n4 = q.nshot * q.nrec / 4u;
  if (id >= n4) { return; }
  let c = rec_abs4[id];
  rec4[q.t * n4 + id] = vec4<f32>(u_cur[c.x], u_cur[c.y], u_cur[c.z], u_cur[c.w]);
}

// Receivers on distinct cells only (checked on the host), like adjoint_inject_each.
@compute @workgroup_size(64)
fn adjoint_receivers4(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
  let id = linear_id(g, n);
  let n4 = q.nshot * q.nrec / 4u;
  if (id >= n4) { return; }
  let c = rec_abs4[id];
  let r = resid4[q.t * n4 + id];
  u_pn[c.x] += r.x;
  u_pn[c.y] += r.y;
  u_pn[c.z] += r.z;
  u_pn[c.w] += r.w;
}

// Sources alone (one thread per shot), and the sources' cotangents alone.
@compute @workgroup_size(64)
fn sources(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
  add_sources(linear_id(g, n));
}

@compute @workgroup_size(64)
fn source_cotangents(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
  source_cotangent(linear_id(g, n));
}

// ---- Adjoint -------------------------------------------------------------------------------------
// Forward, per axis at cell i: tmp = (1+b) D2u + db D1u + D1(a psi); contrib = (1+b) tmp + a zeta;
// psi' = b D1u + a psi; zeta' = b tmp + a zeta; u' = w sum(contrib) + 2u - u_prev. Transposing:
// with gc = w lambda' (the cotangent of contrib) and (gpsi, gzeta) the cotangents of (psi', zeta'),
//   gtmp = (1+b) gc + b gzeta,   gD2 = (1+b) gtmp,   gD1 = db gtmp + b gpsi,   gP = gtmp,
// and each stencil's transpose gathers these from the neighbours that read the cell.

// (gD2, gD1, gP) of cell i (row z) on the z axis.
fn gz(i: u32, z: u32, gc: f32) -> vec3<f32> {
  if (!ZPML || (z >= p.zin0 && z < p.zin1)) { return vec3<f32>(gc, 0.0, gc); }
  let b = pz_at(1u, z);
  let db = pz_at(2u, z);
  let gtmp = (1.0 + b) * gc + b * aux_at(2u, i);
  return vec3<f32>((1.0 + b) * gtmp, db * gtmp + b * aux_at(0u, i), gtmp);
}

fn gx(i: u32, x: u32, gc: f32) -> vec3<f32> {
  if (!XPML || (x >= p.xin0 && x < p.xin1)) { return vec3<f32>(gc, 0.0, gc); }
  let b = px_at(1u, x);
  let db = px_at(2u, x);
  let gtmp = (1.0 + b) * gc + b * aux_at(3u, i);
  return vec3<f32>((1.0 + b) * gtmp, db * gtmp + b * aux_at(1u, i), gtmp);
}

fn gc_at(i: u32, z: u32, x: u32) -> f32 {
  return w[z * p.nxp + x] * u_cur[i];
}

// Distance-k neighbours above and below (left and right) of cell i: their transposed D2 and D1
// terms accumulate into acc.x, their d(a psi) cotangents into acc.y.
fn az_k(k: u32, i: u32, z: u32, x: u32, c2: f32, c1: f32, acc: ptr<function, vec2<f32>>) {
  let ia = i - k * p.nxp;
  let ib = i + k * p.nxp;
  let above = gz(ia, z - k, gc_at(ia, z - k, x));
  let below = gz(ib, z + k, gc_at(ib, z + k, x));
  *acc += vec2<f32>(c2 * (above.x + below.x) + c1 * (above.y - below.y), c1 * (above.z - below.z));
}

fn ax_k(k: u32, i: u32, z: u32, x: u32, c2: f32, c1: f32, acc: ptr<function, vec2<f32>>) {
  let left = gx(i - k, x - k, gc_at(i - k, z, x - k));
  let right = gx(i + k, x + k, gc_at(i + k, z, x + k));
  *acc += vec2<f32>(c2 * (left.x + right.x) + c1 * (left.y - right.y), c1 * (left.z - right.z));
}

// lambda[t] = (step transpose) lambda[t+1] + 2 lambda[t+1] - lambda[t+2], the PML cotangents, and
// the imaging condition grad_w += lambda[t+1] du[t+1]/dw.
@compute @workgroup_size(64)
fn adjoint_step(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
  let c = cell_of(g, n);
  if (!c.ok) { return; }
  let x = c.x;
  let z = c.z;
  let s = c.s;
  let nx = p.nxp;
  let i = (s * p.nzp + z) * nx + x;
  let lam = u_cur[i];
  let gc = w[z * nx + x] * lam;

  // z axis: the cells above and below read this one through D2 and D1 (and D1 of a psi).
  var az = vec2<f32>(Z0 * gz(i, z, gc).x, 0.0);
  az_k(1u, i, z, x, Z1, DZ1, &az);
  if (R >= 2u) { az_k(2u, i, z, x, Z2, DZ2, &az); }
  if (R >= 3u) { az_k(3u, i, z, x, Z3, DZ3, &az); }
  if (R >= 4u) { az_k(4u, i, z, x, Z4, DZ4, &az); }
  var acc = az.x;
  // Free surface: rows whose stencils reach the mirror image of this cell (row 2(R-1) - z).
  if (ZPML && p.free_surface != 0u && z <= 2u * (R - 1u)) {
    let m = 2u * (R - 1u) - z;
    for (var zi = R; zi <= m + R; zi++) {
      let ii = (s * p.nzp + zi) * nx + x;
      let gi = gz(ii, zi, gc_at(ii, zi, x));
      let d = zi - m;
      acc -= wz(d) * gi.x - wdz(d) * gi.y;
    }
  }

  var ax = vec2<f32>(X0 * gx(i, x, gc).x, 0.0);
  ax_k(1u, i, z, x, X1, DX1, &ax);
  if (R >= 2u) { ax_k(2u, i, z, x, X2, DX2, &ax); }
  if (R >= 3u) { ax_k(3u, i, z, x, X3, DX3, &ax); }
  if (R >= 4u) { ax_k(4u, i, z, x, X4, DX4, &ax); }
  acc += ax.x;

  u_pn[i] = acc + 2.0 * lam - u_pn[i];
  if (in_pml(z, x)) {
    let ga = vec4<f32>(aux_at(0u, i), aux_at(1u, i), aux_at(2u, i), aux_at(3u, i));
    let pz = pz_at(0u, z);
    let px = px_at(0u, x);
    put_aux(i, vec4<f32>(pz * (ga.x + az.y), px * (ga.y + ax.y), pz * (gc + ga.z), px * (gc + ga.w)));
  }
  grad_w[i] += lam * lap_in[i];
}

// Cotangent of source `id`'s amplitude at step t, from lambda[t+1].
fn source_cotangent(id: u32) {
  if (id < q.nshot * q.nsrc) {
    let c = u32(src_loc[id]);
    grad_amps[id * q.nt + q.t] = -w[c] * u_cur[(id / q.nsrc) * q.cells + c];
  }
}

// Source cotangents, then the receivers' adjoint sources enter lambda[t] (one thread per shot, in
// order, so receivers sharing a cell add up).
@compute @workgroup_size(64)
fn adjoint_inject(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
  let id = linear_id(g, n);
  source_cotangent(id);
  if (id < q.nshot) {
    for (var j = 0u; j < q.nrec; j++) {
      let k = id * q.nrec + j;
      u_pn[id * q.cells + u32(rec_loc[k])] += resid[q.t * q.nshot * q.nrec + k];
    }
  }
}

// Receiver id's adjoint source into lambda[t], for receivers on distinct cells within each shot.
fn adjoint_receiver(id: u32) {
  if (id < q.nshot * q.nrec) {
    u_pn[(id / q.nrec) * q.cells + u32(rec_loc[id])] += resid[q.t * q.nshot * q.nrec + id];
  }
}

// The same with four receivers per invocation (as sample_receivers), for receivers on distinct
// cells within each shot (checked on the host): no two invocations add into one cell, and
// thousands of receivers are not one thread's loop.
@compute @workgroup_size(64)
fn adjoint_inject_each(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
  let id = linear_id(g, n);
  source_cotangent(id);
  adjoint_receiver(4u * id);
  adjoint_receiver(4u * id + 1u);
  adjoint_receiver(4u * id + 2u);
  adjoint_receiver(4u * id + 3u);
}

// ---- Receiver layout -------------------------------------------------------------------------------
// out[c][r] = in[r][c]: receivers between the time loop's [t][shot x rec] and the API's
// [shot x rec][t]. Invocation (c, block) copies 16 rows of column c: across lanes the reads are
// contiguous (consecutive c), and each lane writes 16 consecutive floats.
struct TransposeParams {
  rows: u32,
  cols: u32,
}

@group(0) @binding(0) var<uniform> tp: TransposeParams;
@group(0) @binding(19) var<storage, read> t_in: array<f32>;
@group(0) @binding(20) var<storage, read_write> t_out: array<f32>;

@compute @workgroup_size(64)
fn transpose(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
  let c = g.x;
  if (c >= tp.cols) { return; }
  let r0 = (g.y + g.z * n.y) * 16u;
  for (var j = 0u; j < 16u; j++) {
    let r = r0 + j;
    if (r < tp.rows) { t_out[c * tp.rows + r] = t_in[r * tp.cols + c]; }
  }
}

// The same for rows and cols both multiples of 4: one invocation moves a 4x4 block, four vec4
// loads along rows and four vec4 stores along columns (CPU adapters: a quarter of the load and
// store instructions, each a plain vector access).
@group(0) @binding(24) var<storage, read> t_in4: array<vec4<f32>>;
@group(0) @binding(25) var<storage, read_write> t_out4: array<vec4<f32>>;

@compute @workgroup_size(64)
fn transpose4(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
  let nc4 = tp.cols / 4u;
  let nr4 = tp.rows / 4u;
  let cq = g.x;
  let rq = g.y + g.z * n.y;
  if (cq >= nc4 || rq >= nr4) { return; }
  let i = 4u * rq * nc4 + cq;
  let a = t_in4[i];
  let b = t_in4[i + nc4];
  let c = t_in4[i + 2u * nc4];
  let d = t_in4[i + 3u * nc4];
  let o = 4u * cq * nr4 + rq;
  t_out4[o] = vec4<f32>(a.x, b.x, c.x, d.x);
  t_out4[o + nr4] = vec4<f32>(a.y, b.y, c.y, d.y);
  t_out4[o + 2u * nr4] = vec4<f32>(a.z, b.z, c.z, d.z);
  t_out4[o + 3u * nr4] = vec4<f32>(a.w, b.w, c.w, d.w);
}

// ---- Velocity guard --------------------------------------------------------------------------------
// For a velocity computed on the GPU the CFL check and the PML profile used the caller's maxVel;
// a value above it (or NaN, or not positive) sets a status flag the next read-back reports.
struct CheckParams {
  n: u32,
  vmax: f32,
}

@group(0) @binding(0) var<uniform> cp: CheckParams;
@group(0) @binding(17) var<storage, read> vel: array<f32>;
@group(0) @binding(18) var<storage, read_write> vstatus: array<atomic<u32>>;
// Allocated by the acoustic module (registerStatusFlag) and passed as a constant.
override VELOCITY_STATUS_BIT: u32;

@compute @workgroup_size(64)
fn check_velocity(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
  let i = linear_id(g, n);
  if (i >= cp.n) { return; }
  let x = vel[i];
  // NaN by its bits: compilers may assume comparisons never see NaN.
  let nan = (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
  if (nan || x <= 0.0 || x > cp.vmax) { atomicOr(&vstatus[0], VELOCITY_STATUS_BIT); }
}

// ---- Finite guard ---------------------------------------------------------------------------------
// For an input only the GPU holds (source amplitudes, a Born perturbation): a NaN or Inf would spread
// through the whole wavefield, so it sets a status flag that names the op and the tensor.
override FINITE_STATUS_BIT: u32;

@compute @workgroup_size(64)
fn check_finite(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
  let i = linear_id(g, n);
  if (i >= cp.n) { return; }
  // Exponent all ones: Inf or NaN, read by its bits (compilers may assume no NaN in comparisons).
  if ((bitcast<u32>(vel[i]) & 0x7f800000u) == 0x7f800000u) { atomicOr(&vstatus[0], FINITE_STATUS_BIT); }
}
