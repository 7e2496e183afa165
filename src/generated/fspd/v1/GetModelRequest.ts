// Original file: proto/fspd/v1/model_service.proto


/**
 * Which model to describe.
 */
export interface GetModelRequest {
  /**
   * The model's id.
   */
  'modelId'?: (string);
}

/**
 * Which model to describe.
 */
export interface GetModelRequest__Output {
  /**
   * The model's id.
   */
  'modelId': (string);
}
