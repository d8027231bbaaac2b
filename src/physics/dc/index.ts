export { besselK0, besselK1, besselK0e, besselK1e } from './bessel.js';
export { kyQuadrature, type KyQuadrature, type KyQuadratureOptions } from './quadrature.js';
export {
  dcSurvey,
  geometricFactors,
  surveyDataCount,
  type DcArray,
  type DcReceiver,
  type DcSource,
  type DcSurvey,
  type DcSurveyOptions,
  type Electrode,
} from './survey.js';
export { robinDiagonal, electrodeWeights, dcOperator, dcMatrix, applyDc, type DcOperator } from './operator.js';
export { DcSimulation2d, dcSimulation2d, type DcSimulationOptions, type DcSolveStats } from './simulation.js';
