// Original file: proto/fspd/v1/training_service.proto

import type { Long } from '@grpc/proto-loader';

/**
 * A piecewise-constant learning rate over a stage's steps, as in the paper (e.g. 1e-3 / 1e-4 / 1e-5 until
 * 11k / 16k / 21k iterations).
 */
export interface Schedule {
  /**
   * The learning rate of each phase, > 0.
   */
  'learningRates'?: (number | string)[];
  /**
   * Stage step at which each phase ends, strictly increasing, as many as learning_rates; the last one ends
   * the stage (Run stops there; TrainStep continues at the last rate).
   */
  'untilSteps'?: (number | string | Long)[];
}

/**
 * A piecewise-constant learning rate over a stage's steps, as in the paper (e.g. 1e-3 / 1e-4 / 1e-5 until
 * 11k / 16k / 21k iterations).
 */
export interface Schedule__Output {
  /**
   * The learning rate of each phase, > 0.
   */
  'learningRates': (number)[];
  /**
   * Stage step at which each phase ends, strictly increasing, as many as learning_rates; the last one ends
   * the stage (Run stops there; TrainStep continues at the last rate).
   */
  'untilSteps': (number)[];
}
