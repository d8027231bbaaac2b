// Roofline calibration: this adapter's ceilings, measured rather than assumed. Device-to-device
// bandwidth through a compute kernel (vec4 copy) and through copyBufferToBuffer, and peak float32
// arithmetic from register-only FMA chains. Profile reports divide achieved rates by these. The
// result is stored per adapter (store.ts), so later sessions report efficiencies without re-running.
import { argError, checkOptions, optionNames } from '../graph/options.js';
import { context } from '../graph/context.js';
import { empty } from '../ops/creation.js';
import { launch } from '../ops/custom.js';
import { checkInt } from '../ops/emit.js';
import { profile } from './profiler.js';
import { rememberRoofline, type Roofline, saveRoofline } from './store.js';
import calibrateWgsl from '../../shaders/calibrate.wgsl';
import { registerShader } from '../gpu/kernels.js';

registerShader('calibrate.wgsl', calibrateWgsl);

/** A ceiling is the best the adapter did: the fastest repeat, which load on a shared machine cannot lower. */
const best = (v: number[]): number => Math.min(...v);

export interface CalibrateOptions {
  /** Bytes per copy buffer (default 32 MiB on GPUs, 8 MiB on CPU adapters). */
  bytes?: number;
  repeats?: number;
  /** Store the result for later sessions (default true); see roofline(). */
  save?: boolean;
}

const CALIBRATE_OPTIONS = optionNames<CalibrateOptions>()('bytes', 'repeats', 'save');

export async function calibrate(opts: CalibrateOptions = {}): Promise<Roofline> {
  const fn = 'calibrate(opts)';
  checkOptions(opts, CALIBRATE_OPTIONS, fn);
  const ctx = context();
  const bytes = checkInt(opts.bytes ?? (ctx.info.isSoftware ? 8 << 20 : 32 << 20), fn, 'bytes', 1024);
  const repeats = checkInt(opts.repeats ?? 5, fn, 'repeats', 1);
  const save = opts.save ?? true;
  if (typeof save !== 'boolean') throw argError(fn, 'save', 'a boolean', save);
  const n4 = Math.floor(bytes / 16);
  const src = empty([n4 * 4]);
  const dst = empty([n4 * 4]);
  const groups = ctx.scheduler.grid1d(n4);
  const copy = (): void =>
    launch({
      file: 'calibrate.wgsl',
      entry: 'copy',
      bind: { src, dst },
      uniforms: { n4, iters: 0, seed: 0 },
      workgroups: groups,
      label: 'calibrate.copy',
      bytes: 2 * n4 * 16,
    });
  // Enough invocations to fill any device, each running a long register-only loop.
  const lanes = ctx.info.isSoftware ? 64 * 64 : 64 * 4096;
  const iters = ctx.info.isSoftware ? 256 : 4096;
  const flops = lanes * iters * 8 * 4 * 2;
  const fma = (): void =>
    launch({
      file: 'calibrate.wgsl',
      entry: 'peak_fma',
      bind: { dst },
      uniforms: { n4: Math.min(n4, lanes), iters, seed: 1 },
      workgroups: ctx.scheduler.grid1d(lanes),
      label: 'calibrate.fma',
      flops,
    });

  copy();
  fma();
  await ctx.scheduler.sync(); // compile and warm up outside the measurement
  const report = await profile(
    () => {
      for (let r = 0; r < repeats; r++) {
        copy();
        fma();
      }
    },
    { every: 1 },
  ); // few dispatches: time them all
  const timed = report.timing === 'timestamp';
  const durations = (label: string): number[] => report.events.filter((e) => e.label === label).map((e) => e.durationMs ?? 0);
  let copyMs = timed ? best(durations('calibrate.copy')) : NaN;
  let fmaMs = timed ? best(durations('calibrate.fma')) : NaN;
  if (!timed) {
    // Wall fallback: one submit per measurement, so each time is the kernel plus a submit.
    const wall = async (f: () => void): Promise<number> => {
      const t: number[] = [];
      for (let r = 0; r < repeats; r++) {
        const t0 = performance.now();
        f();
        await ctx.scheduler.sync();
        t.push(performance.now() - t0);
      }
      return best(t);
    };
    copyMs = await wall(copy);
    fmaMs = await wall(fma);
  }

  // copyBufferToBuffer cannot carry timestamps (it is outside passes): wall time of a batch of
  // copies in one submit, minus the same submit with one copy.
  await ctx.scheduler.sync();
  const a = src.storageFor('calibrate').buffer!;
  const b = dst.storageFor('calibrate').buffer!;
  const batch = async (k: number): Promise<number> => {
    const enc = ctx.device.createCommandEncoder();
    for (let i = 0; i < k; i++) enc.copyBufferToBuffer(a, 0, b, 0, n4 * 16);
    const t0 = performance.now();
    ctx.device.queue.submit([enc.finish()]);
    await ctx.device.queue.onSubmittedWorkDone();
    return performance.now() - t0;
  };
  await batch(1);
  const times = async (k: number, n: number): Promise<number[]> => {
    const t: number[] = [];
    for (let i = 0; i < n; i++) t.push(await batch(k));
    return t;
  };
  const perCopy = Math.max(1e-3, (best(await times(repeats + 1, 3)) - best(await times(1, 3))) / repeats);

  src.dispose();
  dst.dispose();
  const last: Roofline = {
    device: ctx.info.description,
    copyKernelGBs: (2 * n4 * 16) / (copyMs * 1e6),
    copyBufferGBs: (2 * n4 * 16) / (perCopy * 1e6),
    peakGflops: flops / (fmaMs * 1e6),
    timing: report.timing,
    date: new Date().toISOString(),
  };
  rememberRoofline(last);
  if (save) saveRoofline(last);
  return last;
}
