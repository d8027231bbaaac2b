// Straight-ray lengths on the GPU: one invocation per ray (source s = ray / n_rec, receiver
// r = ray % n_rec) writes a fixed-stride row of (cell, length) slots, unused slots (-1, 0). The
// scheme and the edge conventions are those of src/physics/tomography/rays.ts (Siddon, float64,
// the reference it is tested against), streamed: the x and z line crossings are merged on the fly
// instead of stored, and each piece longer than tol is given to the cell of its midpoint (found
// by walking from the previous piece's cell). A ray within tol of a grid line splits its length
// half/half between the two cells sharing it (all of it to the inside cell on the boundary).

struct Params {
  n_rays: u32,
  n_rec: u32,
  nx: u32,
  nz: u32,
  stride: u32,
  tol: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> nodes_x: array<f32>;
@group(0) @binding(2) var<storage, read> nodes_z: array<f32>;
@group(0) @binding(3) var<storage, read> src: array<f32>;
@group(0) @binding(4) var<storage, read> rec: array<f32>;
@group(0) @binding(5) var<storage, read_write> cols: array<i32>;
@group(0) @binding(6) var<storage, read_write> lens: array<f32>;

// WGSL passes no storage pointers to functions, so each axis has its own copy of the searches.

/** First line index i in [1, nx] with X[i] > v (nx when none), strictly (>) or not (>=). */
fn above_x(v: f32, strict: bool) -> u32 {
  var lo = 1u;
  var hi = p.nx;
  while (lo < hi) {
    let mid = (lo + hi) / 2u;
    let x = nodes_x[mid];
    if ((strict && x > v) || (!strict && x >= v)) { hi = mid; } else { lo = mid + 1u; }
  }
  return lo;
}
fn above_z(v: f32, strict: bool) -> u32 {
  var lo = 1u;
  var hi = p.nz;
  while (lo < hi) {
    let mid = (lo + hi) / 2u;
    let z = nodes_z[mid];
    if ((strict && z > v) || (!strict && z >= v)) { hi = mid; } else { lo = mid + 1u; }
  }
  return lo;
}

/** The cell along x holding v, walking from i. */
fn walk_x(start: u32, v: f32) -> u32 {
  var i = start;
  while (i + 1u < p.nx && nodes_x[i + 1u] <= v) { i++; }
  while (i > 0u && nodes_x[i] > v) { i--; }
  return i;
}
fn walk_z(start: u32, v: f32) -> u32 {
  var i = start;
  while (i + 1u < p.nz && nodes_z[i + 1u] <= v) { i++; }
  while (i > 0u && nodes_z[i] > v) { i--; }
  return i;
}

/** A ray along a line: (first cell, second cell or -1, weight of each). */
fn split_x(c: f32) -> vec3<f32> {
  let i = walk_x(0u, c);
  if (abs(c - nodes_x[i]) <= p.tol) {
    if (i == 0u) { return vec3<f32>(0.0, -1.0, 1.0); }
    return vec3<f32>(f32(i - 1u), f32(i), 0.5);
  }
  if (abs(c - nodes_x[i + 1u]) <= p.tol) {
    if (i + 1u == p.nx) { return vec3<f32>(f32(i), -1.0, 1.0); }
    return vec3<f32>(f32(i), f32(i + 1u), 0.5);
  }
  return vec3<f32>(f32(i), -1.0, 1.0);
}
fn split_z(c: f32) -> vec3<f32> {
  let i = walk_z(0u, c);
  if (abs(c - nodes_z[i]) <= p.tol) {
    if (i == 0u) { return vec3<f32>(0.0, -1.0, 1.0); }
    return vec3<f32>(f32(i - 1u), f32(i), 0.5);
  }
  if (abs(c - nodes_z[i + 1u]) <= p.tol) {
    if (i + 1u == p.nz) { return vec3<f32>(f32(i), -1.0, 1.0); }
    return vec3<f32>(f32(i), f32(i + 1u), 0.5);
  }
  return vec3<f32>(f32(i), -1.0, 1.0);
}

@compute @workgroup_size(64)
fn ray_lengths(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let ray = gid.x + gid.y * groups.x * 64u;
  if (ray >= p.n_rays) { return; }
  let s = ray / p.n_rec;
  let r = ray - s * p.n_rec;
  let xa = src[2u * s];
  let za = src[2u * s + 1u];
  let xb = rec[2u * r];
  let zb = rec[2u * r + 1u];
  var dx = xb - xa;
  var dz = zb - za;
  let L = sqrt(dx * dx + dz * dz);
  let base = ray * p.stride;
  var k = 0u;
  if (L > p.tol) {
    // mode 0: general; 1: vertical (x fixed, split over x cells); 2: horizontal.
    var mode = 0u;
    var sp = vec3<f32>(0.0, -1.0, 1.0);
    if (abs(dx) <= p.tol) {
      mode = 1u;
      sp = split_x(0.5 * (xa + xb));
      dx = 0.0;
    } else if (abs(dz) <= p.tol) {
      mode = 2u;
      sp = split_z(0.5 * (za + zb));
      dz = 0.0;
    }
    // Interior lines strictly between the endpoints, visited in the ray's direction.
    var ix_next = 0u;
    var ix_end = 0u;
    var iz_next = 0u;
    var iz_end = 0u;
    if (dx > 0.0) { ix_next = above_x(xa, true); ix_end = above_x(xb, false); }
    if (dx < 0.0) { ix_next = above_x(xa, false) - 1u; ix_end = above_x(xb, true) - 1u; }
    if (dz > 0.0) { iz_next = above_z(za, true); iz_end = above_z(zb, false); }
    if (dz < 0.0) { iz_next = above_z(za, false) - 1u; iz_end = above_z(zb, true) - 1u; }
    var cx = walk_x(0u, xa);
    var cz = walk_z(0u, za);
    var a0 = 0.0;
    loop {
      var ax = 2.0;
      var az = 2.0;
      if (ix_next != ix_end) { ax = (nodes_x[ix_next] - xa) / dx; }
      if (iz_next != iz_end) { az = (nodes_z[iz_next] - za) / dz; }
      let a1 = min(min(ax, az), 1.0);
      if (ax <= az && ix_next != ix_end) {
        if (dx > 0.0) { ix_next++; } else { ix_next--; }
      } else if (iz_next != iz_end) {
        if (dz > 0.0) { iz_next++; } else { iz_next--; }
      }
      let len = (a1 - a0) * L;
      if (len > p.tol) {
        let am = 0.5 * (a0 + a1);
        cx = walk_x(cx, xa + am * dx);
        cz = walk_z(cz, za + am * dz);
        if (mode == 0u) {
          if (k < p.stride) { cols[base + k] = i32(cz * p.nx + cx); lens[base + k] = len; k++; }
        } else {
          for (var h = 0u; h < 2u; h++) {
            let c = select(sp.x, sp.y, h == 1u);
            if (c < 0.0 || k >= p.stride) { continue; }
            var cell = cz * p.nx + u32(c);
            if (mode == 2u) { cell = u32(c) * p.nx + cx; }
            cols[base + k] = i32(cell);
            lens[base + k] = sp.z * len;
            k++;
          }
        }
      }
      a0 = a1;
      if (a1 >= 1.0) { break; }
    }
  }
  for (; k < p.stride; k++) {
    cols[base + k] = -1;
    lens[base + k] = 0.0;
  }
}
