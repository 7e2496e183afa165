// Original file: proto/fspd/v1/training_service.proto

import type { Stage as _fspd_v1_Stage, Stage__Output as _fspd_v1_Stage__Output } from '../../fspd/v1/Stage.js';
import type { Long } from '@grpc/proto-loader';

/**
 * Accuracy and losses of a model on some data.
 */
export interface Evaluation {
  /**
   * Session step at evaluation; 0 for a plain model.
   */
  'step'?: (number | string | Long);
  /**
   * Session stage at evaluation; unspecified for a plain model.
   */
  'stage'?: (_fspd_v1_Stage);
  /**
   * Samples evaluated.
   */
  'samples'?: (number | string | Long);
  /**
   * Fraction classified correctly (inference mode).
   */
  'accuracy'?: (number | string);
  /**
   * Mean softmax cross-entropy.
   */
  'crossEntropy'?: (number | string);
  /**
   * Mean FSP loss per sample against the session's teacher (inference mode); 0 without one.
   */
  'fspLoss'?: (number | string);
}

/**
 * Accuracy and losses of a model on some data.
 */
export interface Evaluation__Output {
  /**
   * Session step at evaluation; 0 for a plain model.
   */
  'step': (number);
  /**
   * Session stage at evaluation; unspecified for a plain model.
   */
  'stage': (_fspd_v1_Stage__Output);
  /**
   * Samples evaluated.
   */
  'samples': (number);
  /**
   * Fraction classified correctly (inference mode).
   */
  'accuracy': (number);
  /**
   * Mean softmax cross-entropy.
   */
  'crossEntropy': (number);
  /**
   * Mean FSP loss per sample against the session's teacher (inference mode); 0 without one.
   */
  'fspLoss': (number);
}
