// Original file: proto/fspd/v1/training_service.proto

import type { RunProgress as _fspd_v1_RunProgress, RunProgress__Output as _fspd_v1_RunProgress__Output } from '../../fspd/v1/RunProgress.js';
import type { Evaluation as _fspd_v1_Evaluation, Evaluation__Output as _fspd_v1_Evaluation__Output } from '../../fspd/v1/Evaluation.js';
import type { Checkpoint as _fspd_v1_Checkpoint, Checkpoint__Output as _fspd_v1_Checkpoint__Output } from '../../fspd/v1/Checkpoint.js';

/**
 * One message of a Run stream.
 */
export interface RunResponse {
  /**
   * Every progress_every steps and after the last step.
   */
  'progress'?: (_fspd_v1_RunProgress | null);
  /**
   * Every evaluate_every steps and at the end.
   */
  'evaluation'?: (_fspd_v1_Evaluation | null);
  /**
   * A checkpoint saved during the run.
   */
  'checkpoint'?: (_fspd_v1_Checkpoint | null);
  /**
   * What happened.
   */
  'event'?: "progress"|"evaluation"|"checkpoint";
}

/**
 * One message of a Run stream.
 */
export interface RunResponse__Output {
  /**
   * Every progress_every steps and after the last step.
   */
  'progress'?: (_fspd_v1_RunProgress__Output | null);
  /**
   * Every evaluate_every steps and at the end.
   */
  'evaluation'?: (_fspd_v1_Evaluation__Output | null);
  /**
   * A checkpoint saved during the run.
   */
  'checkpoint'?: (_fspd_v1_Checkpoint__Output | null);
  /**
   * What happened.
   */
  'event'?: "progress"|"evaluation"|"checkpoint";
}
