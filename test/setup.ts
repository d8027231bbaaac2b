// Runs in every test file (vitest setupFiles). Each file ends by waiting for its GPU work and
// destroying the device, so no file's process exits with a live Dawn device and busy native
// threads (Dawn re-polls pending promises; a teardown racing them can kill the worker).
import { afterAll } from 'vitest';
import * as tl from '../src/index.js';

afterAll(async () => {
  let device: GPUDevice | null = null;
  try {
    device = tl.getDevice();
  } catch {
    return; // this file never acquired a device
  }
  await device.queue.onSubmittedWorkDone();
  tl.destroy();
});
