// Original file: proto/fspd/v1/shared_memory_service.proto


/**
 * Which region to unregister.
 */
export interface UnregisterSharedMemoryRequest {
  /**
   * The region's name.
   */
  'name'?: (string);
}

/**
 * Which region to unregister.
 */
export interface UnregisterSharedMemoryRequest__Output {
  /**
   * The region's name.
   */
  'name': (string);
}
