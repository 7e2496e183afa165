// Original file: proto/fspd/v1/training_service.proto

import type { DatasetSpec as _fspd_v1_DatasetSpec, DatasetSpec__Output as _fspd_v1_DatasetSpec__Output } from '../../fspd/v1/DatasetSpec.js';
import type { Long } from '@grpc/proto-loader';

/**
 * A server-side training loop. A run over the same data as the session's previous run (same dataset,
 * limit and batch size) continues that run's data stream, also after a restart (checkpoints hold it).
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
   * Send progress every n steps of this run (and after its last); 0 = 10.
   */
  'progressEvery'?: (number);
  /**
   * Evaluate every n steps of this run and at its end; 0 = only at the end.
   */
  'evaluateEvery'?: (number);
  /**
   * Evaluation data; unset = dataset's whole test split, un-augmented.
   */
  'evaluateDataset'?: (_fspd_v1_DatasetSpec | null);
  /**
   * Save a checkpoint every n steps; 0 = none during the run.
   */
  'checkpointEvery'?: (number);
}

/**
 * A server-side training loop. A run over the same data as the session's previous run (same dataset,
 * limit and batch size) continues that run's data stream, also after a restart (checkpoints hold it).
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
   * Send progress every n steps of this run (and after its last); 0 = 10.
   */
  'progressEvery': (number);
  /**
   * Evaluate every n steps of this run and at its end; 0 = only at the end.
   */
  'evaluateEvery': (number);
  /**
   * Evaluation data; unset = dataset's whole test split, un-augmented.
   */
  'evaluateDataset': (_fspd_v1_DatasetSpec__Output | null);
  /**
   * Save a checkpoint every n steps; 0 = none during the run.
   */
  'checkpointEvery': (number);
}
