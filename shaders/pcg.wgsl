// The check that ends a fixed-budget (synchronous) PCG solve: a right-hand side whose squared
// residual is above its limit (or NaN) sets a status bit, which the next read-back reports as an
// error. The asynchronous solve reads the residuals back itself and needs no kernel.

struct Params {
  n: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> rr: array<f32>;
@group(0) @binding(2) var<storage, read> limit: array<f32>;
@group(0) @binding(3) var<storage, read_write> status: array<atomic<u32>>;
// The bit, allocated by src/physics/linalg/pcg.ts (registerStatusFlag).
override PCG_STATUS_BIT: u32;

@compute @workgroup_size(64)
fn check_residual(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i < p.n && !(rr[i] <= limit[i])) {
    atomicOr(&status[0], PCG_STATUS_BIT);
  }
}
