// Original file: proto/fspd/v1/model_service.proto


/**
 * Empty on success.
 */
export interface DeleteModelResponse {
}

/**
 * Empty on success.
 */
export interface DeleteModelResponse__Output {
}
