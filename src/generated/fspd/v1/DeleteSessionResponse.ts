// Original file: proto/fspd/v1/training_service.proto


/**
 * Empty on success.
 */
export interface DeleteSessionResponse {
}

/**
 * Empty on success.
 */
export interface DeleteSessionResponse__Output {
}
