// Batched matmul C[b] = A[b] (M x K) * B[b] (K x N), C contiguous. A and B are strided views, so
// transposed operands (as in gradients) need no copy, and broadcast batch dims have stride 0.
// Each invocation keeps a 4x4 block of C in four vec4 registers (the vec4 kernel: up to 8x8): on
// CPU adapters this register blocking measured ~6x faster than one-output-per-thread and faster
// than shared-memory tiling.

struct Params {
  M: u32,
  N: u32,
  K: u32,
  batch_rank: u32,
  offset_a: i32,
  offset_b: i32,
  a_row: i32,   // stride of A along M
  a_col: i32,   // stride of A along K
  b_row: i32,   // stride of B along K
  b_col: i32,   // stride of B along N
  batch_shape: vec4<u32>,
  batch_a: vec4<i32>,
  batch_b: vec4<i32>,
  col_blocks: u32, // ceil(N / 4)
  row_blocks: u32, // ceil(M / 4)
  lanes_x: u32,    // a workgroup's 64 lanes as lanes_x x (64 / lanes_x) blocks (lanes_x: 1, 2, 4 or 8)
  groups_x: u32,   // workgroups along the block columns: ceil(col_blocks / lanes_x)
  dispatch_x: u32, // workgroups along dispatch x (dispatch y extends it past 65535)
}

// The 4x4 block (row0, col0) of C that an invocation owns, or none (x = 0xffffffff) past the edge.
// A workgroup covers lanes_x x (64 / lanes_x) neighbouring blocks: square (8 x 8 blocks, 32 x 32 of
// C) for wide products, so rows of A and columns of B are reused from cache, and as wide as C for
// thin ones, so no lane idles.
fn block_of(local: u32, wg: vec3<u32>) -> vec2<u32> {
  let group = wg.x + wg.y * p.dispatch_x;
  let bc = (group % p.groups_x) * p.lanes_x + local % p.lanes_x;
  let br = (group / p.groups_x) * (64u / p.lanes_x) + local / p.lanes_x;
  if (bc >= p.col_blocks || br >= p.row_blocks) { return vec2<u32>(0xffffffffu); }
  return vec2<u32>(br * select(4u, 8u, TALL), bc * select(4u, 8u, WIDE));
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

// Offsets of A and B for batch entry z (batch dims decomposed, broadcast dims have stride 0).
fn batch_bases(z: u32) -> vec2<i32> {
  var ob = z;
  var bases = vec2<i32>(p.offset_a, p.offset_b);
  for (var d = i32(p.batch_rank) - 1; d >= 0; d--) {
    let extent = p.batch_shape[d];
    bases += i32(ob % extent) * vec2<i32>(p.batch_a[d], p.batch_b[d]);
    ob /= extent;
  }
  return bases;
}

// Stores a 4x4 block, rows and columns past the edges dropped. Unrolled by hand: indexing an array
// of rows by a loop variable makes SwiftShader copy the array on every read.
fn store_row(out: u32, row: u32, col0: u32, v: vec4<f32>) {
  if (row >= p.M) { return; }
  let o = out + row * p.N + col0;
  if (col0 + 3u < p.N) {
    c[o] = v.x; c[o + 1u] = v.y; c[o + 2u] = v.z; c[o + 3u] = v.w;
    return;
  }
  c[o] = v.x;
  if (col0 + 1u < p.N) { c[o + 1u] = v.y; }
  if (col0 + 2u < p.N) { c[o + 2u] = v.z; }
}

struct Block {
  r0: vec4<f32>,
  r1: vec4<f32>,
  r2: vec4<f32>,
  r3: vec4<f32>,
}

// The 4x4 block at (row0, col0) by scalar loads (any strides, any K).
fn scalar_block(row0: u32, col0: u32, z: u32) -> Block {
  let bases = batch_bases(z);
  // Clamp the edge rows and columns so the inner loop needs no bounds checks; only stores are guarded.
  let r = vec4<i32>(min(vec4<u32>(row0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(p.M - 1u)));
  let q = vec4<i32>(min(vec4<u32>(col0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(p.N - 1u)));
  let ra = vec4<i32>(bases.x) + r * p.a_row;
  let qb = vec4<i32>(bases.y) + q * p.b_col;
  var acc = Block(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
  for (var k = 0; k < i32(p.K); k++) {
    let ka = k * p.a_col;
    let kb = k * p.b_row;
    let bv = vec4<f32>(b[qb.x + kb], b[qb.y + kb], b[qb.z + kb], b[qb.w + kb]);
    acc.r0 += a[ra.x + ka] * bv;
    acc.r1 += a[ra.y + ka] * bv;
    acc.r2 += a[ra.z + ka] * bv;
    acc.r3 += a[ra.w + ka] * bv;
  }
  return acc;
}

@compute @workgroup_size(64, 1, 1)
fn matmul(@builtin(local_invocation_index) local: u32, @builtin(workgroup_id) wg: vec3<u32>) {
  let blk = block_of(local, wg);
  if (blk.x == 0xffffffffu) { return; }
  let row0 = blk.x;
  let col0 = blk.y;
  let acc = scalar_block(row0, col0, wg.z);
  let out = wg.z * p.M * p.N;
  store_row(out, row0, col0, acc.r0);
  store_row(out, row0 + 1u, col0, acc.r1);
  store_row(out, row0 + 2u, col0, acc.r2);
  store_row(out, row0 + 3u, col0, acc.r3);
}

// The scalar kernel with whole-vec4 stores of C when N % 4 = 0: for the input layers' tiny K the
// stores are most of the work (measured ~25% faster than element stores at K = 2).
@compute @workgroup_size(64, 1, 1)
fn matmul_c4(@builtin(local_invocation_index) local: u32, @builtin(workgroup_id) wg: vec3<u32>) {
  let blk = block_of(local, wg);
  if (blk.x == 0xffffffffu) { return; }
  let row0 = blk.x;
  let col0 = blk.y;
  let acc = scalar_block(row0, col0, wg.z);
  let o = (wg.z * p.M * p.N + row0 * p.N + col0) / 4u;
  let row_q = p.N / 4u;
  c4[o] = acc.r0;
  if (row0 + 1u < p.M) { c4[o + row_q] = acc.r1; }
  if (row0 + 2u < p.M) { c4[o + 2u * row_q] = acc.r2; }
  if (row0 + 3u < p.M) { c4[o + 3u * row_q] = acc.r3; }
}

// The vec4 kernel: every operand read as whole vec4s along its contiguous axis (all sizes,
// offsets and strides that the index arithmetic divides by 4 are multiples of 4; ops/matmul.ts
// checks; N % 4 = 0 always, for vec4 stores of C). A_COL: A is contiguous along M (a transposed
// view, a_row = 1), else along K. B_COL: B is contiguous along K (b_row = 1), else along N. Loads
// along the "wrong" axis are transposed in registers (component moves).
override A_COL: bool = false;
override B_COL: bool = false;
// TALL / WIDE: the invocation's block of C is 8 rows / 8 columns instead of 4 (up to 8x8, sixteen
// vec4 accumulators). On CPU adapters every load is a gather (per-lane indices), so FMAs per loaded
// float set the speed: per four k-steps an 8x8 block loads 16 vec4s for 64 vec4 FMAs, a 4x4 block
// 8 for 16. Measured against 4x4 (2026-12-07, docs/dense.md): 1.1-1.45x on SwiftShader, 1.35-2.7x
// on llvmpipe, bitwise equal (same order of arithmetic per element).
override TALL: bool = false;
override WIDE: bool = false;

@group(0) @binding(1) var<storage, read> a4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> c4: array<vec4<f32>>;

// Operand tiles of the vec4 kernel, as Blocks: an A tile in row form (r_i = A[row i, k .. k+3]),
// a B tile in k form (r_j = B[k + j, four columns]). Loads along the other axis are transposed in
// registers (component moves; free on CPU adapters, which keep each component in its own lanes).
fn transpose4(t: Block) -> Block {
  return Block(vec4<f32>(t.r0.x, t.r1.x, t.r2.x, t.r3.x), vec4<f32>(t.r0.y, t.r1.y, t.r2.y, t.r3.y),
               vec4<f32>(t.r0.z, t.r1.z, t.r2.z, t.r3.z), vec4<f32>(t.r0.w, t.r1.w, t.r2.w, t.r3.w));
}
// One vec4 at each of four starts + kq (an operand along K), or four vec4s `step` apart from i.
fn a_at(s: vec4<i32>, kq: i32) -> Block { return Block(a4[s.x + kq], a4[s.y + kq], a4[s.z + kq], a4[s.w + kq]); }
fn a_strided(i: i32, step: i32) -> Block { return Block(a4[i], a4[i + step], a4[i + 2 * step], a4[i + 3 * step]); }
fn b_at(s: vec4<i32>, kq: i32) -> Block { return Block(b4[s.x + kq], b4[s.y + kq], b4[s.z + kq], b4[s.w + kq]); }
fn b_strided(i: i32, step: i32) -> Block { return Block(b4[i], b4[i + step], b4[i + 2 * step], b4[i + 3 * step]); }

// acc + x . y for one row of C over four k-steps (x: the row of A, y: B's tile), summed in k order:
// every block shape and layout sums in this order, so they agree bitwise. (Parameters never take
// the bindings' names: the binding reflection would count them as uses.)
fn mac(acc: vec4<f32>, x: vec4<f32>, y: Block) -> vec4<f32> {
  return acc + (x.x * y.r0 + x.y * y.r1 + x.z * y.r2 + x.w * y.r3);
}
fn mac4(acc: Block, x: Block, y: Block) -> Block {
  return Block(mac(acc.r0, x.r0, y), mac(acc.r1, x.r1, y), mac(acc.r2, x.r2, y), mac(acc.r3, x.r3, y));
}
// One k-step: acc += x y^T for x (four rows of A at k) and y (four columns of B at k).
fn outer4(acc: Block, x: vec4<f32>, y: vec4<f32>) -> Block {
  return Block(acc.r0 + x.x * y, acc.r1 + x.y * y, acc.r2 + x.z * y, acc.r3 + x.w * y);
}
// Rows row0 .. row0 + 3 of a block (and of its right neighbour when wide), rows past M dropped.
fn store4(o: u32, row0: u32, left: Block, right: Block, wide: bool) {
  let q = p.N / 4u;
  c4[o] = left.r0;
  if (wide) { c4[o + 1u] = right.r0; }
  if (row0 + 1u < p.M) { c4[o + q] = left.r1; if (wide) { c4[o + q + 1u] = right.r1; } }
  if (row0 + 2u < p.M) { c4[o + 2u * q] = left.r2; if (wide) { c4[o + 2u * q + 1u] = right.r2; } }
  if (row0 + 3u < p.M) { c4[o + 3u * q] = left.r3; if (wide) { c4[o + 3u * q + 1u] = right.r3; } }
}

// The invocation's block of C (up to 8x8: c{h}{w} = rows row0 + 4h .., columns col0 + 4w ..) into
// batch entry z, halves past M or N dropped.
fn store_block(z: u32, row0: u32, col0: u32, c00: Block, c01: Block, c10: Block, c11: Block) {
  let o = (z * p.M * p.N + row0 * p.N + col0) / 4u;
  let wide = WIDE && col0 + 4u < p.N;
  store4(o, row0, c00, c01, wide);
  if (TALL && row0 + 4u < p.M) { store4(o + p.N, row0 + 4u, c10, c11, wide); }
}

@compute @workgroup_size(64, 1, 1)
fn matmul_vec4(@builtin(local_invocation_index) local: u32, @builtin(workgroup_id) wg: vec3<u32>) {
  let blk = block_of(local, wg);
  if (blk.x == 0xffffffffu) { return; }
  let row0 = blk.x;
  let col0 = blk.y;
  let bases = batch_bases(wg.z);
  // Rows past M (A along K) and columns past N (B along K) are clamped; the other two layouts need
  // M resp. N to be multiples of 4, and an 8-wide half past the edge re-reads the first half
  // (lower, right), so no load leaves the operand. Only stores are guarded.
  let last = vec4<u32>(p.M - 1u);
  let lastc = vec4<u32>(p.N - 1u);
  let r = vec4<i32>(min(vec4<u32>(row0) + vec4<u32>(0u, 1u, 2u, 3u), last));
  let r2 = vec4<i32>(min(vec4<u32>(row0) + vec4<u32>(4u, 5u, 6u, 7u), last));
  let q = vec4<i32>(min(vec4<u32>(col0) + vec4<u32>(0u, 1u, 2u, 3u), lastc));
  let q2 = vec4<i32>(min(vec4<u32>(col0) + vec4<u32>(4u, 5u, 6u, 7u), lastc));
  // Indices in vec4 units, computed once: a division per load costs more than the FMAs it feeds.
  let ra = (vec4<i32>(bases.x) + r * p.a_row) / 4;   // A along K: row starts
  let ra2 = (vec4<i32>(bases.x) + r2 * p.a_row) / 4;
  let qb = (vec4<i32>(bases.y) + q * p.b_col) / 4;   // B along K: column starts
  let qb2 = (vec4<i32>(bases.y) + q2 * p.b_col) / 4;
  let a_step = p.a_col / 4;
  let b_step = p.b_row / 4;
  var ia = (bases.x + i32(row0)) / 4;                // A along M: rows row0.., at k
  let lower = select(1, 0, row0 + 4u >= p.M);
  var ib = (bases.y + i32(col0)) / 4;                // B along N: columns col0.., at k
  let right = select(1, 0, col0 + 4u >= p.N);
  // c{h}{w}: the 4x4 block of rows row0 + 4h .., columns col0 + 4w ..; a{h}: A's rows of half h,
  // b{w}: B's columns of half w, per four k-steps.
  let zero = Block(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
  var c00 = zero;
  var c01 = zero;
  var c10 = zero;
  var c11 = zero;
  let quads = i32(p.K) / 4;
  for (var kq = 0; kq < quads; kq++) {
    var b0: Block;
    var b1: Block;
    if (B_COL) {
      b0 = transpose4(b_at(qb, kq));
      if (WIDE) { b1 = transpose4(b_at(qb2, kq)); }
    } else {
      b0 = b_strided(ib, b_step);
      if (WIDE) { b1 = b_strided(ib + right, b_step); }
      ib += 4 * b_step;
    }
    var a0: Block;
    var a1: Block;
    if (A_COL) {
      a0 = transpose4(a_strided(ia, a_step));
      if (TALL) { a1 = transpose4(a_strided(ia + lower, a_step)); }
      ia += 4 * a_step;
    } else {
      a0 = a_at(ra, kq);
      if (TALL) { a1 = a_at(ra2, kq); }
    }
    c00 = mac4(c00, a0, b0);
    if (TALL) { c10 = mac4(c10, a1, b0); }
    if (WIDE) { c01 = mac4(c01, a0, b1); }
    if (WIDE && TALL) { c11 = mac4(c11, a1, b1); }
  }
  // A along M, B along N (A^T B, every weight gradient) takes any K: the last K % 4 one at a time.
  if (A_COL && !B_COL) {
    for (var k = 4 * quads; k < i32(p.K); k++) {
      let a0 = a4[ia];
      let b0 = b4[ib];
      c00 = outer4(c00, a0, b0);
      if (TALL) { c10 = outer4(c10, a4[ia + lower], b0); }
      if (WIDE) { c01 = outer4(c01, a0, b4[ib + right]); }
      if (WIDE && TALL) { c11 = outer4(c11, a4[ia + lower], b4[ib + right]); }
      ia += a_step;
      ib += b_step;
    }
  }
  store_block(wg.z, row0, col0, c00, c01, c10, c11);
}

// Thin K (input layers: A [M, 2] and the like, not vec4-able along K): A by scalar loads through its
// strides, B as vec4 rows along N, one k at a time, in 8x8 blocks (TALL, WIDE) on CPU adapters.
// Per k-step it loads 8 floats of A and two vec4s of B for 64 outputs, where the scalar kernel
// loads 8 floats for 16; the sums run in the scalar kernel's order, so the two agree bitwise.
@compute @workgroup_size(64, 1, 1)
fn matmul_rows(@builtin(local_invocation_index) local: u32, @builtin(workgroup_id) wg: vec3<u32>) {
  let blk = block_of(local, wg);
  if (blk.x == 0xffffffffu) { return; }
  let row0 = blk.x;
  let col0 = blk.y;
  let bases = batch_bases(wg.z);
  let last = vec4<u32>(p.M - 1u);
  let ra = vec4<i32>(bases.x) + vec4<i32>(min(vec4<u32>(row0) + vec4<u32>(0u, 1u, 2u, 3u), last)) * p.a_row;
  let ra2 = vec4<i32>(bases.x) + vec4<i32>(min(vec4<u32>(row0) + vec4<u32>(4u, 5u, 6u, 7u), last)) * p.a_row;
  var ib = (bases.y + i32(col0)) / 4;
  let right = select(1, 0, col0 + 4u >= p.N);
  let b_step = p.b_row / 4;
  let zero = Block(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
  var c00 = zero;
  var c01 = zero;
  var c10 = zero;
  var c11 = zero;
  for (var k = 0; k < i32(p.K); k++) {
    let ka = k * p.a_col;
    let x0 = vec4<f32>(a[ra.x + ka], a[ra.y + ka], a[ra.z + ka], a[ra.w + ka]);
    let y0 = b4[ib];
    c00 = outer4(c00, x0, y0);
    if (TALL) {
      let x1 = vec4<f32>(a[ra2.x + ka], a[ra2.y + ka], a[ra2.z + ka], a[ra2.w + ka]);
      c10 = outer4(c10, x1, y0);
      if (WIDE) { c11 = outer4(c11, x1, b4[ib + right]); }
    }
    if (WIDE) { c01 = outer4(c01, x0, b4[ib + right]); }
    ib += b_step;
  }
  store_block(wg.z, row0, col0, c00, c01, c10, c11);
}

// Matrix-vector products (N = 1: output layers and their gradients). Each invocation owns four
// rows of C. matvec_k: A along K, vec4s of four rows and of b (K % 4 = 0, b contiguous).
@compute @workgroup_size(64, 1, 1)
fn matvec_k(@builtin(local_invocation_index) local: u32, @builtin(workgroup_id) wg: vec3<u32>) {
  let blk = block_of(local, wg);
  if (blk.x == 0xffffffffu) { return; }
  let row0 = blk.x;
  let bases = batch_bases(wg.z);
  let r = vec4<i32>(min(vec4<u32>(row0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(p.M - 1u)));
  let ra = (vec4<i32>(bases.x) + r * p.a_row) / 4;
  let b0 = bases.y / 4;
  var acc = vec4<f32>(0.0);
  for (var k = 0; k < i32(p.K) / 4; k++) {
    let x = b4[b0 + k];
    acc += vec4<f32>(dot(a4[ra.x + k], x), dot(a4[ra.y + k], x), dot(a4[ra.z + k], x), dot(a4[ra.w + k], x));
  }
  store_column(wg.z * p.M + row0, row0, acc);
}

// matvec_m: A along M (a transposed view, M % 4 = 0), one vec4 of four rows and one b per k.
@compute @workgroup_size(64, 1, 1)
fn matvec_m(@builtin(local_invocation_index) local: u32, @builtin(workgroup_id) wg: vec3<u32>) {
  let blk = block_of(local, wg);
  if (blk.x == 0xffffffffu) { return; }
  let row0 = blk.x;
  let bases = batch_bases(wg.z);
  var ia = (bases.x + i32(row0)) / 4;
  let a_step = p.a_col / 4;
  var ib = bases.y;
  var acc = vec4<f32>(0.0);
  for (var k = 0; k < i32(p.K); k++) {
    acc += a4[ia] * b[ib];
    ia += a_step;
    ib += p.b_row;
  }
  store_column(wg.z * p.M + row0, row0, acc);
}

fn store_column(o: u32, row0: u32, v: vec4<f32>) {
  c[o] = v.x;
  if (row0 + 1u < p.M) { c[o + 1u] = v.y; }
  if (row0 + 2u < p.M) { c[o + 2u] = v.z; }
  if (row0 + 3u < p.M) { c[o + 3u] = v.w; }
}
