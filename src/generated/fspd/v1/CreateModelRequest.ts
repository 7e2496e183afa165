// Original file: proto/fspd/v1/model_service.proto

import type { ResNetSpec as _fspd_v1_ResNetSpec, ResNetSpec__Output as _fspd_v1_ResNetSpec__Output } from '../../fspd/v1/ResNetSpec.js';

/**
 * Which built-in model to build.
 */
export interface CreateModelRequest {
  /**
   * The new model's id ([a-z0-9][a-z0-9._-]*, at most 63 characters); empty = the server picks one.
   * ALREADY_EXISTS when taken: by a model, by one whose DeleteModel has not returned yet, or by the kept
   * files of a saved model the server could not restore at startup.
   */
  'modelId'?: (string);
  /**
   * A CIFAR ResNet.
   */
  'resnet'?: (_fspd_v1_ResNetSpec | null);
  /**
   * The architecture.
   */
  'architecture'?: "resnet";
}

/**
 * Which built-in model to build.
 */
export interface CreateModelRequest__Output {
  /**
   * The new model's id ([a-z0-9][a-z0-9._-]*, at most 63 characters); empty = the server picks one.
   * ALREADY_EXISTS when taken: by a model, by one whose DeleteModel has not returned yet, or by the kept
   * files of a saved model the server could not restore at startup.
   */
  'modelId': (string);
  /**
   * A CIFAR ResNet.
   */
  'resnet'?: (_fspd_v1_ResNetSpec__Output | null);
  /**
   * The architecture.
   */
  'architecture'?: "resnet";
}
