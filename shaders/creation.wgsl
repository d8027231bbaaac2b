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

@compute @workgroup_size(64)
fn fill(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_id(gid, groups);
  if (i < p.n) { y[i] = p.value_bits; }
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
    let rad0 = sqrt(-2.0 * log(1.0 - unit(r.x)));
    let rad1 = sqrt(-2.0 * log(1.0 - unit(r.z)));
    let th0 = 6.283185307179586 * unit(r.y);
    let th1 = 6.283185307179586 * unit(r.w);
    v = vec4<f32>(rad0 * cos(th0), rad0 * sin(th0), rad1 * cos(th1), rad1 * sin(th1)) * p.step + p.start;
  } else {
    v = vec4<f32>(unit(r.x), unit(r.y), unit(r.z), unit(r.w)) * p.step + p.start;
  }
  for (var j = 0u; j < 4u; j++) {
    if (i0 + j < p.n) { y[i0 + j] = bitcast<u32>(v[j]); }
  }
}
