// Tensor creation on the device: constant fill, arange, and random numbers from Philox-4x32-10
// (Salmon et al., SC'11). Philox is counter-based: element i depends only on (seed, offset, i),
// using integer arithmetic alone, so uniform bits are identical in every runtime and on any adapter.

struct Params {
  n: u32,
  value_bits: u32,   // fill: the value's bits in the output dtype
  start: f32,        // arange start (float32) / rand low / randn mean
  step: f32,         // arange step / rand (high - low) / randn std
  start_i: i32,      // arange for int32 / uint32
  step_i: i32,
  seed_lo: u32,
  seed_hi: u32,
  counter_hi: u32,   // stream offset, so successive draws from one seed differ
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;

override DT: u32 = 0u;

fn linear_id(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}

// The same buffer as y, four words at a time: CPU adapters store a vec4 at about the cost of one
// word, and a fill of n words needs a quarter of the invocations. The last vec4 may run past n into
// the buffer's rounding (pool buckets are multiples of 16 bytes; a capped one clamps the write onto
// this same tensor), which only ever receives the fill value.
@group(0) @binding(2) var<storage, read_write> y4: array<vec4<u32>>;

@compute @workgroup_size(64)
fn fill(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_id(gid, groups);
  if (i < (p.n + 3u) / 4u) { y4[i] = vec4<u32>(p.value_bits); }
}

@compute @workgroup_size(64)
fn arange(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_id(gid, groups);
  if (i >= p.n) { return; }
  if (DT == 0u) { y[i] = bitcast<u32>(p.start + f32(i) * p.step); }
  else { y[i] = bitcast<u32>(p.start_i + i32(i) * p.step_i); }
}

// 32x32 -> 64-bit product as (hi, lo), from 16-bit halves: WGSL has no 64-bit integers.
fn mulhilo(a: u32, b: u32) -> vec2<u32> {
  let a0 = a & 0xffffu; let a1 = a >> 16u;
  let b0 = b & 0xffffu; let b1 = b >> 16u;
  let p00 = a0 * b0; let p01 = a0 * b1; let p10 = a1 * b0; let p11 = a1 * b1;
  let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
  let hi = p11 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u);
  return vec2<u32>(hi, a * b);
}

fn philox(counter: vec4<u32>, key_in: vec2<u32>) -> vec4<u32> {
  var c = counter;
  var k = key_in;
  for (var i = 0u; i < 10u; i++) {
    let m0 = mulhilo(0xD2511F53u, c.x);
    let m1 = mulhilo(0xCD9E8D57u, c.z);
    c = vec4<u32>(m1.x ^ c.y ^ k.x, m1.y, m0.x ^ c.w ^ k.y, m0.y);
    k += vec2<u32>(0x9E3779B9u, 0xBB67AE85u);
  }
  return c;
}

// 24 random bits -> float32 in [0, 1), exactly representable, so every runtime agrees.
fn unit(u: u32) -> f32 { return f32(u >> 8u) * (1.0 / 16777216.0); }

override NORMAL: bool = false;

// Box-Muller needs -ln(1 - u), cos(2 pi u) and sin(2 pi u) to ~1e-7 on every adapter, but WGSL only
// bounds log to 2^-21 absolute near 1 (a large relative error for small u) and sin/cos to 2^-11
// inside [-pi, pi] (SwiftShader's are ~2e-4 off). So both are written out with exact range
// reduction and short series, using only correctly rounded arithmetic.

// -ln(1 - u) for u in [0, 1): the series u + u^2/2 + ... + u^9/9 below 1/8 (remainder < 1e-10),
// the built-in above, where ln(1 - u) <= -0.13 makes its error relatively small.
fn neg_log1m(u: f32) -> f32 {
  if (u < 0.125) {
    return u * (1.0 + u * (0.5 + u * (0.33333334 + u * (0.25 + u * (0.2 + u * (0.16666667 + u * (0.14285715 + u * (0.125 + u * 0.11111111))))))));
  }
  return -log(1.0 - u);
}

// (cos, sin) of 2 pi u for u in [0, 1] a multiple of 2^-24: the quarter turn q and the rest
// u - q/4 in [-1/8, 1/8] are exact, leaving |x| <= pi/4 for Taylor series (truncation < 2e-9).
fn cos_sin_turn(u: f32) -> vec2<f32> {
  let q = round(4.0 * u);
  let x = 6.283185307179586 * (u - 0.25 * q);
  let x2 = x * x;
  let s = x * (1.0 - x2 * (1.0 / 6.0) * (1.0 - x2 * (1.0 / 20.0) * (1.0 - x2 * (1.0 / 42.0) * (1.0 - x2 * (1.0 / 72.0)))));
  let c = 1.0 - x2 * 0.5 * (1.0 - x2 * (1.0 / 12.0) * (1.0 - x2 * (1.0 / 30.0) * (1.0 - x2 * (1.0 / 56.0) * (1.0 - x2 * (1.0 / 90.0)))));
  switch (u32(q) % 4u) {
    case 1u: { return vec2<f32>(-s, c); }
    case 2u: { return vec2<f32>(-c, -s); }
    case 3u: { return vec2<f32>(s, -c); }
    default: { return vec2<f32>(c, s); }
  }
}

// Each invocation draws one Philox blk: four uniforms, or four normals by Box-Muller.
@compute @workgroup_size(64)
fn random(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let blk = linear_id(gid, groups);
  let i0 = blk * 4u;
  if (i0 >= p.n) { return; }
  let r = philox(vec4<u32>(blk, 0u, p.counter_hi, 0u), vec2<u32>(p.seed_lo, p.seed_hi));
  var v: vec4<f32>;
  if (NORMAL) {
    // 1 - unit is in (0, 1], so the logarithm stays finite.
    let rad0 = sqrt(2.0 * neg_log1m(unit(r.x)));
    let rad1 = sqrt(2.0 * neg_log1m(unit(r.z)));
    let t0 = cos_sin_turn(unit(r.y));
    let t1 = cos_sin_turn(unit(r.w));
    v = vec4<f32>(rad0 * t0, rad1 * t1) * p.step + p.start;
  } else {
    v = vec4<f32>(unit(r.x), unit(r.y), unit(r.z), unit(r.w)) * p.step + p.start;
  }
  for (var j = 0u; j < 4u; j++) {
    if (i0 + j < p.n) { y[i0 + j] = bitcast<u32>(v[j]); }
  }
}
