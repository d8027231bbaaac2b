// Complex kernels on float32 tensors whose last axis holds (re, im) (see src/ops/complex.ts).
// Operands are strided views read in place; `ca` / `cb` (+1 or -1) scale the imaginary parts, so a
// conjugated operand (every gradient has one) costs nothing. Outputs are contiguous.

struct MulParams {
  n: u32,                          // complex elements out
  rank: u32,                       // logical (complex) dims
  off_a: i32,
  off_b: i32,
  pair_a: i32,                     // float stride from re to im
  pair_b: i32,
  ca: f32,
  cb: f32,
  shape: array<vec4<u32>, 2>,
  strides_a: array<vec4<i32>, 2>,  // float strides, 0 on broadcast dims
  strides_b: array<vec4<i32>, 2>,
}

@group(0) @binding(0) var<uniform> m: MulParams;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

fn cmul(x: vec2<f32>, y: vec2<f32>) -> vec2<f32> {
  return vec2<f32>(x.x * y.x - x.y * y.y, x.x * y.y + x.y * y.x);
}

fn linear_id(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}

// Elementwise a * b with NumPy broadcasting over the logical dims.
@compute @workgroup_size(64)
fn mul(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_id(gid, groups);
  if (i >= m.n) { return; }
  var ia = m.off_a;
  var ib = m.off_b;
  var rem = i;
  for (var d = i32(m.rank) - 1; d >= 0; d--) {
    let extent = m.shape[d / 4][d % 4];
    let k = i32(rem % extent);
    rem /= extent;
    ia += k * m.strides_a[d / 4][d % 4];
    ib += k * m.strides_b[d / 4][d % 4];
  }
  let x = vec2<f32>(a[ia], m.ca * a[ia + m.pair_a]);
  let y = vec2<f32>(b[ib], m.cb * b[ib + m.pair_b]);
  let v = cmul(x, y);
  c[2u * i] = v.x;
  c[2u * i + 1u] = v.y;
}

struct MatParams {
  M: u32,
  N: u32,
  K: u32,
  batch_rank: u32,
  off_a: i32,
  off_b: i32,
  pair_a: i32,
  pair_b: i32,
  a_row: i32,                      // float strides of A along M and K, B along K and N
  a_col: i32,
  b_row: i32,
  b_col: i32,
  ca: f32,
  cb: f32,
  batch_shape: vec4<u32>,
  batch_a: vec4<i32>,
  batch_b: vec4<i32>,
}

@group(0) @binding(0) var<uniform> q: MatParams;

// Batched complex matmul, one output element per invocation: C[z] = A[z] (M x K) B[z] (K x N).
// The products that use it (channel mixing of retained Fourier modes) have small K.
@compute @workgroup_size(64)
fn matmul(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_id(gid, groups);
  let per = q.M * q.N;
  let z = i / per;
  if (z >= q.batch_shape.x * q.batch_shape.y * q.batch_shape.z * q.batch_shape.w) { return; }
  let row = (i % per) / q.N;
  let col = i % q.N;
  let zc = vec4<u32>(z / (q.batch_shape.y * q.batch_shape.z * q.batch_shape.w), (z / (q.batch_shape.z * q.batch_shape.w)) % q.batch_shape.y,
                     (z / q.batch_shape.w) % q.batch_shape.z, z % q.batch_shape.w);
  var ia = q.off_a + dot(vec4<i32>(zc), q.batch_a) + i32(row) * q.a_row;
  var ib = q.off_b + dot(vec4<i32>(zc), q.batch_b) + i32(col) * q.b_col;
  var acc = vec2<f32>(0.0);
  for (var k = 0u; k < q.K; k++) {
    let x = vec2<f32>(a[ia], q.ca * a[ia + q.pair_a]);
    let y = vec2<f32>(b[ib], q.cb * b[ib + q.pair_b]);
    acc += cmul(x, y);
    ia += q.a_col;
    ib += q.b_row;
  }
  c[2u * i] = acc.x;
  c[2u * i + 1u] = acc.y;
}

struct AngleParams {
  n: u32,
  rank: u32,
  off: i32,
  pair: i32,
  shape: array<vec4<u32>, 2>,
  strides: array<vec4<i32>, 2>,
}

@group(0) @binding(0) var<uniform> g: AngleParams;
@group(0) @binding(1) var<storage, read> z: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

const PI = 3.14159265358979324;

// atan on [0, inf) to ~1 ulp (Cephes atanf reduction and polynomial): WGSL lets atan2 err by
// thousands of ulps and software adapters use their freedom.
fn atan_pos(t: f32) -> f32 {
  var x = t;
  var base = 0.0;
  if (t > 2.414213562373095) {
    base = PI / 2.0;
    x = -1.0 / t;
  } else if (t > 0.4142135623730950) {
    base = PI / 4.0;
    x = (t - 1.0) / (t + 1.0);
  }
  let s = x * x;
  let p = (((8.05374449538e-2 * s - 1.38776856032e-1) * s + 1.99777106478e-1) * s - 3.33329491539e-1) * s * x + x;
  return base + p;
}

// atan2(im, re) in [-pi, pi], NumPy's conventions on the axes (angle(-1 + 0i) = pi, angle(0) = 0,
// and the sign of a zero imaginary part counts: angle(-1 - 0i) = -pi).
fn angle_of(re: f32, im: f32) -> f32 {
  let ar = abs(re);
  let ai = abs(im);
  var t: f32;
  if (ar >= ai) {
    t = select(atan_pos(ai / ar), 0.0, ar == 0.0);
  } else {
    t = PI / 2.0 - atan_pos(ar / ai);
  }
  if (re < 0.0) { t = PI - t; }
  // The sign bit, not im < 0: -0.0 is not below zero, but it puts -1 - 0i on the lower side of the cut.
  return select(t, -t, (bitcast<u32>(im) & 0x80000000u) != 0u);
}

@compute @workgroup_size(64)
fn angle(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_id(gid, groups);
  if (i >= g.n) { return; }
  var iz = g.off;
  var rem = i;
  for (var d = i32(g.rank) - 1; d >= 0; d--) {
    let extent = g.shape[d / 4][d % 4];
    iz += i32(rem % extent) * g.strides[d / 4][d % 4];
    rem /= extent;
  }
  out[i] = angle_of(z[iz], z[iz + g.pair]);
}
