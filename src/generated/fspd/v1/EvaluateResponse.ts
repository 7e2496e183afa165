// Original file: proto/fspd/v1/training_service.proto

import type { Evaluation as _fspd_v1_Evaluation, Evaluation__Output as _fspd_v1_Evaluation__Output } from '../../fspd/v1/Evaluation.js';

/**
 * The evaluation.
 */
export interface EvaluateResponse {
  /**
   * Accuracy and losses.
   */
  'evaluation'?: (_fspd_v1_Evaluation | null);
}

/**
 * The evaluation.
 */
export interface EvaluateResponse__Output {
  /**
   * Accuracy and losses.
   */
  'evaluation': (_fspd_v1_Evaluation__Output | null);
}
