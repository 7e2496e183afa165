// Original file: proto/fspd/v1/training_service.proto

import type { DatasetSpec as _fspd_v1_DatasetSpec, DatasetSpec__Output as _fspd_v1_DatasetSpec__Output } from '../../fspd/v1/DatasetSpec.js';
import type { Long } from '@grpc/proto-loader';

/**
 * A server-side training loop.
 */
export interface RunRequest {
  /**
   * The session's id.
   */
  'sessionId'?: (string);
  /**
   * The training data.
   */
  'dataset'?: (_fspd_v1_DatasetSpec | null);
  /**
   * Samples per step; 0 = 128.
   */
  'batchSize'?: (number);
  /**
   * Steps to run; 0 = until the current stage's schedule ends.
   */
  'steps'?: (number | string | Long);
  /**
   * Send progress every n steps; 0 = 10.
   */
  'progressEvery'?: (number);
  /**
   * Evaluate every n steps and at the end; 0 = only at the end.
   */
  'evaluateEvery'?: (number);
  /**
   * Evaluation data; unset = dataset's test split.
   */
  'evaluateDataset'?: (_fspd_v1_DatasetSpec | null);
  /**
   * Save a checkpoint every n steps; 0 = none during the run.
   */
  'checkpointEvery'?: (number);
}

/**
 * A server-side training loop.
 */
export interface RunRequest__Output {
  /**
   * The session's id.
   */
  'sessionId': (string);
  /**
   * The training data.
   */
  'dataset': (_fspd_v1_DatasetSpec__Output | null);
  /**
   * Samples per step; 0 = 128.
   */
  'batchSize': (number);
  /**
   * Steps to run; 0 = until the current stage's schedule ends.
   */
  'steps': (number);
  /**
   * Send progress every n steps; 0 = 10.
   */
  'progressEvery': (number);
  /**
   * Evaluate every n steps and at the end; 0 = only at the end.
   */
  'evaluateEvery': (number);
  /**
   * Evaluation data; unset = dataset's test split.
   */
  'evaluateDataset': (_fspd_v1_DatasetSpec__Output | null);
  /**
   * Save a checkpoint every n steps; 0 = none during the run.
   */
  'checkpointEvery': (number);
}
