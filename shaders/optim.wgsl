// Optimizer updates: one fused kernel per parameter tensor that reads the gradient and rewrites the
// parameter and its optimizer state in place (read_write). One pass over memory per step, and no
// new buffers, so training loops stay memory-flat. Formulas follow PyTorch's SGD, Adam and AdamW.
// Scalars derived from the step count (Adam's bias corrections) are computed in float64 on the CPU
// and arrive in uniforms. `first` marks state that has never been written: it is not read then
// (fresh state buffers hold garbage, or NaN when tests poison outputs).
// A NaN or Inf gradient element leaves its parameter element unchanged, and its state too except on
// the first step, where the state is zeroed (PyTorch's initial Adam state) so a later step reads no
// garbage; it sets OPTIM_STATUS_BIT (one per optimizer, src/nn/optim.ts) for the next read-back.

struct SgdParams {
  n: u32,
  first: u32,
  nesterov: u32,
  lr: f32,
  momentum: f32,
  one_minus_dampening: f32,
  weight_decay: f32,
}

struct AdamParams {
  n: u32,
  first: u32,
  beta1: f32,
  beta2: f32,
  one_minus_beta1: f32,
  one_minus_beta2: f32,
  eps: f32,
  l2: f32,            // Adam: weight decay added to the gradient
  decay: f32,         // AdamW: lr * weight decay, subtracted from the parameter (decoupled)
  step_size: f32,     // lr / (1 - beta1^t)
  inv_sqrt_bc2: f32,  // 1 / sqrt(1 - beta2^t)
}

@group(0) @binding(0) var<uniform> s: SgdParams;
@group(0) @binding(0) var<uniform> a: AdamParams;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;
@group(0) @binding(5) var<storage, read_write> status: array<atomic<u32>>;
override OPTIM_STATUS_BIT: u32;

fn linear_id(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}

// True when g is NaN or Inf, and then sets the status bit. Tested on the exponent bits, which no
// compiler's fast-math assumptions can fold away as an isnan() comparison could be. Callers keep
// the old values with select() rather than returning early: branch-free, the check cost 5-15%
// on SwiftShader (a CPU; no GPU was at hand to measure) where an early return cost 25-40%.
fn nonfinite(g: f32) -> bool {
  let bad = (bitcast<u32>(g) & 0x7f800000u) == 0x7f800000u;
  if (bad) { atomicOr(&status[0], OPTIM_STATUS_BIT); }
  return bad;
}

// Plain SGD: p -= lr * (g + wd p).
@compute @workgroup_size(64)
fn sgd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_id(gid, groups);
  if (i >= s.n) { return; }
  let g = grad[i];
  let bad = nonfinite(g);
  let p = param[i];
  param[i] = select(p - s.lr * (g + s.weight_decay * p), p, bad);
}

// SGD with momentum (buffer in m): b = mu b + (1 - dampening) g, b = g on the first step;
// Nesterov steps along g + mu b instead of b.
@compute @workgroup_size(64)
fn sgd_momentum(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_id(gid, groups);
  if (i >= s.n) { return; }
  let g0 = grad[i];
  let bad = nonfinite(g0);
  let p = param[i];
  let g = g0 + s.weight_decay * p;
  var b = g;
  var b0 = 0.0; // a skipped element's buffer: unchanged, or 0 on the first step
  if (s.first == 0u) {
    b0 = m[i];
    b = s.momentum * b0 + s.one_minus_dampening * g;
  }
  m[i] = select(b, b0, bad);
  var d = b;
  if (s.nesterov != 0u) { d = g + s.momentum * b; }
  param[i] = select(p - s.lr * d, p, bad);
}

// Adam / AdamW: m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2,
// p = p - decay p - step_size m / (sqrt(v) / sqrt(1 - b2^t) + eps).
@compute @workgroup_size(64)
fn adam(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_id(gid, groups);
  if (i >= a.n) { return; }
  let g0 = grad[i];
  let bad = nonfinite(g0);
  let p = param[i];
  let g = g0 + a.l2 * p;
  var m1 = a.one_minus_beta1 * g;
  var v1 = a.one_minus_beta2 * (g * g);
  var m0 = 0.0; // a skipped element's state: unchanged, or 0 on the first step
  var v0 = 0.0;
  if (a.first == 0u) {
    m0 = m[i];
    v0 = v[i];
    m1 += a.beta1 * m0;
    v1 += a.beta2 * v0;
  }
  m[i] = select(m1, m0, bad);
  v[i] = select(v1, v0, bad);
  let denom = sqrt(v1) * a.inv_sqrt_bc2 + a.eps;
  param[i] = select(p - a.decay * p - a.step_size * (m1 / denom), p, bad);
}
