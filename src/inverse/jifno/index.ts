// JI-FNO's physics side (issue 20 items 3 and 4, docs/ji-fno-eigs.md): the averaged Gauss-Newton
// Hessian's leading eigenvectors (informative directions) and the RTM map's Jacobian actions.
export {
  randomizedEigh,
  gaussNewtonEigs,
  type BlockMatvec,
  type RandomizedEighOptions,
  type GaussNewtonEigsOptions,
  type EighResult,
  type ModelPair,
} from './eigs.js';
export { rtmImage, rtmJacobianActions, type RtmJacobianActionOptions, type RtmJacobianActions } from './actions.js';
export {
  tvInvert,
  tvNorm,
  rtmMisfit,
  imageInversionMetrics,
  type TvInvertOptions,
  type TvInvertProjectionOptions,
  type TvInversion,
  type TvIteration,
  type ImageInversionMetrics,
} from './invert.js';
export {
  jiFnoInputs,
  jiFnoForward,
  networkJvp,
  jiFnoTerms,
  jiFnoLoss,
  jiFnoStep,
  jiFnoErrors,
  trainJiFno,
  type JiFnoBatch,
  type JiFnoData,
  type JiFnoEpoch,
  type JiFnoLossOptions,
  type JiFnoTerms,
  type JiLossKind,
  type ParamOptimizer,
  type TrainJiFnoOptions,
} from './train.js';
export {
  generateJiDataset,
  loadJiDataset,
  jiDataParams,
  jiPair,
  jiSurvey,
  jiImageWeight,
  disposeJiSurvey,
  checksumFloat32,
  rowsOf,
  JI_MANIFEST,
  type JiDataOptions,
  type JiDataParams,
  type JiDataset,
  type JiGenerateHooks,
  type JiManifest,
  type JiPair,
} from './dataset.js';
