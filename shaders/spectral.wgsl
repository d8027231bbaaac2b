// Fused mode truncation + complex channel mixing of SpectralConv2d (see src/ops/spectral.ts).
// Spectra are contiguous complex [batch, channels, H, Wh] (float32 pairs); the kept modes are the
// rows 0..m1-1 (weight block 0) and H-m1..H-1 (block 1) of the columns 0..m2-1. Weights are one
// contiguous complex tensor [2, I, O, m1, m2]. Every output element is written (zeros outside
// the kept modes), so no separate zero fill, slice, pad or concat is needed.

struct MixParams {
  n: u32,          // complex elements out: batch * c_out * H * Wh
  c_out: u32,      // channels of the output
  c_red: u32,      // channels summed over (those of the input)
  h: u32,
  wh: u32,
  m1: u32,
  m2: u32,
  w_red: u32,      // float strides in the weights along the summed and the output channel
  w_out: u32,
  w_blk: u32,      // float stride between the two weight blocks
  cw: f32,         // +1, or -1 to conjugate the weights
}

@group(0) @binding(0) var<uniform> p: MixParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

fn cmul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  return vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}

fn linear_id(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}

// y[b, c, k1, k2] = sum_j x[b, j, k1, k2] w[blk, j, c, r, k2] (forward: j = in, c = out), or with
// conj(w) and the weight's channel strides swapped (adjoint: j = out, c = in); zero off the kept modes.
@compute @workgroup_size(64)
fn mix(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_id(gid, groups);
  if (i >= p.n) { return; }
  let plane = p.h * p.wh;
  let k2 = i % p.wh;
  let k1 = (i / p.wh) % p.h;
  let c = (i / plane) % p.c_out;
  let b = i / (plane * p.c_out);
  var acc = vec2<f32>(0.0);
  let top = k1 < p.m1;
  let bottom = k1 >= p.h - p.m1;
  if (k2 < p.m2 && (top || bottom)) {
    let r = select(k1 - (p.h - p.m1), k1, top);
    var iw = select(p.w_blk, 0u, top) + c * p.w_out + 2u * (r * p.m2 + k2);
    var ix = 2u * ((b * p.c_red * p.h + k1) * p.wh + k2);
    for (var j = 0u; j < p.c_red; j++) {
      acc += cmul(vec2<f32>(x[ix], x[ix + 1u]), vec2<f32>(w[iw], p.cw * w[iw + 1u]));
      ix += 2u * plane;
      iw += p.w_red;
    }
  }
  y[2u * i] = acc.x;
  y[2u * i + 1u] = acc.y;
}

struct GradParams {
  n: u32,          // complex elements out: 2 * I * O * m1 * m2
  batch: u32,
  ci: u32,
  co: u32,
  h: u32,
  wh: u32,
  m1: u32,
  m2: u32,
}

@group(0) @binding(0) var<uniform> q: GradParams;
@group(0) @binding(1) var<storage, read> u: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read_write> gw: array<f32>;

// gw[blk, i, o, r, k2] = sum_b conj(u[b, i, k1, k2]) v[b, o, k1, k2], k1 = r (block 0) or H - m1 + r (block 1).
@compute @workgroup_size(64)
fn wgrad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let e = linear_id(gid, groups);
  if (e >= q.n) { return; }
  let k2 = e % q.m2;
  let r = (e / q.m2) % q.m1;
  let o = (e / (q.m1 * q.m2)) % q.co;
  let i = (e / (q.m1 * q.m2 * q.co)) % q.ci;
  let blk = e / (q.m1 * q.m2 * q.co * q.ci);
  let k1 = select(r, q.h - q.m1 + r, blk == 1u);
  let plane = q.h * q.wh;
  var iu = 2u * ((i * q.h + k1) * q.wh + k2);
  var iv = 2u * ((o * q.h + k1) * q.wh + k2);
  var acc = vec2<f32>(0.0);
  for (var b = 0u; b < q.batch; b++) {
    acc += cmul(vec2<f32>(u[iu], -u[iu + 1u]), vec2<f32>(v[iv], v[iv + 1u]));
    iu += 2u * q.ci * plane;
    iv += 2u * q.co * plane;
  }
  gw[2u * e] = acc.x;
  gw[2u * e + 1u] = acc.y;
}
