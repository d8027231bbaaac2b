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
  var c00 = vec4<f32>(0.0);
  var c01 = vec4<f32>(0.0);
  var c02 = vec4<f32>(0.0);
  var c03 = vec4<f32>(0.0);
  var c04 = vec4<f32>(0.0);
  var c05 = vec4<f32>(0.0);
  var c06 = vec4<f32>(0.0);
  var c07 = vec4<f32>(0.0);
  var c10 = vec4<f32>(0.0);
  var c11 = vec4<f32>(0.0);
  var c12 = vec4<f32>(0.0);
  var c13 = vec4<f32>(0.0);
  var c14 = vec4<f32>(0.0);
  var c15 = vec4<f32>(0.0);
  var c16 = vec4<f32>(0.0);
  var c17 = vec4<f32>(0.0);
  // c{w}{i}: row row0 + i, columns col0 + 4w ... + 3. Per four k-steps: b{w}{j} = B[k + j, the
  // half's columns], a{h}{j} = A[the half's rows, k + j].
  let quads = i32(p.K) / 4;
  for (var kq = 0; kq < quads; kq++) {
    var b00: vec4<f32>; var b01: vec4<f32>; var b02: vec4<f32>; var b03: vec4<f32>;
    var b10: vec4<f32>; var b11: vec4<f32>; var b12: vec4<f32>; var b13: vec4<f32>;
    if (B_COL) {
      let y0 = b4[qb.x + kq]; let y1 = b4[qb.y + kq]; let y2 = b4[qb.z + kq]; let y3 = b4[qb.w + kq];
      b00 = vec4<f32>(y0.x, y1.x, y2.x, y3.x); b01 = vec4<f32>(y0.y, y1.y, y2.y, y3.y);
      b02 = vec4<f32>(y0.z, y1.z, y2.z, y3.z); b03 = vec4<f32>(y0.w, y1.w, y2.w, y3.w);
      if (WIDE) {
        let z0 = b4[qb2.x + kq]; let z1 = b4[qb2.y + kq]; let z2 = b4[qb2.z + kq]; let z3 = b4[qb2.w + kq];
        b10 = vec4<f32>(z0.x, z1.x, z2.x, z3.x); b11 = vec4<f32>(z0.y, z1.y, z2.y, z3.y);
        b12 = vec4<f32>(z0.z, z1.z, z2.z, z3.z); b13 = vec4<f32>(z0.w, z1.w, z2.w, z3.w);
      }
    } else {
      b00 = b4[ib]; b01 = b4[ib + b_step]; b02 = b4[ib + 2 * b_step]; b03 = b4[ib + 3 * b_step];
      if (WIDE) {
        b10 = b4[ib + right]; b11 = b4[ib + right + b_step]; b12 = b4[ib + right + 2 * b_step]; b13 = b4[ib + right + 3 * b_step];
      }
      ib += 4 * b_step;
    }
    var a00: vec4<f32>; var a01: vec4<f32>; var a02: vec4<f32>; var a03: vec4<f32>;
    var a10: vec4<f32>; var a11: vec4<f32>; var a12: vec4<f32>; var a13: vec4<f32>;
    if (A_COL) {
      a00 = a4[ia]; a01 = a4[ia + a_step]; a02 = a4[ia + 2 * a_step]; a03 = a4[ia + 3 * a_step];
      if (TALL) {
        a10 = a4[ia + lower]; a11 = a4[ia + lower + a_step]; a12 = a4[ia + lower + 2 * a_step]; a13 = a4[ia + lower + 3 * a_step];
      }
      ia += 4 * a_step;
    } else {
      let x0 = a4[ra.x + kq]; let x1 = a4[ra.y + kq]; let x2 = a4[ra.z + kq]; let x3 = a4[ra.w + kq];
      a00 = vec4<f32>(x0.x, x1.x, x2.x, x3.x); a01 = vec4<f32>(x0.y, x1.y, x2.y, x3.y);
      a02 = vec4<f32>(x0.z, x1.z, x2.z, x3.z); a03 = vec4<f32>(x0.w, x1.w, x2.w, x3.w);
      if (TALL) {
        let x4 = a4[ra2.x + kq]; let x5 = a4[ra2.y + kq]; let x6 = a4[ra2.z + kq]; let x7 = a4[ra2.w + kq];
        a10 = vec4<f32>(x4.x, x5.x, x6.x, x7.x); a11 = vec4<f32>(x4.y, x5.y, x6.y, x7.y);
        a12 = vec4<f32>(x4.z, x5.z, x6.z, x7.z); a13 = vec4<f32>(x4.w, x5.w, x6.w, x7.w);
      }
    }
      c00 += a00.x * b00 + a01.x * b01 + a02.x * b02 + a03.x * b03;
      c01 += a00.y * b00 + a01.y * b01 + a02.y * b02 + a03.y * b03;
      c02 += a00.z * b00 + a01.z * b01 + a02.z * b02 + a03.z * b03;
      c03 += a00.w * b00 + a01.w * b01 + a02.w * b02 + a03.w * b03;
    if (TALL) {
      c04 += a10.x * b00 + a11.x * b01 + a12.x * b02 + a13.x * b03;
      c05 += a10.y * b00 + a11.y * b01 + a12.y * b02 + a13.y * b03;
      c06 += a10.z * b00 + a11.z * b01 + a12.z * b02 + a13.z * b03;
      c07 += a10.w * b00 + a11.w * b01 + a12.w * b02 + a13.w * b03;
    }
    if (WIDE) {
      c10 += a00.x * b10 + a01.x * b11 + a02.x * b12 + a03.x * b13;
      c11 += a00.y * b10 + a01.y * b11 + a02.y * b12 + a03.y * b13;
      c12 += a00.z * b10 + a01.z * b11 + a02.z * b12 + a03.z * b13;
      c13 += a00.w * b10 + a01.w * b11 + a02.w * b12 + a03.w * b13;
    }
    if (WIDE && TALL) {
      c14 += a10.x * b10 + a11.x * b11 + a12.x * b12 + a13.x * b13;
      c15 += a10.y * b10 + a11.y * b11 + a12.y * b12 + a13.y * b13;
      c16 += a10.z * b10 + a11.z * b11 + a12.z * b12 + a13.z * b13;
      c17 += a10.w * b10 + a11.w * b11 + a12.w * b12 + a13.w * b13;
    }
  }
  // A along M, B along N (A^T B, every weight gradient) takes any K: the last K % 4 one at a time.
  if (A_COL && !B_COL) {
    for (var k = 4 * quads; k < i32(p.K); k++) {
      let a0 = a4[ia];
      let b0 = b4[ib];
      var a1 = a0;
      var b1 = b0;
      if (TALL) { a1 = a4[ia + lower]; }
      if (WIDE) { b1 = b4[ib + right]; }
      c00 += a0.x * b0;
      c01 += a0.y * b0;
      c02 += a0.z * b0;
      c03 += a0.w * b0;
      c04 += a1.x * b0;
      c05 += a1.y * b0;
      c06 += a1.z * b0;
      c07 += a1.w * b0;
      c10 += a0.x * b1;
      c11 += a0.y * b1;
      c12 += a0.z * b1;
      c13 += a0.w * b1;
      c14 += a1.x * b1;
      c15 += a1.y * b1;
      c16 += a1.z * b1;
      c17 += a1.w * b1;
      ia += a_step;
      ib += b_step;
    }
  }
  let o = (wg.z * p.M * p.N + row0 * p.N + col0) / 4u;
  let row_q = p.N / 4u;
  let wide = WIDE && col0 + 4u < p.N;
  c4[o] = c00;
  if (wide) { c4[o + 1u] = c10; }
  if (row0 + 1u < p.M) { c4[o + 1u * row_q] = c01; if (wide) { c4[o + 1u * row_q + 1u] = c11; } }
  if (row0 + 2u < p.M) { c4[o + 2u * row_q] = c02; if (wide) { c4[o + 2u * row_q + 1u] = c12; } }
  if (row0 + 3u < p.M) { c4[o + 3u * row_q] = c03; if (wide) { c4[o + 3u * row_q + 1u] = c13; } }
  if (TALL && row0 + 4u < p.M) { c4[o + 4u * row_q] = c04; if (wide) { c4[o + 4u * row_q + 1u] = c14; } }
  if (TALL && row0 + 5u < p.M) { c4[o + 5u * row_q] = c05; if (wide) { c4[o + 5u * row_q + 1u] = c15; } }
  if (TALL && row0 + 6u < p.M) { c4[o + 6u * row_q] = c06; if (wide) { c4[o + 6u * row_q + 1u] = c16; } }
  if (TALL && row0 + 7u < p.M) { c4[o + 7u * row_q] = c07; if (wide) { c4[o + 7u * row_q + 1u] = c17; } }
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
