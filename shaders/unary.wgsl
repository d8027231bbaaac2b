// Elementwise unary ops and casts over a strided input view, writing a contiguous output.
// Buffers hold raw 32-bit words; DT says how to read them (0 float32, 1 int32, 2 uint32), so one
// file serves every dtype and the override constants fold the unused branches away.

struct Params {
  n: u32,          // output elements
  rank: u32,
  offset: i32,     // input view offset, in elements
  alpha: f32,      // parameter of leaky_relu
  shape: array<vec4<u32>, 2>,
  strides: array<vec4<i32>, 2>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<u32>;

override OP: u32 = 0u;
override DT: u32 = 0u;       // input dtype
override DT_OUT: u32 = 0u;   // output dtype, for cast
override CONTIGUOUS: bool = false;

const OP_COPY = 0u; const OP_NEG = 1u; const OP_ABS = 2u; const OP_EXP = 3u; const OP_LOG = 4u;
const OP_SQRT = 5u; const OP_RSQRT = 6u; const OP_SIN = 7u; const OP_COS = 8u; const OP_TANH = 9u;
const OP_SIGMOID = 10u; const OP_RELU = 11u; const OP_LEAKY_RELU = 12u; const OP_GELU = 13u;
const OP_SOFTPLUS = 14u; const OP_SQUARE = 15u; const OP_RECIPROCAL = 16u; const OP_SIGN = 17u;

fn source_index(i: u32) -> u32 {
  if (CONTIGUOUS) { return u32(p.offset) + i; }
  var rem = i;
  var idx = p.offset;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let extent = p.shape[d / 4][d % 4];
    idx += i32(rem % extent) * p.strides[d / 4][d % 4];
    rem /= extent;
  }
  return u32(idx);
}

fn linear_id(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}

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

// log(1 + e) accurate for tiny e (Goldberg's trick): plain log(1 + e) loses e entirely below 6e-8.
fn log1p_f32(e: f32) -> f32 {
  let u = 1.0 + e;
  if (u == 1.0) { return e; }
  return log(u) * (e / (u - 1.0));
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

fn unary_f32(v: f32) -> f32 {
  switch OP {
    case OP_NEG: { return -v; }
    case OP_ABS: { return abs(v); }
    case OP_EXP: { return exp(v); }
    case OP_LOG: { return log(v); }
    case OP_SQRT: { return sqrt(v); }
    case OP_RSQRT: { return inverseSqrt(v); }
    case OP_SIN: { return sincos_f32(v).x; }
    case OP_COS: { return sincos_f32(v).y; }
    // tanh through exp overflows for |v| > 44 on some drivers; tanh(±9) is ±1 in float32.
    case OP_TANH: { return tanh(clamp(v, -9.0, 9.0)); }
    case OP_SIGMOID: {
      let e = exp(-abs(v));
      return select(e / (1.0 + e), 1.0 / (1.0 + e), v >= 0.0);
    }
    case OP_RELU: { return max(v, 0.0); }
    case OP_LEAKY_RELU: { return select(p.alpha * v, v, v >= 0.0); }
    case OP_GELU: { return 0.5 * v * (1.0 + erf_f32(v * 0.70710678118654752)); }
    // log(1 + e^v) without overflow or underflow: max(v, 0) + log1p(e^-|v|).
    case OP_SOFTPLUS: { return max(v, 0.0) + log1p_f32(exp(-abs(v))); }
    case OP_SQUARE: { return v * v; }
    case OP_RECIPROCAL: { return 1.0 / v; }
    case OP_SIGN: { return sign(v); }
    default: { return v; }
  }
}

fn unary_i32(v: i32) -> i32 {
  switch OP {
    case OP_NEG: { return -v; }
    case OP_ABS: { return abs(v); }
    case OP_RELU: { return max(v, 0); }
    case OP_SQUARE: { return v * v; }
    case OP_SIGN: { return sign(v); }
    default: { return v; }
  }
}

fn unary_u32(v: u32) -> u32 {
  switch OP {
    case OP_SQUARE: { return v * v; }
    case OP_SIGN: { return min(v, 1u); }
    default: { return v; }
  }
}

@compute @workgroup_size(64)
fn unary(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_id(gid, groups);
  if (i >= p.n) { return; }
  let w = x[source_index(i)];
  if (DT == 0u) {
    y[i] = bitcast<u32>(unary_f32(bitcast<f32>(w)));
  } else if (DT == 1u) {
    y[i] = bitcast<u32>(unary_i32(bitcast<i32>(w)));
  } else {
    y[i] = unary_u32(w);
  }
}

// Casts follow NumPy's astype: float to int truncates toward zero (WGSL clamps out-of-range values).
@compute @workgroup_size(64)
fn cast_words(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_id(gid, groups);
  if (i >= p.n) { return; }
  let w = x[source_index(i)];
  var f: f32;
  var s: i32;
  var u: u32;
  if (DT == 0u) { f = bitcast<f32>(w); s = i32(f); u = u32(max(f, 0.0)); }
  else if (DT == 1u) { s = bitcast<i32>(w); f = f32(s); u = bitcast<u32>(s); }
  else { u = w; f = f32(u); s = bitcast<i32>(u); }
  if (DT_OUT == 0u) { y[i] = bitcast<u32>(f); }
  else if (DT_OUT == 1u) { y[i] = bitcast<u32>(s); }
  else { y[i] = u; }
}
