// Original file: proto/fspd/v1/training_service.proto

import type { SessionPair as _fspd_v1_SessionPair, SessionPair__Output as _fspd_v1_SessionPair__Output } from '../../fspd/v1/SessionPair.js';
import type { Reduction as _fspd_v1_Reduction, Reduction__Output as _fspd_v1_Reduction__Output } from '../../fspd/v1/Reduction.js';
import type { Pooling as _fspd_v1_Pooling, Pooling__Output as _fspd_v1_Pooling__Output } from '../../fspd/v1/Pooling.js';
import type { Optimizer as _fspd_v1_Optimizer, Optimizer__Output as _fspd_v1_Optimizer__Output } from '../../fspd/v1/Optimizer.js';
import type { Schedule as _fspd_v1_Schedule, Schedule__Output as _fspd_v1_Schedule__Output } from '../../fspd/v1/Schedule.js';
import type { Distillation as _fspd_v1_Distillation, Distillation__Output as _fspd_v1_Distillation__Output } from '../../fspd/v1/Distillation.js';

/**
 * What a session trains and how. Session.spec returns it with every default filled in.
 */
export interface SessionSpec {
  /**
   * The model trained, from ModelService; changed in place.
   */
  'studentModelId'?: (string);
  /**
   * The frozen teacher, from ModelService; empty = none (stage 2 only: plain training).
   */
  'teacherModelId'?: (string);
  /**
   * The FSP pairs; empty = the models' own pairs matched by index (their counts must agree).
   */
  'pairs'?: (_fspd_v1_SessionPair)[];
  /**
   * λ per pair, finite and >= 0; empty = all 1.
   */
  'weights'?: (number | string)[];
  /**
   * FSP loss reduction; unspecified = PAPER.
   */
  'reduction'?: (_fspd_v1_Reduction);
  /**
   * Alignment of pairs with mismatched h×w; unspecified = MAX.
   */
  'pooling'?: (_fspd_v1_Pooling);
  /**
   * The optimiser; unset = SGD, momentum 0.9, weight decay 1e-4 (the paper).
   */
  'optimizer'?: (_fspd_v1_Optimizer | null);
  /**
   * Stage 1 learning rates; unset = the paper's CIFAR-10 schedule, 1e-3 / 1e-4 / 1e-5 until 11k / 16k / 21k.
   */
  'fspSchedule'?: (_fspd_v1_Schedule | null);
  /**
   * Stage 2 learning rates; unset = the paper's, 0.1 / 0.01 / 0.001 until 11k / 16k / 21k.
   */
  'crossEntropySchedule'?: (_fspd_v1_Schedule | null);
  /**
   * Cache the teacher's FSP matrices per sample id (with its augmentation); unset = true, the paper's
   * speed-up (19 s instead of 35 s per 100 iterations).
   */
  'cacheTeacherFsp'?: (boolean);
  /**
   * Seed of Run's shuffling and augmentation; unset = random.
   */
  'seed'?: (number);
  /**
   * Stage 2 with Hinton knowledge distillation against the frozen teacher (beyond the FSP paper); unset =
   * cross-entropy only. Needs teacher_model_id.
   */
  'distillation'?: (_fspd_v1_Distillation | null);
  /**
   * Write TensorBoard event files of the session's steps and evaluations (loss, per-pair FSP loss, learning
   * rate, accuracy, teacher-cache hits) to <the server's --logdir>/<session_id>; unset = true when the server
   * has a --logdir. true on a server without one is FAILED_PRECONDITION.
   */
  'tensorboard'?: (boolean);
  '_cacheTeacherFsp'?: "cacheTeacherFsp";
  '_seed'?: "seed";
  '_tensorboard'?: "tensorboard";
}

/**
 * What a session trains and how. Session.spec returns it with every default filled in.
 */
export interface SessionSpec__Output {
  /**
   * The model trained, from ModelService; changed in place.
   */
  'studentModelId': (string);
  /**
   * The frozen teacher, from ModelService; empty = none (stage 2 only: plain training).
   */
  'teacherModelId': (string);
  /**
   * The FSP pairs; empty = the models' own pairs matched by index (their counts must agree).
   */
  'pairs': (_fspd_v1_SessionPair__Output)[];
  /**
   * λ per pair, finite and >= 0; empty = all 1.
   */
  'weights': (number)[];
  /**
   * FSP loss reduction; unspecified = PAPER.
   */
  'reduction': (_fspd_v1_Reduction__Output);
  /**
   * Alignment of pairs with mismatched h×w; unspecified = MAX.
   */
  'pooling': (_fspd_v1_Pooling__Output);
  /**
   * The optimiser; unset = SGD, momentum 0.9, weight decay 1e-4 (the paper).
   */
  'optimizer': (_fspd_v1_Optimizer__Output | null);
  /**
   * Stage 1 learning rates; unset = the paper's CIFAR-10 schedule, 1e-3 / 1e-4 / 1e-5 until 11k / 16k / 21k.
   */
  'fspSchedule': (_fspd_v1_Schedule__Output | null);
  /**
   * Stage 2 learning rates; unset = the paper's, 0.1 / 0.01 / 0.001 until 11k / 16k / 21k.
   */
  'crossEntropySchedule': (_fspd_v1_Schedule__Output | null);
  /**
   * Cache the teacher's FSP matrices per sample id (with its augmentation); unset = true, the paper's
   * speed-up (19 s instead of 35 s per 100 iterations).
   */
  'cacheTeacherFsp'?: (boolean);
  /**
   * Seed of Run's shuffling and augmentation; unset = random.
   */
  'seed'?: (number);
  /**
   * Stage 2 with Hinton knowledge distillation against the frozen teacher (beyond the FSP paper); unset =
   * cross-entropy only. Needs teacher_model_id.
   */
  'distillation': (_fspd_v1_Distillation__Output | null);
  /**
   * Write TensorBoard event files of the session's steps and evaluations (loss, per-pair FSP loss, learning
   * rate, accuracy, teacher-cache hits) to <the server's --logdir>/<session_id>; unset = true when the server
   * has a --logdir. true on a server without one is FAILED_PRECONDITION.
   */
  'tensorboard'?: (boolean);
  '_cacheTeacherFsp'?: "cacheTeacherFsp";
  '_seed'?: "seed";
  '_tensorboard'?: "tensorboard";
}
