// Original file: proto/fspd/v1/fsp_service.proto

import type { FeaturePair as _fspd_v1_FeaturePair, FeaturePair__Output as _fspd_v1_FeaturePair__Output } from '../../fspd/v1/FeaturePair.js';
import type { Pooling as _fspd_v1_Pooling, Pooling__Output as _fspd_v1_Pooling__Output } from '../../fspd/v1/Pooling.js';

/**
 * Feature pairs whose FSP matrices to compute.
 */
export interface ComputeFspRequest {
  /**
   * At least one pair; each has its own layout and shapes.
   */
  'pairs'?: (_fspd_v1_FeaturePair)[];
  /**
   * How a pair with mismatched h×w is aligned; unspecified = MAX.
   */
  'pooling'?: (_fspd_v1_Pooling);
}

/**
 * Feature pairs whose FSP matrices to compute.
 */
export interface ComputeFspRequest__Output {
  /**
   * At least one pair; each has its own layout and shapes.
   */
  'pairs': (_fspd_v1_FeaturePair__Output)[];
  /**
   * How a pair with mismatched h×w is aligned; unspecified = MAX.
   */
  'pooling': (_fspd_v1_Pooling__Output);
}
