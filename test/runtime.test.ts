// Checks the runtime itself, independently of the engine: a WebGPU device can be
// created here and a compute shader's result round-trips to the CPU.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Dawn in Node crashes when its instance or adapter is garbage-collected while a device lives,
// so both are held for the whole file, like the library's own Gpu record does.
interface Held {
  gpu: GPU;
  adapter: GPUAdapter;
  device: GPUDevice;
}

async function requestDevice(): Promise<Held> {
  let gpu: GPU | undefined = globalThis.navigator?.gpu; // Deno, browsers
  if (!gpu) {
    // Node: Dawn, on SwiftShader when there is no GPU.
    process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    gpu = create([]);
  }
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter');
  return { gpu, adapter, device: await adapter.requestDevice() };
}

describe('WebGPU runtime', () => {
  let held: Held | undefined;
  let device: GPUDevice;
  beforeAll(async () => {
    held = await requestDevice();
    device = held.device;
  });
  afterAll(async () => {
    if (!held) return;
    await held.device.queue.onSubmittedWorkDone();
    held.device.destroy();
    // Keep the instance and adapter reachable until the device is gone.
    expect(held.gpu).toBeTruthy();
    expect(held.adapter).toBeTruthy();
  });

  // Regression: this file once let its instance and adapter go out of scope, and a collection
  // mid-file killed the Node worker (std::system_error from Dawn) about one CI run in five.
  it('keeps the device through a garbage collection (Node)', async () => {
    const isNode = typeof process !== 'undefined' && process.versions?.node !== undefined && !('Deno' in globalThis);
    if (!isNode) return;
    const v8 = await import('node:v8');
    const vm = await import('node:vm');
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(device.label).toBeTypeOf('string');
  });

  it('runs a compute shader and reads the result back', async () => {
    const n = 256;
    const module = device.createShaderModule({
      code: /* wgsl */ `
        @group(0) @binding(0) var<storage, read_write> data: array<f32>;
        @compute @workgroup_size(64)
        fn main(@builtin(global_invocation_id) id: vec3u) {
          if (id.x < arrayLength(&data)) { data[id.x] = data[id.x] * 2.0 + 1.0; }
        }`,
    });
    const input = Float32Array.from({ length: n }, (_, i) => i - 100.5);
    const storage = device.createBuffer({
      size: input.byteLength,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    const readback = device.createBuffer({ size: input.byteLength, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(storage, 0, input);
    const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [{ binding: 0, resource: { buffer: storage } }],
    });
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(Math.ceil(n / 64));
    pass.end();
    encoder.copyBufferToBuffer(storage, 0, readback, 0, input.byteLength);
    device.queue.submit([encoder.finish()]);
    await readback.mapAsync(GPUMapMode.READ);
    const out = new Float32Array(readback.getMappedRange().slice(0));
    readback.unmap();
    expect(out).toEqual(input.map((x) => x * 2 + 1));
    storage.destroy();
    readback.destroy();
  });

  it('reports shader compilation errors', async () => {
    device.pushErrorScope('validation');
    device.createShaderModule({ code: 'fn main( {' });
    const error = await device.popErrorScope();
    expect(error).toBeInstanceOf(GPUValidationError);
  });
});
