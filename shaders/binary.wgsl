// Elementwise binary ops with NumPy broadcasting (broadcast dims have stride 0) and `where`.
// Words are raw 32-bit values interpreted through DT (0 float32, 1 int32, 2 uint32); comparisons
// write uint32 0/1. With B_SCALAR the right operand comes from the uniform, so `x * 2` uploads nothing.

struct Params {
  n: u32,
  rank: u32,
  offset_a: i32,
  offset_b: i32,
  scalar_bits: u32,
  shape: array<vec4<u32>, 2>,
  strides_a: array<vec4<i32>, 2>,
  strides_b: array<vec4<i32>, 2>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<u32>;
@group(0) @binding(2) var<storage, read> b: array<u32>;
@group(0) @binding(3) var<storage, read_write> y: array<u32>;

override OP: u32 = 0u;
override DT: u32 = 0u;
override CONTIGUOUS: bool = false;
override B_SCALAR: bool = false;

const OP_ADD = 0u; const OP_SUB = 1u; const OP_MUL = 2u; const OP_DIV = 3u; const OP_POW = 4u;
const OP_MIN = 5u; const OP_MAX = 6u; const OP_EQ = 7u; const OP_NE = 8u; const OP_LT = 9u;
const OP_LE = 10u; const OP_GT = 11u; const OP_GE = 12u;

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

fn cmp(lt: bool, eq: bool) -> u32 {
  switch OP {
    case OP_EQ: { return select(0u, 1u, eq); }
    case OP_NE: { return select(1u, 0u, eq); }
    case OP_LT: { return select(0u, 1u, lt); }
    case OP_LE: { return select(0u, 1u, lt || eq); }
    case OP_GT: { return select(0u, 1u, !lt && !eq); }
    default: { return select(0u, 1u, !lt); }
  }
}

fn op_f32(u: f32, v: f32) -> u32 {
  switch OP {
    case OP_ADD: { return bitcast<u32>(u + v); }
    case OP_SUB: { return bitcast<u32>(u - v); }
    case OP_MUL: { return bitcast<u32>(u * v); }
    case OP_DIV: { return bitcast<u32>(u / v); }
    case OP_POW: { return bitcast<u32>(pow_f32(u, v)); }
    case OP_MIN: { return bitcast<u32>(min(u, v)); }
    case OP_MAX: { return bitcast<u32>(max(u, v)); }
    case OP_NE: { return select(1u, 0u, u == v); }
    case OP_GE: { return select(0u, 1u, u >= v); }
    case OP_GT: { return select(0u, 1u, u > v); }
    default: { return cmp(u < v, u == v); }
  }
}

fn op_i32(u: i32, v: i32) -> u32 {
  switch OP {
    case OP_ADD: { return bitcast<u32>(u + v); }
    case OP_SUB: { return bitcast<u32>(u - v); }
    case OP_MUL: { return bitcast<u32>(u * v); }
    case OP_DIV: { return bitcast<u32>(select(0, u / v, v != 0)); }
    case OP_POW: { return bitcast<u32>(pow_int(u, v)); }
    case OP_MIN: { return bitcast<u32>(min(u, v)); }
    case OP_MAX: { return bitcast<u32>(max(u, v)); }
    default: { return cmp(u < v, u == v); }
  }
}

fn op_u32(u: u32, v: u32) -> u32 {
  switch OP {
    case OP_ADD: { return u + v; }
    case OP_SUB: { return u - v; }
    case OP_MUL: { return u * v; }
    case OP_DIV: { return select(0u, u / v, v != 0u); }
    case OP_POW: { return bitcast<u32>(pow_int(bitcast<i32>(u), bitcast<i32>(v))); }
    case OP_MIN: { return min(u, v); }
    case OP_MAX: { return max(u, v); }
    default: { return cmp(u < v, u == v); }
  }
}

fn linear_id(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}

@compute @workgroup_size(64)
fn binary(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_id(gid, groups);
  if (i >= p.n) { return; }
  var ia = p.offset_a + i32(i);
  var ib = p.offset_b + i32(i);
  if (!CONTIGUOUS) {
    ia = p.offset_a;
    ib = p.offset_b;
    var rem = i;
    for (var d = i32(p.rank) - 1; d >= 0; d--) {
      let extent = p.shape[d / 4][d % 4];
      let c = i32(rem % extent);
      rem /= extent;
      ia += c * p.strides_a[d / 4][d % 4];
      ib += c * p.strides_b[d / 4][d % 4];
    }
  }
  let wa = a[ia];
  var wb = p.scalar_bits;
  if (!B_SCALAR) { wb = b[ib]; }
  if (DT == 0u) { y[i] = op_f32(bitcast<f32>(wa), bitcast<f32>(wb)); }
  else if (DT == 1u) { y[i] = op_i32(bitcast<i32>(wa), bitcast<i32>(wb)); }
  else { y[i] = op_u32(wa, wb); }
}

struct WhereParams {
  n: u32,
  rank: u32,
  offset_c: i32,
  offset_a: i32,
  offset_b: i32,
  shape: array<vec4<u32>, 2>,
  strides_c: array<vec4<i32>, 2>,
  strides_a: array<vec4<i32>, 2>,
  strides_b: array<vec4<i32>, 2>,
}

@group(0) @binding(0) var<uniform> q: WhereParams;
@group(0) @binding(1) var<storage, read> cond: array<u32>;
@group(0) @binding(2) var<storage, read> on_true: array<u32>;
@group(0) @binding(3) var<storage, read> on_false: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<u32>;

override COND_FLOAT: bool = false;

// out = cond != 0 ? on_true : on_false (a float condition is tested as a float, so -0.0 is false).
@compute @workgroup_size(64)
fn where_select(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_id(gid, groups);
  if (i >= q.n) { return; }
  var ic = q.offset_c;
  var ia = q.offset_a;
  var ib = q.offset_b;
  var rem = i;
  for (var d = i32(q.rank) - 1; d >= 0; d--) {
    let extent = q.shape[d / 4][d % 4];
    let c = i32(rem % extent);
    rem /= extent;
    ic += c * q.strides_c[d / 4][d % 4];
    ia += c * q.strides_a[d / 4][d % 4];
    ib += c * q.strides_b[d / 4][d % 4];
  }
  let wc = cond[ic];
  var truthy = wc != 0u;
  if (COND_FLOAT) { truthy = bitcast<f32>(wc) != 0.0; }
  out[i] = select(on_false[ib], on_true[ia], truthy);
}
