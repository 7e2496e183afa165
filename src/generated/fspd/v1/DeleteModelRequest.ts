// Original file: proto/fspd/v1/model_service.proto


/**
 * Which model to remove.
 */
export interface DeleteModelRequest {
  /**
   * The model's id.
   */
  'modelId'?: (string);
}

/**
 * Which model to remove.
 */
export interface DeleteModelRequest__Output {
  /**
   * The model's id.
   */
  'modelId': (string);
}
