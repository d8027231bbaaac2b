// Roofline calibration kernels: a streaming vec4 copy (device bandwidth through a compute kernel)
// and a register-only FMA loop (peak arithmetic). Measured once by calibrate(); reports divide
// achieved rates by these ceilings.

struct Params {
  n4: u32,      // vec4 elements to copy
  iters: u32,   // FMA loop trips per invocation
  seed: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<f32>>;

@compute @workgroup_size(64)
fn copy(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i < p.n4) { dst[i] = src[i]; }
}

// Eight independent vec4 FMA chains per invocation (32 lanes of work) keep the pipelines full; the
// result is stored so the compiler cannot drop the loop. 64 flops per trip per chain group of 8.
@compute @workgroup_size(64)
fn peak_fma(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * 64u;
  let s = p.seed + f32(i) * 1e-7;
  var a0 = vec4<f32>(s); var a1 = a0 + 1.0; var a2 = a0 + 2.0; var a3 = a0 + 3.0;
  var a4 = a0 + 4.0; var a5 = a0 + 5.0; var a6 = a0 + 6.0; var a7 = a0 + 7.0;
  let m = vec4<f32>(0.999999);
  let c = vec4<f32>(1e-6);
  for (var k = 0u; k < p.iters; k++) {
    a0 = fma(a0, m, c); a1 = fma(a1, m, c); a2 = fma(a2, m, c); a3 = fma(a3, m, c);
    a4 = fma(a4, m, c); a5 = fma(a5, m, c); a6 = fma(a6, m, c); a7 = fma(a7, m, c);
  }
  if (i < p.n4) { dst[i] = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7; }
}
