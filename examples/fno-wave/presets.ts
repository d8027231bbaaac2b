// Configurations of the FNO-wave pipeline. 'paper' is Yang et al. 2021's (5,000 simulations on
// 64 x 64 at 0.16 km, 200 held out, batch 30, 300 epochs, FNO-FWI with Adam at 0.01 km/s for 1,000
// iterations); 'small' is the scaled-down default that runs on a CPU adapter (docs/fno-wave.md);
// 'tiny' is the smoke test's.
import type * as tl from '../../src/index.js';

export interface FnoWaveConfig {
  data: tl.WaveDataOptions;
  /** Held-out validation samples (the last ones). */
  val: number;
  epochs: number;
  batch: number;
  /** Adam's initial learning rate (cosine decay to 1/100 of it). */
  lr: number;
  loss: tl.WaveLoss;
  model: tl.WaveFNOOptions;
  /** Width (km) of the source bump; default the grid spacing. */
  sourceWidth?: number;
  /** Models evaluated on the 2x finer grid. */
  evalRefined: number;
  fwi: { sources: number; iterations: number; lr: number; adjointIterations: number; adjointLr: number };
}

export const PRESETS: Record<'tiny' | 'small' | 'paper', FnoWaveConfig> = {
  paper: {
    data: { samples: 5000, samplesPerShard: 50, seed: 0 },
    val: 200,
    epochs: 300,
    batch: 30,
    lr: 1e-3,
    loss: 'mse',
    model: { modes: 12, width: 32, layers: 4, projection: 128, activation: 'relu', seed: 1 },
    evalRefined: 20,
    fwi: { sources: 20, iterations: 1000, lr: 0.01, adjointIterations: 100, adjointLr: 0.01 },
  },
  // The same 10.24 km box on 32 x 32 cells of 0.32 km: a quarter of the paper's cost per sample.
  small: {
    data: { samples: 120, nz: 32, nx: 32, dx: 0.32, snapshotEvery: 16, samplesPerShard: 20, seed: 0 },
    val: 24,
    epochs: 8,
    batch: 8,
    lr: 5e-3,
    loss: 'rel-l2',
    model: { modes: 8, width: 12, layers: 4, projection: 32, activation: 'relu', seed: 1 },
    evalRefined: 4,
    fwi: { sources: 20, iterations: 12, lr: 0.05, adjointIterations: 12, adjointLr: 0.05 },
  },
  tiny: {
    data: { samples: 6, nz: 16, nx: 16, dx: 0.64, nt: 120, snapshotEvery: 40, pmlWidth: 4, samplesPerShard: 3, seed: 0 },
    val: 2,
    epochs: 1,
    batch: 2,
    lr: 5e-3,
    loss: 'rel-l2',
    model: { modes: 3, width: 4, layers: 2, projection: 8, activation: 'relu', seed: 1 },
    evalRefined: 1,
    fwi: { sources: 4, iterations: 2, lr: 0.05, adjointIterations: 2, adjointLr: 0.05 },
  },
};
