// Original file: proto/fspd/v1/training_service.proto

import type { Batch as _fspd_v1_Batch, Batch__Output as _fspd_v1_Batch__Output } from '../../fspd/v1/Batch.js';

/**
 * One batch for one step.
 */
export interface TrainStepRequest {
  /**
   * The session's id.
   */
  'sessionId'?: (string);
  /**
   * The batch.
   */
  'batch'?: (_fspd_v1_Batch | null);
}

/**
 * One batch for one step.
 */
export interface TrainStepRequest__Output {
  /**
   * The session's id.
   */
  'sessionId': (string);
  /**
   * The batch.
   */
  'batch': (_fspd_v1_Batch__Output | null);
}
