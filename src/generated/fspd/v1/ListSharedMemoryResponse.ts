// Original file: proto/fspd/v1/shared_memory_service.proto

import type { SharedMemoryRegion as _fspd_v1_SharedMemoryRegion, SharedMemoryRegion__Output as _fspd_v1_SharedMemoryRegion__Output } from '../../fspd/v1/SharedMemoryRegion.js';

/**
 * Every registered region, by name.
 */
export interface ListSharedMemoryResponse {
  /**
   * Sorted by name.
   */
  'regions'?: (_fspd_v1_SharedMemoryRegion)[];
}

/**
 * Every registered region, by name.
 */
export interface ListSharedMemoryResponse__Output {
  /**
   * Sorted by name.
   */
  'regions': (_fspd_v1_SharedMemoryRegion__Output)[];
}
