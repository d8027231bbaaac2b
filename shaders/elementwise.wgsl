// Every elementwise op (unary math, binary arithmetic and comparisons, where, cast, copy) is a
// call to one of the functions below. The scheduler fuses chains of elementwise ops and writes the
// body of `run` as straight-line calls with constant op codes (see src/graph/fusion.ts), so
// `x.mul(a).add(b).tanh()` is one dispatch whose intermediates never touch memory. The generated
// part is only glue; the kernel depends on the op sequence, never on shapes or scalar values
// (scalars travel in `imms`), so one compile serves every size and every step of a training loop.
// As written here, `run` copies input 0: that is also how single-input views are materialized.
// dt codes: 0 float32, 1 int32, 2 uint32. Values travel as raw 32-bit words.

const MAX_INPUTS = 6;

struct Params {
  n: u32,
  rank: u32,
  n_inputs: u32,
  red4: u32,         // run_sum4 only: vec4s per output row, per partial sum, partials per row,
  chunk4: u32,       // and the scale of the sum (1, or 1/n for a mean); zero for run
  n_chunks: u32,
  scale: f32,
  shape: array<vec4<u32>, 2>,
  offsets: array<vec4<i32>, 2>,
  strides: array<array<vec4<i32>, 2>, MAX_INPUTS>,
  imms: array<vec4<u32>, 16>,   // scalar operands and parameters, one slot per instruction
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> in0: array<u32>;
@group(0) @binding(2) var<storage, read> in1: array<u32>;
@group(0) @binding(3) var<storage, read> in2: array<u32>;
@group(0) @binding(4) var<storage, read> in3: array<u32>;
@group(0) @binding(5) var<storage, read> in4: array<u32>;
@group(0) @binding(6) var<storage, read> in5: array<u32>;
@group(0) @binding(7) var<storage, read_write> y: array<u32>;

// The same bindings viewed as vec4s, for the vec4 form of a flat program (src/graph/fusion.ts):
// each invocation runs the body on four consecutive elements, reading each contiguous input as one
// vec4 (a plain vector load on CPU adapters, where four one-word loads are four gathers) and storing
// one vec4. Only generated bodies use them.
@group(0) @binding(1) var<storage, read> in0v: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> in1v: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read> in2v: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read> in3v: array<vec4<u32>>;
@group(0) @binding(5) var<storage, read> in4v: array<vec4<u32>>;
@group(0) @binding(6) var<storage, read> in5v: array<vec4<u32>>;
@group(0) @binding(7) var<storage, read_write> y4: array<vec4<u32>>;

// When the scheduler collapses every input's view to one dimension (contiguous, a broadcast scalar,
// an evenly strided view), input k is read at offset + i * stride: no walk over dims.
override FLAT: bool = false;
// When the views collapse to 2-4 dims, the host right-aligns shape and strides in the first vec4
// (leading extents 1, strides 0) and the walk is four fixed steps: a loop over `rank` indexes the
// uniform arrays dynamically, which SwiftShader pays for with a copy per read (~50x slower on a
// [4, 5000] by [4, 1] product).
override RANK4: bool = false;

// The op constants and the op functions `unary(op, dt, w, alpha)` and `binary(op, dt, wa, wb)` are
// generated from the op table (src/autodiff/optable.ts) into the line below when the source is
// built (src/ops/elementwise.ts): each table entry gives its WGSL expression and its code is assigned
// there, so TypeScript and WGSL cannot disagree. Unary op 0 is the copy (contiguous, clone).
// <op-table>

// erf with |error| < 1.2e-7 (Numerical Recipes' erfc Chebyshev fit), so GELU matches the exact
// erf form that PyTorch uses by default.
fn erf_f32(v: f32) -> f32 {
  let z = abs(v);
  let t = 1.0 / (1.0 + 0.5 * z);
  let r = t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
          t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
          t * (-0.82215223 + t * 0.17087277)))))))));
  return select(r - 1.0, 1.0 - r, v >= 0.0);
}

// log(1 + e) to a few ulp for every e > -1. Plain log(1 + e) loses e entirely below 6e-8, and the
// builtin log is only accurate in absolute terms near 1 (WGSL allows 2^-21; SwiftShader is off by
// ~1e-7, a 2% error at e = -6e-6), so Goldberg's log(u) * e / (u - 1) is no cure. Where 1 + e lies
// in [sqrt(1/2), sqrt(2)]: log(1 + e) = 2 atanh(s) with s = e / (2 + e), |s| <= 0.172, whose odd
// series truncated after s^9 is off by < 2e-9 relative. Elsewhere |log(1 + e)| >= 0.34, so the
// builtin's absolute error and the rounding of 1 + e stay below a few ulp of the result.
fn log1p_f32(e: f32) -> f32 {
  if (e > -0.29289322 && e < 0.41421356) {
    let s = e / (2.0 + e);
    let s2 = s * s;
    return 2.0 * s * (1.0 + s2 * (0.33333334 + s2 * (0.2 + s2 * (0.14285715 + s2 * 0.11111111))));
  }
  // log(0) is -88 on SwiftShader; -inf comes from a uniform, out of the constant evaluator's sight.
  if (e == -1.0) { return bitcast<f32>(0xff800000u | (p.n & 0u)); }
  return log(1.0 + e);
}

// sin and cos with our own range reduction: WGSL only promises 2^-11 absolute error, and
// SwiftShader's builtins are off by ~1e-4, far too coarse for physics. Cody-Waite reduction by
// pi/2 in three parts, then Cephes' single-precision minimax polynomials on [-pi/4, pi/4].
fn sincos_f32(x: f32) -> vec2<f32> {
  let q = round(x * 0.63661977236758134);
  var r = x - q * 1.5703125;
  r -= q * 4.837512969970703125e-4;
  r -= q * 7.54978995489188216e-8;
  let r2 = r * r;
  let s = r + r * r2 * (-1.6666654611e-1 + r2 * (8.3321608736e-3 + r2 * -1.9515295891e-4));
  let c = 1.0 - 0.5 * r2 + r2 * r2 * (4.166664568298827e-2 + r2 * (-1.388731625493765e-3 + r2 * 2.443315711809948e-5));
  switch (i32(q) & 3) {
    case 0: { return vec2<f32>(s, c); }
    case 1: { return vec2<f32>(c, -s); }
    case 2: { return vec2<f32>(-s, -c); }
    default: { return vec2<f32>(-c, s); }
  }
}

// Casts follow NumPy's astype: float to int truncates toward zero; negative floats to uint32 give 0.
fn cast_word(w: u32, src_dt: u32, dst_dt: u32) -> u32 {
  var f: f32;
  var s: i32;
  var u: u32;
  if (src_dt == 0u) { f = bitcast<f32>(w); s = i32(f); u = u32(max(f, 0.0)); }
  else if (src_dt == 1u) { s = bitcast<i32>(w); f = f32(s); u = w; }
  else { u = w; f = f32(u); s = bitcast<i32>(u); }
  if (dst_dt == 0u) { return bitcast<u32>(f); }
  if (dst_dt == 1u) { return bitcast<u32>(s); }
  return u;
}

// NumPy semantics for a negative base: integer exponents give a real result, others NaN.
fn pow_f32(base: f32, e: f32) -> f32 {
  if (e == 0.0) { return 1.0; }
  let m = pow(abs(base), e);
  if (base >= 0.0) { return m; }
  // The NaN comes from a uniform so the constant evaluator (which rejects NaN) never sees it.
  if (floor(e) != e) { return bitcast<f32>(0x7fc00000u | (p.n & 0u)); }
  let odd = (abs(e) % 2.0) == 1.0;
  return select(m, -m, odd);
}

fn pow_int(base: i32, e: i32) -> i32 {
  if (e < 0) { return select(0, select(-1, 1, (e & 1) == 0), base == -1) + select(0, 1, base == 1); }
  var r = 1;
  var bb = base;
  var ee = e;
  while (ee > 0) {
    if ((ee & 1) == 1) { r *= bb; }
    bb *= bb;
    ee >>= 1u;
  }
  return r;
}

fn imm(k: u32) -> u32 { return p.imms[k / 4u][k % 4u]; }

// Called with a constant k, so the switch folds away; it also makes every input binding part of
// the kernel's interface, whatever the program reads.
fn load(k: u32, idx: i32) -> u32 {
  switch k {
    case 0u: { return in0[idx]; }
    case 1u: { return in1[idx]; }
    case 2u: { return in2[idx]; }
    case 3u: { return in3[idx]; }
    case 4u: { return in4[idx]; }
    default: { return in5[idx]; }
  }
}

fn load4(k: u32, i: u32) -> vec4<u32> {
  switch k {
    case 0u: { return in0v[i]; }
    case 1u: { return in1v[i]; }
    case 2u: { return in2v[i]; }
    case 3u: { return in3v[i]; }
    case 4u: { return in4v[i]; }
    default: { return in5v[i]; }
  }
}

// Input k's four elements for vec4 i of the output (a unit-stride input whose offset is a multiple of 4).
fn vec_of(k: u32, i: u32) -> vec4<u32> { return load4(k, u32(p.offsets[k / 4u][k % 4u]) / 4u + i); }

// A broadcast input's one word.
fn word_of(k: u32) -> u32 {
  let o = u32(p.offsets[k / 4u][k % 4u]);
  return load4(k, o / 4u)[o % 4u];
}

// where: a float condition is tested as a float, so -0.0 is false.
fn truthy(w: u32, is_float: bool) -> bool {
  return select(w != 0u, bitcast<f32>(w) != 0.0, is_float);
}

// Element index of input k for output element i. Called with a constant k: no per-thread array
// (a dynamically indexed private array cost SwiftShader ~5x on a plain copy).
fn index_of(k: u32, i: u32) -> i32 {
  if (FLAT) { return p.offsets[k / 4u][k % 4u] + i32(i) * p.strides[k][0].x; }
  if (RANK4) {
    let sh = p.shape[0];
    let st = p.strides[k][0];
    var rem = i;
    var at = p.offsets[k / 4u][k % 4u] + i32(rem % sh.w) * st.w;
    rem /= sh.w;
    at += i32(rem % sh.z) * st.z;
    rem /= sh.z;
    at += i32(rem % sh.y) * st.y;
    return at + i32(rem / sh.y) * st.x;
  }
  var idx = p.offsets[k / 4u][k % 4u];
  var rem = i;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let extent = p.shape[d / 4][d % 4];
    idx += i32(rem % extent) * p.strides[k][d / 4][d % 4];
    rem /= extent;
  }
  return idx;
}

@compute @workgroup_size(64)
fn run(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i >= p.n) { return; }
  // <program>
  let v0 = load(0u, index_of(0u, i));
  y[i] = v0;
  // </program>
}

// sum(program(inputs)) over rows of red4 vec4s without storing the program's output: reduce.wgsl's
// reduce_thread_sum4 with a generated vec4 program in front (src/graph/fusion.ts, fuseSum). Partial
// t sums vec4s [g chunk4, min((g + 1) chunk4, red4)) of row o = t / n_chunks (g = t % n_chunks) in
// the same order with the same compensation, so the result is bitwise the unfused one; an L2
// misfit no longer writes and re-reads its squared residuals.
@compute @workgroup_size(64)
fn run_sum4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let t = gid.x + gid.y * groups.x * 64u;
  if (t >= p.n) { return; }
  let o = t / p.n_chunks;
  let g = t % p.n_chunks;
  let q1 = min(p.red4, g * p.chunk4 + p.chunk4);
  var s = vec4<f32>(0.0);
  var c = vec4<f32>(0.0);
  for (var q = g * p.chunk4; q < q1; q++) {
    let i = o * p.red4 + q;
    // <program>
    let val = vec4<u32>(load(0u, i32(i)));
    // </program>
    let v = bitcast<vec4<f32>>(val) - c;
    let s1 = s + v;
    c = (s1 - s) - v;
    s = s1;
  }
  let r = s - c;
  y[t] = bitcast<u32>(((r.x + r.y) + (r.z + r.w)) * p.scale);
}
