// Original file: proto/fspd/v1/training_service.proto

import type { Stage as _fspd_v1_Stage, Stage__Output as _fspd_v1_Stage__Output } from '../../fspd/v1/Stage.js';
import type { Long } from '@grpc/proto-loader';

/**
 * The outcome of one optimisation step.
 */
export interface StepResult {
  /**
   * Session step count after this step.
   */
  'step'?: (number | string | Long);
  /**
   * The stage the step ran in.
   */
  'stage'?: (_fspd_v1_Stage);
  /**
   * Stage step count after this step.
   */
  'stageStep'?: (number | string | Long);
  /**
   * FSP loss (stage 1) or mean cross-entropy (stage 2) of the batch, before the update.
   */
  'loss'?: (number | string);
  /**
   * Stage 1: each pair's λ-weighted part of loss, in pair order (they sum to loss). Empty in stage 2.
   */
  'pairLosses'?: (number | string)[];
  /**
   * Stage 2: fraction of the batch classified correctly (training-mode forward pass). 0 in stage 1, which
   * computes no logits loss.
   */
  'accuracy'?: (number | string);
  /**
   * The learning rate used.
   */
  'learningRate'?: (number | string);
  /**
   * Stage 1: samples whose teacher matrices came from the cache.
   */
  'cacheHits'?: (number);
  /**
   * Wall time of the step.
   */
  'seconds'?: (number | string);
}

/**
 * The outcome of one optimisation step.
 */
export interface StepResult__Output {
  /**
   * Session step count after this step.
   */
  'step': (number);
  /**
   * The stage the step ran in.
   */
  'stage': (_fspd_v1_Stage__Output);
  /**
   * Stage step count after this step.
   */
  'stageStep': (number);
  /**
   * FSP loss (stage 1) or mean cross-entropy (stage 2) of the batch, before the update.
   */
  'loss': (number);
  /**
   * Stage 1: each pair's λ-weighted part of loss, in pair order (they sum to loss). Empty in stage 2.
   */
  'pairLosses': (number)[];
  /**
   * Stage 2: fraction of the batch classified correctly (training-mode forward pass). 0 in stage 1, which
   * computes no logits loss.
   */
  'accuracy': (number);
  /**
   * The learning rate used.
   */
  'learningRate': (number);
  /**
   * Stage 1: samples whose teacher matrices came from the cache.
   */
  'cacheHits': (number);
  /**
   * Wall time of the step.
   */
  'seconds': (number);
}
