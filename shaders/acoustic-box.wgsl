// The interior box of the acoustic stencil (acoustic.wgsl REGION 1: no PML term, no free-surface
// mirror) laid out for CPU adapters (SwiftShader: 4-wide SIMD, llvmpipe: 8-wide). One invocation
// owns four neighbouring cells of a row (one vec4) and marches down ZSEG rows of its column, keeping
// the 2R+1 rows its z terms need in registers: each row is loaded once per invocation, not 2R+1
// times, and every access is a whole vec4 at an index computed once per row, which the JIT turns
// into plain vector loads instead of per-lane gathers. x neighbours come from the vec4s left and
// right of the row, shifted with swizzles. No barriers, no shared memory (both cost on CPU adapters).
// The arithmetic order equals acoustic.wgsl's, so the two paths agree to float32 round-off (bitwise
// where the compilers contract alike): test/acoustic-variants.test.ts.
// Requires the padded row length and the box's first column to be multiples of 4 (grid.ts).

struct BoxParams {
  nzp: u32,
  nxq: u32,    // row length in vec4s
  nshot: u32,
  bz0: u32,    // box rows [bz0, bz1)
  bz1: u32,
  bq0: u32,    // box columns [4 bq0, 4 (bq0 + ncg))
  ncg: u32,
  nseg: u32,   // ceil((bz1 - bz0) / ZSEG)
}

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
// Rows per invocation: long enough to amortise the 2R rows loaded before the march.
override ZSEG: u32 = 16u;
override DW_SHOT: bool = false;  // Born's dw per shot (laid out like u) instead of one for all shots

@group(0) @binding(0) var<uniform> b: BoxParams;
@group(0) @binding(1) var<storage, read> w: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> u_cur: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> u_pn: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> lap_out: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read> lap_in: array<vec4<f32>>;
@group(0) @binding(9) var<storage, read_write> grad_w: array<vec4<f32>>;
@group(0) @binding(10) var<storage, read> dw: array<vec4<f32>>;

// The cells k to the right (left) of the four in c, given the vec4s r right (l left) of it.
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

// x part of the second difference at the four cells c (acoustic.wgsl's dx.x, same order).
fn d2x(l: vec4<f32>, c: vec4<f32>, r: vec4<f32>) -> vec4<f32> {
  var a = X0 * c + X1 * (right_of(c, r, 1u) + left_of(l, c, 1u));
  if (R >= 2u) { a += X2 * (right_of(c, r, 2u) + left_of(l, c, 2u)); }
  if (R >= 3u) { a += X3 * (right_of(c, r, 3u) + left_of(l, c, 3u)); }
  if (R >= 4u) { a += X4 * (right_of(c, r, 4u) + left_of(l, c, 4u)); }
  return a;
}

// Rows above (a1 = z-1 ...) and below (b1 = z+1 ...) of the current row, held in registers.
struct Window {
  a4: vec4<f32>, a3: vec4<f32>, a2: vec4<f32>, a1: vec4<f32>,
  c: vec4<f32>,
  b1: vec4<f32>, b2: vec4<f32>, b3: vec4<f32>, b4: vec4<f32>,
}

fn d2z(v: Window) -> vec4<f32> {
  var a = Z0 * v.c + Z1 * (v.b1 + v.a1);
  if (R >= 2u) { a += Z2 * (v.b2 + v.a2); }
  if (R >= 3u) { a += Z3 * (v.b3 + v.a3); }
  if (R >= 4u) { a += Z4 * (v.b4 + v.a4); }
  return a;
}

// Moves the window one row down; with_last fills the new row z + R.
fn advance_window(v: Window) -> Window {
  return Window(v.a3, v.a2, v.a1, v.c, v.b1, v.b2, v.b3, v.b4, vec4<f32>(0.0));
}

struct Task {
  base: u32,   // vec4 index of (shot, row 0, this column)
  q: u32,      // vec4 column
  z0: u32,
  n: u32,      // rows to march
  ok: bool,
}

// a / d and a % d through a float division, exact for a + d < 2^22 (acoustic-band.wgsl).
fn divmod(a: u32, d: u32) -> vec2<u32> {
  let qt = u32((f32(a) + 0.5) / f32(d));
  return vec2<u32>(qt, a - qt * d);
}

// Column and row segment of shot g.z.
fn task_of(g: vec3<u32>, nwg: vec3<u32>) -> Task {
  let id = g.x + g.y * nwg.x * 64u;
  let sc = divmod(id, b.ncg);
  var t: Task;
  t.q = b.bq0 + sc.y;
  t.z0 = b.bz0 + sc.x * ZSEG;
  t.ok = sc.x < b.nseg && g.z < b.nshot;
  t.n = select(0u, min(ZSEG, b.bz1 - t.z0), t.ok);
  t.base = g.z * b.nzp * b.nxq + t.q;
  return t;
}

// The window of u[t] around row z0, but for row z0 + R, which the march loads.
fn start_u(t: Task) -> Window {
  var v: Window;
  let i = t.base + t.z0 * b.nxq;
  v.a1 = u_cur[i - b.nxq];
  v.c = u_cur[i];
  if (R >= 2u) { v.a2 = u_cur[i - 2u * b.nxq]; v.b1 = u_cur[i + b.nxq]; }
  if (R >= 3u) { v.a3 = u_cur[i - 3u * b.nxq]; v.b2 = u_cur[i + 2u * b.nxq]; }
  if (R >= 4u) { v.a4 = u_cur[i - 4u * b.nxq]; v.b3 = u_cur[i + 3u * b.nxq]; }
  return v;
}

// With row z + R in its slot: the window is complete.
fn with_last(v: Window, last: vec4<f32>) -> Window {
  var o = v;
  if (R == 1u) { o.b1 = last; }
  if (R == 2u) { o.b2 = last; }
  if (R == 3u) { o.b3 = last; }
  if (R == 4u) { o.b4 = last; }
  return o;
}

// Row z of the march: the window completed with row z + R, and the stencil at its centre row
// (acoustic.wgsl's lap: du[t+1]/dw before the sources).
struct Row {
  v: Window,
  i: u32,      // u's vec4 index of (shot, z, column)
  m: u32,      // w's vec4 index of (z, column)
  lap: vec4<f32>,
}

fn row_at(t: Task, v: Window, j: u32) -> Row {
  var r: Row;
  let z = t.z0 + j;
  r.i = t.base + z * b.nxq;
  r.m = z * b.nxq + t.q;
  r.v = with_last(v, u_cur[r.i + R * b.nxq]);
  r.lap = d2z(r.v) + d2x(u_cur[r.i - 1u], r.v.c, u_cur[r.i + 1u]);
  return r;
}

// u[t+1] = w lap + 2 u[t] - u[t-1] at the march's row (before any Born term).
fn leapfrog(r: Row) -> vec4<f32> {
  return w[r.m] * r.lap + 2.0 * r.v.c - u_pn[r.i];
}

// Forward step over the box.
@compute @workgroup_size(64)
fn box_step(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = task_of(g, nwg);
  if (!t.ok) { return; }
  var v = start_u(t);
  for (var j = 0u; j < t.n; j++) {
    let r = row_at(t, v, j);
    u_pn[r.i] = leapfrog(r);
    v = advance_window(r.v);
  }
}

// The same, also keeping du[t+1]/dw (backward recompute, Born background).
@compute @workgroup_size(64)
fn box_step_lap(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = task_of(g, nwg);
  if (!t.ok) { return; }
  var v = start_u(t);
  for (var j = 0u; j < t.n; j++) {
    let r = row_at(t, v, j);
    u_pn[r.i] = leapfrog(r);
    lap_out[r.i] = r.lap;
    v = advance_window(r.v);
  }
}

// Born: the scattered field's step, driven by dw times the background's du/dw.
@compute @workgroup_size(64)
fn box_born(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = task_of(g, nwg);
  if (!t.ok) { return; }
  var v = start_u(t);
  for (var j = 0u; j < t.n; j++) {
    let r = row_at(t, v, j);
    u_pn[r.i] = leapfrog(r) + dw[select(r.m, r.i, DW_SHOT)] * lap_in[r.i];
    v = advance_window(r.v);
  }
}

// Adjoint step over the box, where the transposed stencil is the same stencil applied to
// gc = w lambda[t+1]: lambda[t] = D2(gc) + 2 lambda[t+1] - lambda[t+2], and the imaging condition
// grad_w += lambda[t+1] du[t+1]/dw. The window holds gc; the centre row's lambda is kept beside it.
// gc = w lambda[t+1] at w's vec4 index m and lambda's vec4 index i.
fn gc(m: u32, i: u32) -> vec4<f32> {
  return w[m] * u_cur[i];
}

@compute @workgroup_size(64)
fn box_adjoint(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = task_of(g, nwg);
  if (!t.ok) { return; }
  let row0 = t.z0 * b.nxq + t.q;   // w's index of (z0, q): w has one shot
  let i0 = t.base + t.z0 * b.nxq;
  let nq = b.nxq;
  var v: Window;
  v.a1 = gc(row0 - nq, i0 - nq);
  v.c = gc(row0, i0);
  if (R >= 2u) { v.a2 = gc(row0 - 2u * nq, i0 - 2u * nq); v.b1 = gc(row0 + nq, i0 + nq); }
  if (R >= 3u) { v.a3 = gc(row0 - 3u * nq, i0 - 3u * nq); v.b2 = gc(row0 + 2u * nq, i0 + 2u * nq); }
  if (R >= 4u) { v.a4 = gc(row0 - 4u * nq, i0 - 4u * nq); v.b3 = gc(row0 + 3u * nq, i0 + 3u * nq); }
  for (var j = 0u; j < t.n; j++) {
    let m = row0 + j * nq;
    let i = i0 + j * nq;
    v = with_last(v, gc(m + R * nq, i + R * nq));
    let lam = u_cur[i];
    let acc = d2z(v) + d2x(gc(m - 1u, i - 1u), v.c, gc(m + 1u, i + 1u));
    u_pn[i] = acc + 2.0 * lam - u_pn[i];
    grad_w[i] += lam * lap_in[i];
    v = advance_window(v);
  }
}
