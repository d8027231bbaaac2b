// Batched matmul C[b] = A[b] (M x K) * B[b] (K x N), C contiguous. A and B are strided views, so
// transposed operands (as in gradients) need no copy, and broadcast batch dims have stride 0.
// Each invocation keeps a 4x4 block of C in four vec4 registers: on CPU adapters this register
// blocking measured ~6x faster than one-output-per-thread and faster than shared-memory tiling.

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
  return vec2<u32>(br * 4u, bc * 4u);
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

// The vec4 kernels: every operand read as whole vec4s along its contiguous axis (all sizes,
// offsets and strides that the index arithmetic divides by 4 are multiples of 4; ops/matmul.ts
// checks; N % 4 = 0 always, for vec4 stores of C). A_COL: A is contiguous along M (a transposed view, a_row = 1), else along K. B_COL: B is
// contiguous along K (b_row = 1), else along N. Per four k-steps each invocation loads eight vec4s
// and does sixteen vec4 FMAs whatever the layout; loads along the "wrong" axis are transposed in
// registers (component moves).
override A_COL: bool = false;
override B_COL: bool = false;

@group(0) @binding(1) var<storage, read> a4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> c4: array<vec4<f32>>;

@compute @workgroup_size(64, 1, 1)
fn matmul_vec4(@builtin(local_invocation_index) local: u32, @builtin(workgroup_id) wg: vec3<u32>) {
  let blk = block_of(local, wg);
  if (blk.x == 0xffffffffu) { return; }
  let row0 = blk.x;
  let col0 = blk.y;
  let bases = batch_bases(wg.z);
  // Rows past M (A along K) and columns past N (B along K) are clamped; the other two layouts need
  // M resp. N to be multiples of 4.
  let r = vec4<i32>(min(vec4<u32>(row0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(p.M - 1u)));
  let q = vec4<i32>(min(vec4<u32>(col0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(p.N - 1u)));
  // Indices in vec4 units, computed once: a division per load costs more than the FMAs it feeds.
  let ra = (vec4<i32>(bases.x) + r * p.a_row) / 4;  // A along K: row starts
  let qb = (vec4<i32>(bases.y) + q * p.b_col) / 4;  // B along K: column starts
  let a_step = p.a_col / 4;                          // A along M: one k further
  let b_step = p.b_row / 4;                          // B along N: one k further
  var ia = (bases.x + i32(row0)) / 4;                // A along M: rows row0.., at k
  var ib = (bases.y + i32(col0)) / 4;                // B along N: columns col0.., at k
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  let quads = select(i32(p.K) / 4, 0, A_COL && !B_COL);
  for (var kq = 0; kq < quads; kq++) {
    // ak[j] = A[row0..row0+3, k+j] (a column of the block), bk[j] = B[k+j, col0..col0+3].
    var ak0: vec4<f32>; var ak1: vec4<f32>; var ak2: vec4<f32>; var ak3: vec4<f32>;
    if (A_COL) {
      ak0 = a4[ia];
      ak1 = a4[ia + a_step];
      ak2 = a4[ia + 2 * a_step];
      ak3 = a4[ia + 3 * a_step];
      ia += 4 * a_step;
    } else {
      let x0 = a4[ra.x + kq];
      let x1 = a4[ra.y + kq];
      let x2 = a4[ra.z + kq];
      let x3 = a4[ra.w + kq];
      ak0 = vec4<f32>(x0.x, x1.x, x2.x, x3.x);
      ak1 = vec4<f32>(x0.y, x1.y, x2.y, x3.y);
      ak2 = vec4<f32>(x0.z, x1.z, x2.z, x3.z);
      ak3 = vec4<f32>(x0.w, x1.w, x2.w, x3.w);
    }
    var bk0: vec4<f32>; var bk1: vec4<f32>; var bk2: vec4<f32>; var bk3: vec4<f32>;
    if (B_COL) {
      let y0 = b4[qb.x + kq];
      let y1 = b4[qb.y + kq];
      let y2 = b4[qb.z + kq];
      let y3 = b4[qb.w + kq];
      bk0 = vec4<f32>(y0.x, y1.x, y2.x, y3.x);
      bk1 = vec4<f32>(y0.y, y1.y, y2.y, y3.y);
      bk2 = vec4<f32>(y0.z, y1.z, y2.z, y3.z);
      bk3 = vec4<f32>(y0.w, y1.w, y2.w, y3.w);
    } else {
      bk0 = b4[ib];
      bk1 = b4[ib + b_step];
      bk2 = b4[ib + 2 * b_step];
      bk3 = b4[ib + 3 * b_step];
      ib += 4 * b_step;
    }
    acc0 += ak0.x * bk0 + ak1.x * bk1 + ak2.x * bk2 + ak3.x * bk3;
    acc1 += ak0.y * bk0 + ak1.y * bk1 + ak2.y * bk2 + ak3.y * bk3;
    acc2 += ak0.z * bk0 + ak1.z * bk1 + ak2.z * bk2 + ak3.z * bk3;
    acc3 += ak0.w * bk0 + ak1.w * bk1 + ak2.w * bk2 + ak3.w * bk3;
  }
  // A along M, B along N (A^T B, every weight gradient): one k at a time, any K.
  if (A_COL && !B_COL) {
    for (var k = 0; k < i32(p.K); k++) {
      let ak = a4[ia];
      let bk = b4[ib];
      ia += a_step;
      ib += b_step;
      acc0 += ak.x * bk;
      acc1 += ak.y * bk;
      acc2 += ak.z * bk;
      acc3 += ak.w * bk;
    }
  }
  // N % 4 = 0 here (ops/matmul.ts): whole vec4 rows of C.
  let o = (wg.z * p.M * p.N + row0 * p.N + col0) / 4u;
  let row_q = p.N / 4u;
  c4[o] = acc0;
  if (row0 + 1u < p.M) { c4[o + row_q] = acc1; }
  if (row0 + 2u < p.M) { c4[o + 2u * row_q] = acc2; }
  if (row0 + 3u < p.M) { c4[o + 3u * row_q] = acc3; }
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
