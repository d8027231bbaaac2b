// Data movement between strided views: `assign` copies a view into a view (concat writes each part
// into a slice of the output this way), `pad` builds a padded copy with zero, edge or reflect fill.

struct AssignParams {
  n: u32,
  rank: u32,
  offset_src: i32,
  offset_dst: i32,
  shape: array<vec4<u32>, 2>,
  strides_src: array<vec4<i32>, 2>,
  strides_dst: array<vec4<i32>, 2>,
}

@group(0) @binding(0) var<uniform> p: AssignParams;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;

fn linear_id(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}

@compute @workgroup_size(64)
fn assign(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_id(gid, groups);
  if (i >= p.n) { return; }
  var is = p.offset_src;
  var id = p.offset_dst;
  var rem = i;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let extent = p.shape[d / 4][d % 4];
    let c = i32(rem % extent);
    rem /= extent;
    is += c * p.strides_src[d / 4][d % 4];
    id += c * p.strides_dst[d / 4][d % 4];
  }
  dst[id] = src[is];
}

struct PadParams {
  n: u32,
  rank: u32,
  offset: i32,
  mode: u32,               // 0 zero (constant), 1 edge, 2 reflect
  fill_bits: u32,          // constant value's bits
  out_shape: array<vec4<u32>, 2>,
  in_shape: array<vec4<i32>, 2>,
  in_strides: array<vec4<i32>, 2>,
  before: array<vec4<i32>, 2>,
}

@group(0) @binding(0) var<uniform> q: PadParams;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<u32>;

// NumPy's 'reflect' mirrors about the edge sample without repeating it: [a b c] -> b | a b c | b.
fn reflect_index(c: i32, n: i32) -> i32 {
  if (n == 1) { return 0; }
  let period = 2 * (n - 1);
  var m = c % period;
  if (m < 0) { m += period; }
  return select(m, period - m, m >= n);
}

@compute @workgroup_size(64)
fn pad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_id(gid, groups);
  if (i >= q.n) { return; }
  var idx = q.offset;
  var rem = i;
  var inside = true;
  for (var d = i32(q.rank) - 1; d >= 0; d--) {
    let extent = q.out_shape[d / 4][d % 4];
    let n = q.in_shape[d / 4][d % 4];
    var c = i32(rem % extent) - q.before[d / 4][d % 4];
    rem /= extent;
    if (c < 0 || c >= n) {
      if (q.mode == 0u) { inside = false; }
      else if (q.mode == 1u) { c = clamp(c, 0, n - 1); }
      else { c = reflect_index(c, n); }
    }
    idx += c * q.in_strides[d / 4][d % 4];
  }
  y[i] = select(q.fill_bits, x[max(idx, 0)], inside);
}
