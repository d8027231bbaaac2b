// Generative priors (issue 21, docs/generative-priors.md): training sets of geological models in
// shards and the statistics that compare generated models with them.
export {
  generateFaciesDataset,
  faciesShard,
  loadFaciesDataset,
  faciesBatch,
  faciesDataParams,
  faciesSample,
  faciesScaling,
  FACIES_MANIFEST,
  type FaciesKind,
  type FaciesDataOptions,
  type FaciesDataParams,
  type FaciesDataset,
  type FaciesGenerateHooks,
  type FaciesManifest,
} from './dataset.js';
export {
  faciesProportion,
  variogram,
  connectivity,
  compareStatistics,
  sandComponents,
  type ModelBatch,
  type StatAxis,
  type VariogramOptions,
  type ConnectivityOptions,
  type CompareStatisticsOptions,
  type StatisticsComparison,
} from './stats.js';
export { latentInversion, type LatentInversionOptions, type LatentInversionResult, type LatentProgress } from './latent.js';
