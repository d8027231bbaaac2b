import type { Tensor } from '../../graph/tensor.js';

/** Reads a tensor back as float64 and disposes it. */
export async function readFloats(t: Tensor): Promise<Float64Array> {
  try {
    return Float64Array.from(await t.data());
  } finally {
    t.dispose();
  }
}
