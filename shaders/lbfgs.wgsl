// L-BFGS on the GPU (src/nn/twoloop.ts): the two-loop recursion (Nocedal & Wright Alg. 7.4)
// without read-backs, and the line search's scalar probe.
//
// Large n: a chain of `step` dispatches, one per pair and loop, over the pair vectors (one buffer
// each, so n is limited only like x itself). Each dispatch finishes the previous dot product (every
// workgroup sums its G partial sums itself: no reduction dispatch), updates the vector, and leaves
// the G partial sums of the next dot product: 2k + 1 dispatches for k pairs. The alphas stay in
// `work`. Dispatches of one pass run in order, which orders the partial sums between them.
// Small n (<= 4096): `twoloop_local`, the whole recursion in one workgroup and one dispatch, over
// the pairs as rows of two [m, n] ring buffers S and Y.
//
// work layout (f32): [0, 64) and [64, 128) two ping-pong slots of partial sums, [128, 192) partial
// sums of y.y for the newest pair (for gamma), [192, 192 + m) the alphas of loop 1.

const WG = 64u;
const YY = 2u;
const ALPHA = 192u;

struct StepParams {
  n: u32,
  groups: u32,     // workgroups G (<= 64): also the number of partial sums per dot product
  in_slot: u32,    // slot holding the partial sums to finish into c = rho * sum; 3 = none
  out_slot: u32,   // slot for the partial sums of the next dot product
  rho: f32,        // 1 / s.y of the pair being finished
  vsel: u32,       // 0 nothing; 1 loop 1: alpha = c, q -= alpha V (V = y_i); 2 loop 2: q += (alpha - c) V (V = s_i)
  aidx: u32,       // logical index of that pair (alpha slot)
  init: u32,       // 1: start from q = g
  gamma: u32,      // 1: then scale q by gamma = s.y / y.y of the newest pair = 1 / (rho_new y.y)
  rho_new: f32,
  negate: u32,     // 1: then negate (the last step writes d = -H g)
  dot: u32,        // 1: leave the partial sums of D.q
}

struct PushParams {
  n: u32,
  groups: u32,
  row: u32,        // ring row (small n) or 0 (one buffer per vector)
  alpha: f32,      // accepted step length: s = alpha d
}

@group(0) @binding(0) var<uniform> u: StepParams;
@group(0) @binding(0) var<uniform> pu: PushParams;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> q: array<f32>;
@group(0) @binding(2) var<storage, read> d_in: array<f32>;
@group(0) @binding(3) var<storage, read> S: array<f32>;
@group(0) @binding(3) var<storage, read> V: array<f32>;
@group(0) @binding(3) var<storage, read_write> s_out: array<f32>;
@group(0) @binding(4) var<storage, read> Y: array<f32>;
@group(0) @binding(4) var<storage, read> D: array<f32>;
@group(0) @binding(4) var<storage, read_write> y_out: array<f32>;
@group(0) @binding(5) var<storage, read_write> work: array<f32>;
@group(0) @binding(6) var<storage, read> g_old: array<f32>;

var<workgroup> red: array<f32, WG>;

// Sum over the workgroup; every lane gets the total. Each lane adds the 64 shared values itself
// (broadcast reads): two barriers instead of a tree's eight, which is what costs on CPU adapters.
// Call from uniform control flow only.
fn wg_sum(lid: u32, v: f32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  var t = 0.0;
  for (var i = 0u; i < WG; i++) { t += red[i]; }
  workgroupBarrier();
  return t;
}

fn slot_sum(lid: u32, slot: u32, groups: u32) -> f32 {
  var v = 0.0;
  if (lid < groups) { v = work[slot * WG + lid]; }
  return wg_sum(lid, v);
}

@compute @workgroup_size(64)
fn step(@builtin(local_invocation_id) l: vec3<u32>, @builtin(workgroup_id) w: vec3<u32>) {
  let lid = l.x;
  var c = 0.0;
  if (u.in_slot < 3u) { c = u.rho * slot_sum(lid, u.in_slot, u.groups); }
  var coef = 0.0;
  if (u.vsel == 1u) {
    coef = -c;
    if (w.x == 0u && lid == 0u) { work[ALPHA + u.aidx] = c; }
  } else if (u.vsel == 2u) {
    coef = work[ALPHA + u.aidx] - c;
  }
  var scale = 1.0;
  if (u.gamma == 1u) { scale = 1.0 / (u.rho_new * slot_sum(lid, YY, u.groups)); }
  if (u.negate == 1u) { scale = -scale; }
  var acc = 0.0;
  for (var j = w.x * WG + lid; j < u.n; j += u.groups * WG) {
    var x = 0.0;
    if (u.init == 1u) { x = g[j]; } else { x = q[j]; }
    if (u.vsel != 0u) { x += coef * V[j]; }
    x *= scale;
    q[j] = x;
    if (u.dot == 1u) { acc += x * D[j]; }
  }
  if (u.dot == 1u) {
    let total = wg_sum(lid, acc);
    if (lid == 0u) { work[u.out_slot * WG + w.x] = total; }
  }
}

// The whole recursion in one dispatch of one workgroup, for small n (<= 4096) where the chain of
// `step` dispatches would cost more in dispatch overhead than in arithmetic. Each lane owns the
// elements j = lid (mod 64) of q, so only the dot products need the workgroup.
struct LocalParams {
  n: u32,
  k: u32,          // pairs held (<= 64)
  start: u32,      // ring row of the oldest
  m: u32,
  rho: array<vec4<f32>, 16>,   // 1 / s.y by logical index
}

@group(0) @binding(0) var<uniform> lp: LocalParams;

var<workgroup> alphas: array<f32, 64>;

fn rho_of(i: u32) -> f32 { return lp.rho[i / 4u][i % 4u]; }
fn row_of(i: u32) -> u32 { return ((lp.start + i) % lp.m) * lp.n; }

@compute @workgroup_size(64)
fn twoloop_local(@builtin(local_invocation_id) l: vec3<u32>) {
  let lid = l.x;
  let n = lp.n;
  for (var j = lid; j < n; j += WG) { q[j] = g[j]; }
  for (var t = 0u; t < lp.k; t++) {
    let i = lp.k - 1u - t;
    let r = row_of(i);
    var acc = 0.0;
    for (var j = lid; j < n; j += WG) { acc += S[r + j] * q[j]; }
    let a = rho_of(i) * wg_sum(lid, acc);
    if (lid == 0u) { alphas[i] = a; }
    for (var j = lid; j < n; j += WG) { q[j] -= a * Y[r + j]; }
  }
  if (lp.k > 0u) {
    let r = row_of(lp.k - 1u);
    var acc = 0.0;
    for (var j = lid; j < n; j += WG) { acc += Y[r + j] * Y[r + j]; }
    let gamma = 1.0 / (rho_of(lp.k - 1u) * wg_sum(lid, acc));
    for (var j = lid; j < n; j += WG) { q[j] *= gamma; }
  }
  for (var i = 0u; i < lp.k; i++) {
    let r = row_of(i);
    var acc = 0.0;
    for (var j = lid; j < n; j += WG) { acc += Y[r + j] * q[j]; }
    let c = alphas[i] - rho_of(i) * wg_sum(lid, acc);
    for (var j = lid; j < n; j += WG) { q[j] += c * S[r + j]; }
  }
  for (var j = lid; j < n; j += WG) { q[j] = -q[j]; }
}

// Stores a new pair in ring row `row`: s = alpha d, y = g_new - g_old, and the partial sums of y.y.
@compute @workgroup_size(64)
fn push(@builtin(local_invocation_id) l: vec3<u32>, @builtin(workgroup_id) w: vec3<u32>) {
  let lid = l.x;
  var acc = 0.0;
  for (var j = w.x * WG + lid; j < pu.n; j += pu.groups * WG) {
    let y = g[j] - g_old[j];
    s_out[pu.row * pu.n + j] = pu.alpha * d_in[j];
    y_out[pu.row * pu.n + j] = y;
    acc += y * y;
  }
  let total = wg_sum(lid, acc);
  if (lid == 0u) { work[YY * WG + w.x] = total; }
}

// Line-search probe: the scalars one trial needs, in one small buffer for one read-back:
// [loss, g.d, |g|_inf, g0.d, |d|_inf] (the last two on an iteration's first trial only). Two
// dispatches: G workgroups leave partial sums and maxima in `work`, one workgroup finishes them.
struct ProbeParams {
  n: u32,
  groups: u32,
  first: u32,
  loss_offset: u32,
}

@group(0) @binding(0) var<uniform> pp: ProbeParams;
@group(0) @binding(1) var<storage, read> loss_in: array<f32>;
@group(0) @binding(2) var<storage, read_write> probe_out: array<f32>;

fn is_nan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }

// max that propagates NaN (a NaN gradient must not look converged).
fn nan_max(a: f32, b: f32) -> f32 { return select(max(a, b), a + b, is_nan(a) || is_nan(b)); }

fn wg_max(lid: u32, v: f32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  var t = 0.0;
  for (var i = 0u; i < WG; i++) { t = nan_max(t, red[i]); }
  workgroupBarrier();
  return t;
}

@compute @workgroup_size(64)
fn probe_partial(@builtin(local_invocation_id) l: vec3<u32>, @builtin(workgroup_id) w: vec3<u32>) {
  let lid = l.x;
  var gd = 0.0; var gm = 0.0; var g0d = 0.0; var dm = 0.0;
  for (var j = w.x * WG + lid; j < pp.n; j += pp.groups * WG) {
    let dj = d_in[j];
    let gj = g[j];
    gd += gj * dj;
    gm = nan_max(gm, abs(gj));
    if (pp.first == 1u) {
      g0d += g_old[j] * dj;
      dm = nan_max(dm, abs(dj));
    }
  }
  let a = wg_sum(lid, gd);
  let b = wg_max(lid, gm);
  let c = wg_sum(lid, g0d);
  let e = wg_max(lid, dm);
  if (lid == 0u) {
    work[w.x] = a;
    work[WG + w.x] = b;
    work[2u * WG + w.x] = c;
    work[3u * WG + w.x] = e;
  }
}

@compute @workgroup_size(64)
fn probe_final(@builtin(local_invocation_id) l: vec3<u32>) {
  let lid = l.x;
  var a = 0.0; var b = 0.0; var c = 0.0; var e = 0.0;
  if (lid < pp.groups) {
    a = work[lid];
    b = work[WG + lid];
    c = work[2u * WG + lid];
    e = work[3u * WG + lid];
  }
  let sa = wg_sum(lid, a);
  let mb = wg_max(lid, b);
  let sc = wg_sum(lid, c);
  let me = wg_max(lid, e);
  if (lid == 0u) {
    probe_out[0] = loss_in[pp.loss_offset];
    probe_out[1] = sa;
    probe_out[2] = mb;
    probe_out[3] = sc;
    probe_out[4] = me;
  }
}
