// Sparse matrix (CSR) times a batch of dense vectors: y[b, r] = sum_k values[k] x[b, col[k]] over
// row r's entries. One invocation per output (b, r): rows of FV operators hold 2-5 entries and rows
// of a ray matrix a few hundred, so a row loop is short either way, and a fixed summation order
// keeps results reproducible (the transpose is its own CSR, built on the host, not an atomic scatter).

struct Params {
  rows: u32,
  cols: u32,
  batch: u32,
  offset_x: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> row_ptr: array<i32>;
@group(0) @binding(2) var<storage, read> col_idx: array<i32>;
@group(0) @binding(3) var<storage, read> vals: array<f32>;
@group(0) @binding(4) var<storage, read> x: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn spmv(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i >= p.rows * p.batch) { return; }
  let b = i / p.rows;
  let r = i - b * p.rows;
  let base = p.offset_x + b * p.cols;
  var acc = 0.0;
  for (var k = row_ptr[r]; k < row_ptr[r + 1u]; k++) {
    acc += vals[k] * x[base + u32(col_idx[k])];
  }
  y[i] = acc;
}
