// Direct 2-D convolution (PyTorch's conv2d: cross-correlation, zero padding, stride, dilation) and
// its two transposes, closed under VJPs (see src/autodiff/conv.ts). All tensors are contiguous NCHW:
// x [N, C, H, W], weight [O, C, KH, KW], y and g [N, O, HO, WO].
//   forward       y[n, o, r, q]  = sum_{c,i,j} x[n, c, r sh + i dh - ph, q sw + j dw - pw] w[o, c, i, j]
//   input_grad    dx[n, c, h, v] = sum_{o,i,j} g[n, o, r, q] w[o, c, i, j] over the (r, q) that read (h, v)
//   weight_grad   part[k, o, c, i, j] = sum over the k-th chunk of the positions (n, r, q) of g x
// Register blocking for CPU adapters (no shared memory, no barriers): each invocation owns 4
// channels x 4 neighbouring columns as four vec4 accumulators (named, not an array: dynamic
// indexing of a register array is slow on SwiftShader), so 16 FMAs cost 8 loads.

struct ConvParams {
  total: u32,      // invocations
  n: u32,
  c: u32,
  h: u32,
  w: u32,
  o: u32,
  ho: u32,
  wo: u32,
  kh: u32,
  kw: u32,
  sh: i32,
  sw: i32,
  ph: i32,
  pw: i32,
  dh: i32,
  dw: i32,
  chunk: u32,      // weight_grad: output positions per partial sum
}

@group(0) @binding(0) var<uniform> p: ConvParams;
@group(0) @binding(1) var<storage, read> a: array<f32>;      // x (forward, weight_grad) or g (input_grad)
@group(0) @binding(2) var<storage, read> b: array<f32>;      // w (forward, input_grad) or g (weight_grad)
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn linear_id(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}

// a[base + col] when 0 <= col < len, else 0.
fn at_a(base: i32, col: i32, len: i32) -> f32 {
  if (col < 0 || col >= len) { return 0.0; }
  return a[u32(base + col)];
}

fn at_b(idx: u32, ok: bool) -> f32 {
  if (!ok) { return 0.0; }
  return b[idx];
}

// Stores v[k] at out[base + k] for the columns col + k < len.
fn store4(base: u32, col: u32, len: u32, v: vec4<f32>) {
  out[base] = v.x;
  if (col + 1u < len) { out[base + 1u] = v.y; }
  if (col + 2u < len) { out[base + 2u] = v.z; }
  if (col + 3u < len) { out[base + 3u] = v.w; }
}

// One invocation: y[n, o0..o0+3, r, q0..q0+3].
@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let e = linear_id(gid, groups);
  if (e >= p.total) { return; }
  let qb = (p.wo + 3u) / 4u;
  let ob = (p.o + 3u) / 4u;
  let q0 = (e % qb) * 4u;
  let r = (e / qb) % p.ho;
  let o0 = ((e / (qb * p.ho)) % ob) * 4u;
  let n = e / (qb * p.ho * ob);
  let kk = p.kh * p.kw;
  let ws = p.c * kk; // weight stride along o
  let ok1 = o0 + 1u < p.o;
  let ok2 = o0 + 2u < p.o;
  let ok3 = o0 + 3u < p.o;
  let wi = i32(p.w);
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var c = 0u; c < p.c; c++) {
    for (var i = 0u; i < p.kh; i++) {
      let yi = i32(r) * p.sh + i32(i) * p.dh - p.ph;
      if (yi < 0 || yi >= i32(p.h)) { continue; }
      let row = i32(((n * p.c + c) * p.h + u32(yi)) * p.w);
      var wb = (o0 * p.c + c) * kk + i * p.kw;
      for (var j = 0u; j < p.kw; j++) {
        let x0 = i32(q0) * p.sw + i32(j) * p.dw - p.pw;
        let xv = vec4<f32>(at_a(row, x0, wi), at_a(row, x0 + p.sw, wi), at_a(row, x0 + 2 * p.sw, wi), at_a(row, x0 + 3 * p.sw, wi));
        acc0 += xv * b[wb];
        acc1 += xv * at_b(wb + ws, ok1);
        acc2 += xv * at_b(wb + 2u * ws, ok2);
        acc3 += xv * at_b(wb + 3u * ws, ok3);
        wb += 1u;
      }
    }
  }
  let plane = p.ho * p.wo;
  let base = ((n * p.o + o0) * p.ho + r) * p.wo + q0;
  store4(base, q0, p.wo, acc0);
  if (ok1) { store4(base + plane, q0, p.wo, acc1); }
  if (ok2) { store4(base + 2u * plane, q0, p.wo, acc2); }
  if (ok3) { store4(base + 3u * plane, q0, p.wo, acc3); }
}

// g[row + (col + pw - j dw) / sw] when that output column exists, else 0.
fn g_at(row: i32, col: i32) -> f32 {
  let t = col + p.pw;
  if (t < 0 || t % p.sw != 0 || t / p.sw >= i32(p.wo)) { return 0.0; }
  return a[u32(row + t / p.sw)];
}

// One invocation: dx[n, c0..c0+3, h, v0..v0+3]. a = g [N, O, HO, WO], b = w.
@compute @workgroup_size(64)
fn input_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let e = linear_id(gid, groups);
  if (e >= p.total) { return; }
  let vb = (p.w + 3u) / 4u;
  let cb = (p.c + 3u) / 4u;
  let v0 = (e % vb) * 4u;
  let hh = (e / vb) % p.h;
  let c0 = ((e / (vb * p.h)) % cb) * 4u;
  let n = e / (vb * p.h * cb);
  let kk = p.kh * p.kw;
  let ok1 = c0 + 1u < p.c;
  let ok2 = c0 + 2u < p.c;
  let ok3 = c0 + 3u < p.c;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var o = 0u; o < p.o; o++) {
    for (var i = 0u; i < p.kh; i++) {
      let t = i32(hh) + p.ph - i32(i) * p.dh;
      if (t < 0 || t % p.sh != 0 || t / p.sh >= i32(p.ho)) { continue; }
      let row = i32(((n * p.o + o) * p.ho + u32(t / p.sh)) * p.wo);
      var wb = (o * p.c + c0) * kk + i * p.kw;
      for (var j = 0u; j < p.kw; j++) {
        let u0 = i32(v0) - i32(j) * p.dw;
        let gv = vec4<f32>(g_at(row, u0), g_at(row, u0 + 1), g_at(row, u0 + 2), g_at(row, u0 + 3));
        acc0 += gv * b[wb];
        acc1 += gv * at_b(wb + kk, ok1);
        acc2 += gv * at_b(wb + 2u * kk, ok2);
        acc3 += gv * at_b(wb + 3u * kk, ok3);
        wb += 1u;
      }
    }
  }
  let plane = p.h * p.w;
  let base = ((n * p.c + c0) * p.h + hh) * p.w + v0;
  store4(base, v0, p.w, acc0);
  if (ok1) { store4(base + plane, v0, p.w, acc1); }
  if (ok2) { store4(base + 2u * plane, v0, p.w, acc2); }
  if (ok3) { store4(base + 3u * plane, v0, p.w, acc3); }
}

// One invocation: part[k, o0..o0+3, c0..c0+3, i, j] over the positions k chunk .. (k + 1) chunk - 1
// of (n, r, q). a = x, b = g. Accumulator m holds channel c0 + m, its components the 4 outputs.
@compute @workgroup_size(64)
fn weight_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let e = linear_id(gid, groups);
  if (e >= p.total) { return; }
  let j = e % p.kw;
  let i = (e / p.kw) % p.kh;
  let cb = (p.c + 3u) / 4u;
  let ob = (p.o + 3u) / 4u;
  let c0 = ((e / (p.kw * p.kh)) % cb) * 4u;
  let o0 = ((e / (p.kw * p.kh * cb)) % ob) * 4u;
  let k = e / (p.kw * p.kh * cb * ob);
  let positions = p.n * p.ho * p.wo;
  let first = k * p.chunk;
  let last = min(first + p.chunk, positions);
  let gplane = p.ho * p.wo;
  let xplane = p.h * p.w;
  let okc = vec4<bool>(true, c0 + 1u < p.c, c0 + 2u < p.c, c0 + 3u < p.c);
  let oko = vec4<bool>(true, o0 + 1u < p.o, o0 + 2u < p.o, o0 + 3u < p.o);
  var q = first % p.wo;
  var r = (first / p.wo) % p.ho;
  var n = first / gplane;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var s = first; s < last; s++) {
    let yi = i32(r) * p.sh + i32(i) * p.dh - p.ph;
    let xi = i32(q) * p.sw + i32(j) * p.dw - p.pw;
    if (yi >= 0 && yi < i32(p.h) && xi >= 0 && xi < i32(p.w)) {
      let gi = ((n * p.o + o0) * p.ho + r) * p.wo + q;
      let gv = vec4<f32>(b[gi], at_b(gi + gplane, oko.y), at_b(gi + 2u * gplane, oko.z), at_b(gi + 3u * gplane, oko.w));
      let xb = i32(((n * p.c + c0) * p.h + u32(yi)) * p.w);
      acc0 += gv * a[u32(xb + xi)];
      if (okc.y) { acc1 += gv * a[u32(xb + xi) + xplane]; }
      if (okc.z) { acc2 += gv * a[u32(xb + xi) + 2u * xplane]; }
      if (okc.w) { acc3 += gv * a[u32(xb + xi) + 3u * xplane]; }
    }
    q += 1u;
    if (q == p.wo) {
      q = 0u;
      r += 1u;
      if (r == p.ho) {
        r = 0u;
        n += 1u;
      }
    }
  }
  // part is [chunks, O, C, KH, KW].
  let kk = p.kh * p.kw;
  let os = p.c * kk;
  let base = ((k * p.o + o0) * p.c + c0) * kk + i * p.kw + j;
  let accs = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
  for (var m = 0u; m < 4u; m++) {
    if (!okc[m]) { continue; }
    let v = accs[m];
    let at = base + m * kk;
    out[at] = v.x;
    if (oko.y) { out[at + os] = v.y; }
    if (oko.z) { out[at + 2u * os] = v.z; }
    if (oko.w) { out[at + 3u * os] = v.w; }
  }
}
