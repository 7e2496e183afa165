// Original file: proto/fspd/v1/training_service.proto

import type { Checkpoint as _fspd_v1_Checkpoint, Checkpoint__Output as _fspd_v1_Checkpoint__Output } from '../../fspd/v1/Checkpoint.js';

/**
 * The saved checkpoint.
 */
export interface SaveCheckpointResponse {
  /**
   * Its description.
   */
  'checkpoint'?: (_fspd_v1_Checkpoint | null);
}

/**
 * The saved checkpoint.
 */
export interface SaveCheckpointResponse__Output {
  /**
   * Its description.
   */
  'checkpoint': (_fspd_v1_Checkpoint__Output | null);
}
