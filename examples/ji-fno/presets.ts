// Configurations of the JI-FNO pipeline (Park et al.). 'paper' is the paper's size (256 x 256 models,
// 202 training and 22 test pairs, r = 8 and 64, 1,200 Adam iterations per inversion) for a GPU;
// 'scaled' is the default that runs end to end on this 2-core CPU adapter in about an hour
// (docs/ji-fno.md states its grid, shots and steps); 'tiny' is the smoke test's.
import type * as tl from '../../src/index.js';

export interface JiConfig {
  /** The data set; its last `test` samples are held out. */
  data: tl.JiDataOptions;
  test: number;
  /** Eigenvectors of the averaged Gauss-Newton Hessian over the first `pairs` training pairs; r = max(ranks). */
  eigs: { pairs: number; oversample: number; powerIterations: number };
  /** The Jacobian-informed networks' r (the plain FNO is trained beside them). */
  ranks: number[];
  /**
   * Adam; lambda weighs the Jacobian term (relative L2, so both terms are O(1)); each step supervises
   * a random subset of `directionsPerStep` of the r directions; training errors every `evalEvery` epochs.
   */
  train: {
    epochs: number;
    batch: number;
    lr: number;
    lambda: number;
    directionsPerStep: number;
    evalEvery: number;
    model: Omit<tl.FNO2dOptions, 'inChannels' | 'outChannels'>;
  };
  /** Held-out pairs inverted with each surrogate, and with the physics (fewer: it costs a wave solve per iteration). */
  invert: { samples: number; iterations: number; lr: number; physicsSamples: number; physicsIterations: number; physicsLr: number };
}

export const PRESETS: Record<'tiny' | 'scaled' | 'paper', JiConfig> = {
  paper: {
    data: {
      samples: 224,
      nz: 256,
      nx: 256,
      dx: 0.0125,
      shots: 32,
      dt: 0.001,
      nt: 2000,
      freq: 15,
      pmlWidth: 20,
      samplesPerShard: 4,
      model: { layers: [10, 20], vmin: 1.5, vmax: 4.5 },
      imageWeight: { muteRows: 10, taperRows: 10, depthPower: 1 },
    },
    test: 22,
    eigs: { pairs: 16, oversample: 16, powerIterations: 2 },
    ranks: [8, 64],
    train: {
      epochs: 200,
      batch: 4,
      lr: 1e-3,
      lambda: 10,
      directionsPerStep: 8,
      evalEvery: 10,
      model: { modes1: 24, modes2: 24, width: 32, layers: 4, projection: 64, seed: 1 },
    },
    invert: { samples: 22, iterations: 1200, lr: 0.01, physicsSamples: 22, physicsIterations: 1200, physicsLr: 0.01 },
  },
  // 32 x 32 cells of 50 m (1.6 km square), 4 shots, 160 steps of 6 ms, 2.5 Hz, velocities 2-4.5 km/s.
  scaled: {
    data: {
      samples: 20,
      nz: 32,
      nx: 32,
      dx: 0.05,
      shots: 4,
      dt: 0.006,
      nt: 160,
      freq: 2.5,
      pmlWidth: 8,
      samplesPerShard: 2,
      model: { layers: [5, 9], vmin: 2, vmax: 4.5, faults: [0, 2] },
      imageWeight: { muteRows: 3, taperRows: 3, depthPower: 1 },
    },
    test: 4,
    eigs: { pairs: 2, oversample: 8, powerIterations: 0 },
    ranks: [8, 64],
    train: {
      epochs: 30,
      batch: 4,
      lr: 5e-3,
      lambda: 10,
      directionsPerStep: 4,
      evalEvery: 30,
      model: { modes1: 6, modes2: 6, width: 8, layers: 3, projection: 16, seed: 1 },
    },
    invert: { samples: 4, iterations: 200, lr: 0.02, physicsSamples: 2, physicsIterations: 40, physicsLr: 0.02 },
  },
  tiny: {
    data: {
      samples: 4,
      nz: 12,
      nx: 12,
      dx: 0.05,
      shots: 2,
      dt: 0.006,
      nt: 60,
      freq: 2.5,
      pmlWidth: 4,
      samplesPerShard: 2,
      model: { layers: [3, 4], vmin: 2, vmax: 4.5, faults: [0, 1] },
      imageWeight: { muteRows: 1, taperRows: 1, depthPower: 1 },
    },
    test: 1,
    eigs: { pairs: 1, oversample: 2, powerIterations: 0 },
    ranks: [1, 2],
    train: {
      epochs: 2,
      batch: 3,
      lr: 3e-3,
      lambda: 1,
      directionsPerStep: 1,
      evalEvery: 1,
      model: { modes1: 3, modes2: 3, width: 4, layers: 1, projection: 8, seed: 1 },
    },
    invert: { samples: 1, iterations: 3, lr: 0.02, physicsSamples: 1, physicsIterations: 2, physicsLr: 0.02 },
  },
};
