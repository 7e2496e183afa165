// Original file: proto/fspd/v1/shared_memory_service.proto


/**
 * No filter: every region.
 */
export interface ListSharedMemoryRequest {
}

/**
 * No filter: every region.
 */
export interface ListSharedMemoryRequest__Output {
}
