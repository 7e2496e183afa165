// Original file: proto/fspd/v1/training_service.proto

import type { OptimizerKind as _fspd_v1_OptimizerKind, OptimizerKind__Output as _fspd_v1_OptimizerKind__Output } from '../../fspd/v1/OptimizerKind.js';

/**
 * The optimiser of a session.
 */
export interface Optimizer {
  /**
   * The algorithm; unspecified = SGD.
   */
  'kind'?: (_fspd_v1_OptimizerKind);
  /**
   * SGD momentum; unset = 0.9 (the paper).
   */
  'momentum'?: (number | string);
  /**
   * L2 weight decay on conv and dense kernels; unset = 1e-4 (the paper).
   */
  'weightDecay'?: (number | string);
  '_momentum'?: "momentum";
  '_weightDecay'?: "weightDecay";
}

/**
 * The optimiser of a session.
 */
export interface Optimizer__Output {
  /**
   * The algorithm; unspecified = SGD.
   */
  'kind': (_fspd_v1_OptimizerKind__Output);
  /**
   * SGD momentum; unset = 0.9 (the paper).
   */
  'momentum'?: (number);
  /**
   * L2 weight decay on conv and dense kernels; unset = 1e-4 (the paper).
   */
  'weightDecay'?: (number);
  '_momentum'?: "momentum";
  '_weightDecay'?: "weightDecay";
}
