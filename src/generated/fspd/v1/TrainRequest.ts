// Original file: proto/fspd/v1/training_service.proto

import type { Batch as _fspd_v1_Batch, Batch__Output as _fspd_v1_Batch__Output } from '../../fspd/v1/Batch.js';

/**
 * One message of a Train stream.
 */
export interface TrainRequest {
  /**
   * The session's id: required in the first message; later messages leave it empty or repeat it.
   */
  'sessionId'?: (string);
  /**
   * The batch of the next step.
   */
  'batch'?: (_fspd_v1_Batch | null);
}

/**
 * One message of a Train stream.
 */
export interface TrainRequest__Output {
  /**
   * The session's id: required in the first message; later messages leave it empty or repeat it.
   */
  'sessionId': (string);
  /**
   * The batch of the next step.
   */
  'batch': (_fspd_v1_Batch__Output | null);
}
