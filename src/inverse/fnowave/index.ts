// FNO wave surrogate (Yang et al. 2021): datasets from acoustic2d, the surrogate's inputs and
// losses, and the pieces of FNO-based FWI. examples/fno-wave runs the whole pipeline.
export { type ShardStore, MemoryStore, IndexedDBStore } from './store.js';
export {
  type WaveDataOptions,
  type WaveDataParams,
  type WaveManifest,
  type WaveShardInfo,
  type WaveDataset,
  type GenerateHooks,
  generateWaveDataset,
  waveShard,
  loadWaveDataset,
  waveDataParams,
  waveSimOptions,
  simulateWave,
  sampleModel,
  sampleSource,
  sampleSeed,
  shardName,
  MANIFEST as WAVE_MANIFEST,
} from './dataset.js';
export {
  type WaveFNOOptions,
  type WaveScales,
  type WaveLoss,
  waveFNO,
  waveInputs,
  waveForward,
  waveLoss,
  waveMisfit,
  sourceChannel,
  relativeL2PerSample,
  relativeError,
} from './model.js';
