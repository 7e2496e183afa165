// Original file: proto/fspd/v1/training_service.proto

import type { StepResult as _fspd_v1_StepResult, StepResult__Output as _fspd_v1_StepResult__Output } from '../../fspd/v1/StepResult.js';

/**
 * The step's outcome.
 */
export interface TrainStepResponse {
  /**
   * What the step did.
   */
  'result'?: (_fspd_v1_StepResult | null);
}

/**
 * The step's outcome.
 */
export interface TrainStepResponse__Output {
  /**
   * What the step did.
   */
  'result': (_fspd_v1_StepResult__Output | null);
}
