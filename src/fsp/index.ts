// FSP (Yim et al. 2017) as tfjs ops and on plain arrays.
export { fspMatrix, type FspMatrixOptions } from './fsp-matrix.js';
export { fspLoss, type FspLossOptions } from './fsp-loss.js';
export { computeFsp, computeFspAsync, computeFspLoss, computeFspLossAsync } from './arrays.js';
export type { FeatureMap, FeaturePair, Layout, LossOptions, LossResult, PairGradients, Pooling, Reduction, Teacher } from '../native/types.js';
