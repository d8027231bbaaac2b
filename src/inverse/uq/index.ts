// Uncertainty quantification for image-to-image regression (issue 21, docs/uncertainty.md):
// heteroscedastic losses and heads, MC dropout and deep-ensemble predictive distributions split
// into aleatoric and epistemic variance, calibration metrics, and the training loops.
export {
  gaussianNll,
  betaNll,
  boundLogVar,
  splitMeanLogVar,
  joinMeanLogVar,
  type NllOptions,
  type MeanLogVar,
  type SplitOptions,
} from './losses.js';
export {
  combinePredictions,
  ensemblePredict,
  mcDropoutPredict,
  type Predictive,
  type PredictOptions,
  type McDropoutOptions,
} from './predict.js';
export {
  rmse,
  gaussianNllHost,
  normalQuantile,
  coverage,
  reliability,
  calibrationReport,
  type Reliability,
  type ReliabilityOptions,
  type CalibrationReport,
} from './calibration.js';
export {
  trainRegressor,
  trainEnsemble,
  memberOptions,
  uqLoss,
  type UqLoss,
  type UqTrainOptions,
  type UqTrainResult,
  type EnsembleOptions,
} from './train.js';
