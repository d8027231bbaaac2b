// Data movement between strided views: `assign` copies a view into a view (concat writes each part
// into a slice of the output this way; `assign_rows` four elements at a time; contiguous runs become
// copyBufferToBuffer instead), `pad` builds a padded copy with zero, edge or reflect fill (`pad4`
// with vec4 stores).

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

// Entry d of a per-dim list held as two vec4s (dims 0-3, 4-7). The uniform arrays are read into
// vec4 locals once, with constant indices: SwiftShader copies a whole uniform array on every read
// at a run-time index (docs/acoustic.md measured 2.6x on the stencil; here 4-5x on pad), while a
// run-time lane of a local vec4 is a plain extract.
fn dim_u(a: vec4<u32>, b: vec4<u32>, d: i32) -> u32 { return select(b[d & 3], a[d & 3], d < 4); }
fn dim_i(a: vec4<i32>, b: vec4<i32>, d: i32) -> i32 { return select(b[d & 3], a[d & 3], d < 4); }

// Source and destination offsets of the element whose index over dims 0..top is `index`.
fn assign_offsets(index: u32, top: i32) -> vec2<i32> {
  let shape0 = p.shape[0];
  let shape1 = p.shape[1];
  let ss0 = p.strides_src[0];
  let ss1 = p.strides_src[1];
  let sd0 = p.strides_dst[0];
  let sd1 = p.strides_dst[1];
  var at = vec2<i32>(p.offset_src, p.offset_dst);
  var rem = index;
  for (var d = top; d >= 0; d--) {
    let extent = dim_u(shape0, shape1, d);
    let c = i32(rem % extent);
    rem /= extent;
    at += c * vec2<i32>(dim_i(ss0, ss1, d), dim_i(sd0, sd1, d));
  }
  return at;
}

@compute @workgroup_size(64)
fn assign(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_id(gid, groups);
  if (i >= p.n) { return; }
  let at = assign_offsets(i, i32(p.rank) - 1);
  dst[at.y] = src[at.x];
}

// assign with four consecutive elements of the innermost dim per invocation (any alignment; the
// last group of a row may be short): one index decode per four elements. n counts the groups.
@compute @workgroup_size(64)
fn assign_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_id(gid, groups);
  if (i >= p.n) { return; }
  let last = i32(p.rank) - 1;
  let inner = dim_u(p.shape[0], p.shape[1], last);
  let per_row = (inner + 3u) / 4u;
  let row = i / per_row;
  let c0 = (i - row * per_row) * 4u;
  let at = assign_offsets(row, last - 1);
  let si = dim_i(p.strides_src[0], p.strides_src[1], last);
  let di = dim_i(p.strides_dst[0], p.strides_dst[1], last);
  for (var k = 0u; k < 4u; k++) {
    let c = c0 + k;
    if (c < inner) { dst[at.y + i32(c) * di] = src[at.x + i32(c) * si]; }
  }
}

struct PadParams {
  n: u32,
  rank: u32,
  offset: i32,
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

// The mode is a pipeline constant: CPU adapters run every branch under a mask, so one kernel for
// all three would make each element pay for the reflect arithmetic. RANK2 takes the common 2-D
// case with constant component indices instead of the loop's run-time ones.
override PAD_MODE: u32 = 0u;   // 0 constant, 1 edge, 2 reflect
override RANK2: bool = false;

// Source coordinate c (output coordinate minus the padding before) along a dim of n input cells;
// `inside` turns false where a constant pad reads no input.
fn pad_coord(c: i32, n: i32, inside: ptr<function, bool>) -> i32 {
  if (PAD_MODE == 0u) {
    *inside = *inside && c >= 0 && c < n;
    return c;
  }
  if (PAD_MODE == 1u) { return clamp(c, 0, n - 1); }
  return select(c, reflect_index(c, n), c < 0 || c >= n);
}

@compute @workgroup_size(64)
fn pad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_id(gid, groups);
  if (i >= q.n) { return; }
  let os0 = q.out_shape[0];
  let is0 = q.in_shape[0];
  let st0 = q.in_strides[0];
  let b0 = q.before[0];
  var idx = q.offset;
  var inside = true;
  if (RANK2) {
    let r = i / os0.y;
    idx += pad_coord(i32(r) - b0.x, is0.x, &inside) * st0.x + pad_coord(i32(i - r * os0.y) - b0.y, is0.y, &inside) * st0.y;
  } else {
    let os1 = q.out_shape[1];
    let is1 = q.in_shape[1];
    let st1 = q.in_strides[1];
    let b1 = q.before[1];
    var rem = i;
    for (var d = i32(q.rank) - 1; d >= 0; d--) {
      let extent = dim_u(os0, os1, d);
      let c = pad_coord(i32(rem % extent) - dim_i(b0, b1, d), dim_i(is0, is1, d), &inside);
      rem /= extent;
      idx += c * dim_i(st0, st1, d);
    }
  }
  y[i] = select(q.fill_bits, x[max(idx, 0)], inside);
}

// pad for rank 2 when the padded rows hold whole vec4s (layout.ts checks): four outputs of one row
// per invocation, one division for the row, one vec4 store. The one-word kernel ran at a quarter of
// a vec4 copy's bytes per second on SwiftShader.
@group(0) @binding(2) var<storage, read_write> dst4: array<vec4<u32>>;

@compute @workgroup_size(64)
fn pad4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i4 = linear_id(gid, groups);
  if (i4 * 4u >= q.n) { return; }
  let os0 = q.out_shape[0];
  let is0 = q.in_shape[0];
  let st0 = q.in_strides[0];
  let b0 = q.before[0];
  let r = (i4 * 4u) / os0.y;
  let c0 = i32(i4 * 4u - r * os0.y) - b0.y;
  var row_inside = true;
  let row = q.offset + pad_coord(i32(r) - b0.x, is0.x, &row_inside) * st0.x;
  dst4[i4] = vec4<u32>(pad_at(row, row_inside, c0, is0.y, st0.y), pad_at(row, row_inside, c0 + 1, is0.y, st0.y),
                       pad_at(row, row_inside, c0 + 2, is0.y, st0.y), pad_at(row, row_inside, c0 + 3, is0.y, st0.y));
}

// Element c of a padded row starting at `row` (pad4).
fn pad_at(row: i32, row_inside: bool, c: i32, n: i32, stride: i32) -> u32 {
  var inside = row_inside;
  let idx = row + pad_coord(c, n, &inside) * stride;
  return select(q.fill_bits, x[max(idx, 0)], inside);
}
