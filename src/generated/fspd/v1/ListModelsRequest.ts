// Original file: proto/fspd/v1/model_service.proto


/**
 * Lists every model (the server holds a bounded number).
 */
export interface ListModelsRequest {
}

/**
 * Lists every model (the server holds a bounded number).
 */
export interface ListModelsRequest__Output {
}
