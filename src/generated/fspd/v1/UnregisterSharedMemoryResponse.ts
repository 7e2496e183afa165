// Original file: proto/fspd/v1/shared_memory_service.proto


/**
 * Empty: the region is gone.
 */
export interface UnregisterSharedMemoryResponse {
}

/**
 * Empty: the region is gone.
 */
export interface UnregisterSharedMemoryResponse__Output {
}
