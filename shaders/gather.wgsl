// gather / scatterAdd along one axis (PyTorch semantics). Out-of-range indices never read or write
// out of bounds: they set a flag in `status` that the scheduler reports at the next read-back.
// scatter_add is written as a deterministic gather over the index axis (no float atomics exist in
// WGSL, and a fixed summation order makes results reproducible); cost is O(n_axis) per output.

struct Params {
  n: u32,
  rank: u32,
  axis: u32,
  axis_len: u32,         // gather: source extent along axis; scatter: index extent along axis
  offset_x: i32,
  offset_i: i32,
  offset_s: i32,         // scatter: source view offset
  pad: u32,
  shape: array<vec4<u32>, 2>,       // output shape
  strides_x: array<vec4<i32>, 2>,   // gather: source strides; scatter: target strides
  strides_i: array<vec4<i32>, 2>,
  strides_s: array<vec4<i32>, 2>,   // scatter: source strides
  index_shape: array<vec4<u32>, 2>, // scatter: shape of index (and of the used part of src)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read> index: array<i32>;
@group(0) @binding(3) var<storage, read_write> y: array<u32>;
@group(0) @binding(4) var<storage, read_write> status: array<atomic<u32>>;
// The status bits, allocated by src/ops/indexing.ts (registerStatusFlag) and passed as constants.
override GATHER_STATUS_BIT: u32;
override SCATTER_STATUS_BIT: u32;

fn linear_id(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}

fn at(v: array<vec4<u32>, 2>, d: i32) -> u32 { return v[d / 4][d % 4]; }
fn ati(v: array<vec4<i32>, 2>, d: i32) -> i32 { return v[d / 4][d % 4]; }

@compute @workgroup_size(64)
fn gather(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_id(gid, groups);
  if (i >= p.n) { return; }
  var ix = p.offset_x;
  var ii = p.offset_i;
  var rem = i;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let extent = at(p.shape, d);
    let c = i32(rem % extent);
    rem /= extent;
    ii += c * ati(p.strides_i, d);
    if (d != i32(p.axis)) { ix += c * ati(p.strides_x, d); }
  }
  let j = index[ii];
  if (j < 0 || j >= i32(p.axis_len)) {
    atomicOr(&status[0], GATHER_STATUS_BIT);
    y[i] = 0u;
    return;
  }
  y[i] = x[ix + j * ati(p.strides_x, i32(p.axis))];
}

override DT: u32 = 0u;

@group(0) @binding(0) var<uniform> ps: Params;
@group(0) @binding(1) var<storage, read> target_: array<u32>;
@group(0) @binding(2) var<storage, read> sindex: array<i32>;
@group(0) @binding(3) var<storage, read> source: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<u32>;
@group(0) @binding(5) var<storage, read_write> sstatus: array<atomic<u32>>;

fn add_words(u: u32, v: u32) -> u32 {
  if (DT == 0u) { return bitcast<u32>(bitcast<f32>(u) + bitcast<f32>(v)); }
  return u + v;  // two's complement: the same bits for int32 and uint32
}

@compute @workgroup_size(64)
fn scatter_add(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_id(gid, groups);
  if (i >= ps.n) { return; }
  let axis = i32(ps.axis);
  var it = ps.offset_x;
  var ii = ps.offset_i;
  var is = ps.offset_s;
  var covered = true;
  var target_c = 0;
  var rem = i;
  for (var d = i32(ps.rank) - 1; d >= 0; d--) {
    let extent = at(ps.shape, d);
    let c = i32(rem % extent);
    rem /= extent;
    it += c * ati(ps.strides_x, d);
    if (d == axis) { target_c = c; continue; }
    if (u32(c) >= at(ps.index_shape, d)) { covered = false; }
    ii += c * ati(ps.strides_i, d);
    is += c * ati(ps.strides_s, d);
  }
  var acc = target_[it];
  if (covered) {
    let target_len = i32(at(ps.shape, axis));
    for (var k = 0; k < i32(ps.axis_len); k++) {
      let j = sindex[ii + k * ati(ps.strides_i, axis)];
      if (j == target_c) { acc = add_words(acc, source[is + k * ati(ps.strides_s, axis)]); }
      // Each bad index is seen by every output along the axis; flag from the first only.
      if (target_c == 0 && (j < 0 || j >= target_len)) { atomicOr(&sstatus[0], SCATTER_STATUS_BIT); }
    }
  }
  out[i] = acc;
}
