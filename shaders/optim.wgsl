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

// Reads grad[i]; false (and the status bit set) when it is NaN or Inf. Tested on the exponent
// bits, which no compiler's fast-math assumptions can fold away as an isnan() comparison could be.
fn finite_grad(i: u32) -> bool {
  if ((bitcast<u32>(grad[i]) & 0x7f800000u) == 0x7f800000u) {
    atomicOr(&status[0], OPTIM_STATUS_BIT);
    return false;
  }
  return true;
}

// Plain SGD: p -= lr * (g + wd p).
@compute @workgroup_size(64)
fn sgd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_id(gid, groups);
  if (i >= s.n || !finite_grad(i)) { return; }
  let p = param[i];
  param[i] = p - s.lr * (grad[i] + s.weight_decay * p);
}

// SGD with momentum (buffer in m): b = mu b + (1 - dampening) g, b = g on the first step;
// Nesterov steps along g + mu b instead of b.
@compute @workgroup_size(64)
fn sgd_momentum(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_id(gid, groups);
  if (i >= s.n) { return; }
  if (!finite_grad(i)) {
    if (s.first != 0u) { m[i] = 0.0; }
    return;
  }
  let p = param[i];
  let g = grad[i] + s.weight_decay * p;
  var b = g;
  if (s.first == 0u) { b = s.momentum * m[i] + s.one_minus_dampening * g; }
  m[i] = b;
  var d = b;
  if (s.nesterov != 0u) { d = g + s.momentum * b; }
  param[i] = p - s.lr * d;
}

// Adam / AdamW: m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2,
// p = p - decay p - step_size m / (sqrt(v) / sqrt(1 - b2^t) + eps).
@compute @workgroup_size(64)
fn adam(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_id(gid, groups);
  if (i >= a.n) { return; }
  if (!finite_grad(i)) {
    if (a.first != 0u) {
      m[i] = 0.0;
      v[i] = 0.0;
    }
    return;
  }
  let p = param[i];
  let g = grad[i] + a.l2 * p;
  var m1 = a.one_minus_beta1 * g;
  var v1 = a.one_minus_beta2 * (g * g);
  if (a.first == 0u) {
    m1 += a.beta1 * m[i];
    v1 += a.beta2 * v[i];
  }
  m[i] = m1;
  v[i] = v1;
  let denom = sqrt(v1) * a.inv_sqrt_bc2 + a.eps;
  param[i] = p - a.decay * p - a.step_size * (m1 / denom);
}
