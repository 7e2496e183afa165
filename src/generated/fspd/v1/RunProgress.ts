// Original file: proto/fspd/v1/training_service.proto

import type { StepResult as _fspd_v1_StepResult, StepResult__Output as _fspd_v1_StepResult__Output } from '../../fspd/v1/StepResult.js';
import type { Long } from '@grpc/proto-loader';

/**
 * Progress of a Run.
 */
export interface RunProgress {
  /**
   * The latest step.
   */
  'lastStep'?: (_fspd_v1_StepResult | null);
  /**
   * Steps done in this run.
   */
  'stepsDone'?: (number | string | Long);
  /**
   * Steps this run will take.
   */
  'stepsTotal'?: (number | string | Long);
  /**
   * Passes over the dataset started in this run, counting from 0.
   */
  'epoch'?: (number);
  /**
   * Mean loss of the steps since the previous progress message.
   */
  'meanLoss'?: (number | string);
  /**
   * Mean batch accuracy of the steps since the previous progress message.
   */
  'meanAccuracy'?: (number | string);
  /**
   * Training throughput since the previous progress message.
   */
  'samplesPerSecond'?: (number | string);
}

/**
 * Progress of a Run.
 */
export interface RunProgress__Output {
  /**
   * The latest step.
   */
  'lastStep': (_fspd_v1_StepResult__Output | null);
  /**
   * Steps done in this run.
   */
  'stepsDone': (number);
  /**
   * Steps this run will take.
   */
  'stepsTotal': (number);
  /**
   * Passes over the dataset started in this run, counting from 0.
   */
  'epoch': (number);
  /**
   * Mean loss of the steps since the previous progress message.
   */
  'meanLoss': (number);
  /**
   * Mean batch accuracy of the steps since the previous progress message.
   */
  'meanAccuracy': (number);
  /**
   * Training throughput since the previous progress message.
   */
  'samplesPerSecond': (number);
}
