// Original file: proto/fspd/v1/training_service.proto

import type { Stage as _fspd_v1_Stage, Stage__Output as _fspd_v1_Stage__Output } from '../../fspd/v1/Stage.js';
import type { Long } from '@grpc/proto-loader';

/**
 * A stage change.
 */
export interface SetStageRequest {
  /**
   * The session's id.
   */
  'sessionId'?: (string);
  /**
   * The new stage; FSP needs a teacher.
   */
  'stage'?: (_fspd_v1_Stage);
  /**
   * Stage step to start from (its schedule's position); 0 = the start.
   */
  'stageStep'?: (number | string | Long);
}

/**
 * A stage change.
 */
export interface SetStageRequest__Output {
  /**
   * The session's id.
   */
  'sessionId': (string);
  /**
   * The new stage; FSP needs a teacher.
   */
  'stage': (_fspd_v1_Stage__Output);
  /**
   * Stage step to start from (its schedule's position); 0 = the start.
   */
  'stageStep': (number);
}
