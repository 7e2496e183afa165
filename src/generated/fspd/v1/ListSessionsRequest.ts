// Original file: proto/fspd/v1/training_service.proto


/**
 * Lists every session (the server holds a bounded number).
 */
export interface ListSessionsRequest {
}

/**
 * Lists every session (the server holds a bounded number).
 */
export interface ListSessionsRequest__Output {
}
