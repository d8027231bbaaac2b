// Reductions over a strided view split into "kept" dims (one output each) and "reduced" dims.
// An output may be split into n_chunks partial results (first pass of a two-pass reduction, used
// when few outputs each reduce many elements). OP: 0 sum, 1 max, 2 min, 3 argmax, 4 argmin, 5 prod.
// Max/min propagate NaN as NumPy does; arg ops return the first index of the extreme (or first NaN).

struct Params {
  n_out: u32,        // outputs times chunks
  rank_out: u32,
  rank_red: u32,
  red_size: u32,
  offset: i32,
  chunk: u32,        // reduced elements per chunk
  n_chunks: u32,
  scale: f32,        // multiplies float sums (mean)
  shape_out: array<vec4<u32>, 2>,
  strides_out: array<vec4<i32>, 2>,
  shape_red: array<vec4<u32>, 2>,
  strides_red: array<vec4<i32>, 2>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<u32>;

override OP: u32 = 0u;
override DT: u32 = 0u;

const SUM = 0u; const MAX = 1u; const MIN = 2u; const ARGMAX = 3u; const ARGMIN = 4u; const PROD = 5u;

fn is_nan(w: u32) -> bool { return DT == 0u && (w & 0x7fffffffu) > 0x7f800000u; }

fn less(u: u32, v: u32) -> bool {
  if (DT == 0u) { return bitcast<f32>(u) < bitcast<f32>(v); }
  if (DT == 1u) { return bitcast<i32>(u) < bitcast<i32>(v); }
  return u < v;
}

// Does candidate (w, i) replace the accumulator (acc, acc_i) for max/min-like ops?
fn better(w: u32, i: u32, acc: u32, acc_i: u32) -> bool {
  let nw = is_nan(w);
  let na = is_nan(acc);
  if (na || nw) { return nw && (!na || i < acc_i); }
  let want_max = OP == MAX || OP == ARGMAX;
  let strict = select(less(w, acc), less(acc, w), want_max);
  let tie = !less(w, acc) && !less(acc, w);
  return strict || (tie && i < acc_i);
}

fn combine(acc: u32, w: u32) -> u32 {
  if (DT == 0u) {
    let a = bitcast<f32>(acc); let b = bitcast<f32>(w);
    return bitcast<u32>(select(a + b, a * b, OP == PROD));
  }
  if (DT == 1u) {
    let a = bitcast<i32>(acc); let b = bitcast<i32>(w);
    return bitcast<u32>(select(a + b, a * b, OP == PROD));
  }
  return select(acc + w, acc * w, OP == PROD);
}

fn identity() -> u32 {
  if (OP == PROD) {
    if (DT == 0u) { return bitcast<u32>(1.0); }
    return 1u;
  }
  if (DT == 0u) { return 0u; }
  return 0u;
}

// A kept or reduced index split into its dims, as an element offset. The per-dim lists arrive as
// vec4 locals read from the uniform once per invocation: SwiftShader copies a whole uniform array on
// every read at a run-time index (layout.wgsl measured 4-5x on pad), and this runs per element.
struct Dims {
  rank: u32,
  shape0: vec4<u32>,
  shape1: vec4<u32>,
  strides0: vec4<i32>,
  strides1: vec4<i32>,
}

fn out_dims() -> Dims { return Dims(p.rank_out, p.shape_out[0], p.shape_out[1], p.strides_out[0], p.strides_out[1]); }
fn red_dims() -> Dims { return Dims(p.rank_red, p.shape_red[0], p.shape_red[1], p.strides_red[0], p.strides_red[1]); }

fn offset_of(i: u32, dims: Dims) -> i32 {
  // One dim (the common case after merging contiguous dims): no division.
  if (dims.rank <= 1u) { return i32(i) * select(0, dims.strides0.x, dims.rank == 1u); }
  var rem = i;
  var idx = 0;
  for (var d = i32(dims.rank) - 1; d >= 0; d--) {
    let extent = select(dims.shape1[d & 3], dims.shape0[d & 3], d < 4);
    idx += i32(rem % extent) * select(dims.strides1[d & 3], dims.strides0[d & 3], d < 4);
    rem /= extent;
  }
  return idx;
}

fn out_base(o: u32) -> i32 { return p.offset + offset_of(o, out_dims()); }

// Kahan-compensated float add: a sequential float32 sum of n terms errs by ~n eps |sum|, enough to
// swamp Taylor-test remainders of misfits; compensated, the error stays ~eps |sum|.
fn kahan_add(acc: u32, w: u32, comp: ptr<function, f32>) -> u32 {
  let s0 = bitcast<f32>(acc);
  let v = bitcast<f32>(w) - *comp;
  let s1 = s0 + v;
  *comp = (s1 - s0) - v;
  return bitcast<u32>(s1);
}

fn is_arg() -> bool { return OP == ARGMAX || OP == ARGMIN; }
fn is_fold() -> bool { return OP == SUM || OP == PROD; }

fn finish(v: u32, idx: u32) -> u32 {
  if (is_arg()) { return idx; }
  if (DT == 0u && OP == SUM) { return bitcast<u32>(bitcast<f32>(v) * p.scale); }
  return v;
}

// One thread per output: best when there are many outputs.
@compute @workgroup_size(64)
fn reduce_thread(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let t = gid.x + gid.y * groups.x * 64u;
  if (t >= p.n_out) { return; }
  let o = t / p.n_chunks;
  let g = t % p.n_chunks;
  let base = out_base(o);
  let rd = red_dims();
  let r0 = g * p.chunk;
  let r1 = min(p.red_size, r0 + p.chunk);
  var acc = identity();
  var acc_i = 0u;
  var first = true;
  var comp = 0.0;
  for (var r = r0; r < r1; r++) {
    let w = x[base + offset_of(r, rd)];
    if (DT == 0u && OP == SUM) { acc = kahan_add(acc, w, &comp); }
    else if (is_fold()) { acc = combine(acc, w); }
    else if (first || better(w, r, acc, acc_i)) { acc = w; acc_i = r; }
    first = false;
  }
  y[t] = finish(acc, acc_i);
}

// reduce_thread for float sums over a unit-stride axis of whole vec4s (reduce.ts checks: offset,
// output stride, chunk and length all multiples of 4): one vec4 load for four terms, and four
// Kahan-compensated partial sums, joined pairwise at the end.
@group(0) @binding(3) var<storage, read> x4: array<vec4<f32>>;

@compute @workgroup_size(64)
fn reduce_thread_sum4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let t = gid.x + gid.y * groups.x * 64u;
  if (t >= p.n_out) { return; }
  let o = t / p.n_chunks;
  let g = t % p.n_chunks;
  let base = u32(out_base(o)) / 4u;
  let q0 = g * p.chunk / 4u;
  let q1 = min(p.red_size, g * p.chunk + p.chunk) / 4u;
  var s = vec4<f32>(0.0);
  var c = vec4<f32>(0.0);
  for (var q = q0; q < q1; q++) {
    let v = x4[base + q] - c;
    let s1 = s + v;
    c = (s1 - s) - v;
    s = s1;
  }
  let r = s - c;
  y[t] = finish(bitcast<u32>((r.x + r.y) + (r.z + r.w)), 0u);
}

const WG = 256u;
var<workgroup> s_val: array<u32, WG>;
var<workgroup> s_idx: array<u32, WG>;
var<workgroup> s_has: array<u32, WG>;

// One workgroup per output: best when few outputs each reduce many elements.
@compute @workgroup_size(256)
fn reduce_group(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
                @builtin(num_workgroups) groups: vec3<u32>) {
  let t = wid.x + wid.y * groups.x;
  let in_range = t < p.n_out;
  let o = t / p.n_chunks;
  let g = t % p.n_chunks;
  var acc = identity();
  var acc_i = 0u;
  var has = 0u;
  if (in_range) {
    let base = out_base(o);
    let rd = red_dims();
    let r0 = g * p.chunk;
    let r1 = min(p.red_size, r0 + p.chunk);
    var comp = 0.0;
    for (var r = r0 + lid; r < r1; r += WG) {
      let w = x[base + offset_of(r, rd)];
      if (DT == 0u && OP == SUM) { acc = kahan_add(acc, w, &comp); }
      else if (is_fold()) { acc = combine(acc, w); }
      else if (has == 0u || better(w, r, acc, acc_i)) { acc = w; acc_i = r; }
      has = 1u;
    }
  }
  s_val[lid] = acc;
  s_idx[lid] = acc_i;
  s_has[lid] = has;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      let w = s_val[lid + stride];
      let wi = s_idx[lid + stride];
      let wh = s_has[lid + stride];
      if (is_fold()) { s_val[lid] = combine(s_val[lid], w); }
      else if (wh == 1u && (s_has[lid] == 0u || better(w, wi, s_val[lid], s_idx[lid]))) {
        s_val[lid] = w; s_idx[lid] = wi; s_has[lid] = 1u;
      }
    }
    workgroupBarrier();
  }
  if (lid == 0u && in_range) { y[t] = finish(s_val[0], s_idx[0]); }
}
