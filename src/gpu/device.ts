// Device acquisition for Chrome, Deno and Node (Dawn via the npm `webgpu` package).
// Hardware adapters are preferred; without one we take the software adapter and say so.

import { throttleDawnPolling } from './dawn-poll.js';

export type Runtime = 'node' | 'deno' | 'browser';

export interface DeviceInfo {
  runtime: Runtime;
  description: string;
  vendor: string;
  architecture: string;
  isSoftware: boolean;
  features: string[];
  limits: Record<string, number>;
  hasTimestampQuery: boolean;
  hasShaderF16: boolean;
  hasSubgroups: boolean;
}

export interface InitOptions {
  /** 'high-performance' by default. */
  powerPreference?: GPUPowerPreference;
  /** Node only: extra Dawn toggles, e.g. 'enable-dawn-features=...'. */
  dawnToggles?: string[];
  /** Node only: path to a Vulkan ICD json to use when no hardware adapter exists. */
  vulkanIcd?: string;
}

export class DeviceLostError extends Error {
  constructor(reason: string, message: string) {
    super(
      `tellus: the GPU device was lost (${reason}): ${message}. Call init() again to get a new device; tensors from the lost device cannot be used.`,
    );
    this.name = 'DeviceLostError';
  }
}

export interface Gpu {
  /** Held for the device's lifetime: Dawn in Node crashes if its instance or adapter is garbage-collected first. */
  instance: GPU;
  adapter: GPUAdapter;
  device: GPUDevice;
  info: DeviceInfo;
  lost: GPUDeviceLostInfo | null;
}

export function detectRuntime(): Runtime {
  const g = globalThis as { Deno?: unknown; process?: { versions?: { node?: string } }; window?: unknown };
  if (g.Deno !== undefined) return 'deno';
  if (g.process?.versions?.node !== undefined && g.window === undefined) return 'node';
  return 'browser';
}

// Debian ships SwiftShader's ICD inside the chromium package; these are the places it and Mesa's lavapipe live.
const SOFTWARE_ICDS = ['/usr/lib/chromium/vk_swiftshader_icd.json', '/usr/lib64/chromium/vk_swiftshader_icd.json'];

async function nodeGpu(opts: InitOptions): Promise<GPU> {
  const proc = (globalThis as unknown as { process: { env: Record<string, string | undefined> } }).process;
  const fs = await import('node:fs');
  // Dawn reads VK_ICD_FILENAMES when its instance is created, so it must be set first.
  // Dawn in Node rejects llvmpipe, so on a machine without a GPU we point it at SwiftShader.
  const chosen = opts.vulkanIcd ?? (proc.env.VK_ICD_FILENAMES ? undefined : SOFTWARE_ICDS.find((p) => fs.existsSync(p)));
  const hasHardware = fs.existsSync('/dev/dri/renderD128') || fs.existsSync('/dev/nvidia0');
  if (chosen && (opts.vulkanIcd || !hasHardware)) proc.env.VK_ICD_FILENAMES = chosen;
  const specifier = 'webgpu';
  let mod: { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
  try {
    mod = await import(/* @vite-ignore */ specifier);
  } catch (e) {
    throw new Error(`tellus: Node needs the npm package 'webgpu' (Dawn). Install it with 'npm install webgpu'. (${String(e)})`);
  }
  Object.assign(globalThis, mod.globals);
  throttleDawnPolling();
  // Without this toggle Dawn rounds timestamps to 65.5 µs, which makes kernel profiles useless.
  return mod.create(['disable-dawn-features=timestamp_quantization', ...(opts.dawnToggles ?? [])]);
}

const HOW_TO_FIX: Record<Runtime, string> = {
  node: "install Debian's 'chromium' package (it ships SwiftShader's Vulkan driver, vk_swiftshader_icd.json) or a GPU driver; or pass init({ vulkanIcd: '/path/to/icd.json' })",
  deno: "install a Vulkan driver: a GPU driver or Mesa's software one (apt-get install mesa-vulkan-drivers)",
  browser: 'start Chrome with --enable-unsafe-webgpu (and --use-webgpu-adapter=swiftshader on a machine without a GPU)',
};

export async function acquire(opts: InitOptions = {}): Promise<Gpu> {
  const runtime = detectRuntime();
  let gpu: GPU | undefined = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (runtime === 'node' && !gpu) gpu = await nodeGpu(opts);
  // Also when the caller made Dawn's navigator.gpu itself (bench/run.ts, to share it with jax-js
  // and tfjs): its completion loop spins a core all the same (dawn-poll.ts).
  else if (runtime === 'node') throttleDawnPolling();
  if (!gpu)
    throw new Error(`tellus: WebGPU is not available in this ${runtime} runtime (navigator.gpu is missing); ${HOW_TO_FIX[runtime]}.`);

  const adapter =
    (await gpu.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance' })) ??
    (await gpu.requestAdapter({ forceFallbackAdapter: true }));
  if (!adapter) throw new Error(`tellus: no WebGPU adapter found in ${runtime}; ${HOW_TO_FIX[runtime]}.`);

  // Ask for everything the adapter offers: defaults (128 MiB buffers, 8 storage buffers) are far below real hardware.
  const requiredLimits: Record<string, number> = {};
  for (const key in adapter.limits) {
    const v = (adapter.limits as unknown as Record<string, unknown>)[key];
    if (typeof v === 'number') requiredLimits[key] = v;
  }
  const wanted: GPUFeatureName[] = ['timestamp-query', 'shader-f16', 'subgroups'];
  const requiredFeatures = wanted.filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });

  const ai = adapter.info;
  const description = [ai.description, ai.device, ai.vendor, ai.architecture].filter((s) => s).join(' / ') || 'unknown adapter';
  const software =
    (ai as { isFallbackAdapter?: boolean }).isFallbackAdapter === true || /swiftshader|llvmpipe|lavapipe|software|warp/i.test(description);
  const limits: Record<string, number> = {};
  for (const key in device.limits) {
    const v = (device.limits as unknown as Record<string, unknown>)[key];
    if (typeof v === 'number') limits[key] = v;
  }
  const features = [...device.features].map(String).sort();
  const state: Gpu = {
    instance: gpu,
    adapter,
    device,
    lost: null,
    info: {
      runtime,
      description,
      vendor: ai.vendor,
      architecture: ai.architecture,
      isSoftware: software,
      features,
      limits,
      hasTimestampQuery: device.features.has('timestamp-query'),
      hasShaderF16: device.features.has('shader-f16'),
      hasSubgroups: device.features.has('subgroups'),
    },
  };
  void device.lost.then((info) => {
    state.lost = info;
  });
  return state;
}
