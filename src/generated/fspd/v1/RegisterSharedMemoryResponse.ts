// Original file: proto/fspd/v1/shared_memory_service.proto

import type { SharedMemoryRegion as _fspd_v1_SharedMemoryRegion, SharedMemoryRegion__Output as _fspd_v1_SharedMemoryRegion__Output } from '../../fspd/v1/SharedMemoryRegion.js';

/**
 * The region as registered.
 */
export interface RegisterSharedMemoryResponse {
  /**
   * The new region.
   */
  'region'?: (_fspd_v1_SharedMemoryRegion | null);
}

/**
 * The region as registered.
 */
export interface RegisterSharedMemoryResponse__Output {
  /**
   * The new region.
   */
  'region': (_fspd_v1_SharedMemoryRegion__Output | null);
}
