// Original file: proto/fspd/v1/types.proto

import type { Long } from '@grpc/proto-loader';

/**
 * A place in a registered shared-memory region (SharedMemoryService).
 */
export interface SharedMemoryRef {
  /**
   * The region's name, as registered.
   */
  'region'?: (string);
  /**
   * Byte offset into the region; float32 data at an offset that is a multiple of 4 is read in place.
   */
  'offset'?: (number | string | Long);
}

/**
 * A place in a registered shared-memory region (SharedMemoryService).
 */
export interface SharedMemoryRef__Output {
  /**
   * The region's name, as registered.
   */
  'region': (string);
  /**
   * Byte offset into the region; float32 data at an offset that is a multiple of 4 is read in place.
   */
  'offset': (number);
}
