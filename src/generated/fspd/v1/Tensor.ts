// Original file: proto/fspd/v1/types.proto

import type { DataType as _fspd_v1_DataType, DataType__Output as _fspd_v1_DataType__Output } from '../../fspd/v1/DataType.js';
import type { SharedMemoryRef as _fspd_v1_SharedMemoryRef, SharedMemoryRef__Output as _fspd_v1_SharedMemoryRef__Output } from '../../fspd/v1/SharedMemoryRef.js';
import type { Long } from '@grpc/proto-loader';

/**
 * A dense tensor: shape plus the packed elements, row-major.
 */
export interface Tensor {
  /**
   * Element type of data.
   */
  'dtype'?: (_fspd_v1_DataType);
  /**
   * Dimensions, outermost first; every one >= 0.
   */
  'shape'?: (number | string | Long)[];
  /**
   * product(shape) elements of dtype, little-endian, row-major; the length must be exactly
   * product(shape) × the dtype's size. Empty when shared_memory is set.
   */
  'data'?: (Buffer | Uint8Array | string);
  /**
   * Where the elements lie instead of data: in a shared-memory region registered with
   * SharedMemoryService (a co-located client skips copying large tensors through the socket).
   */
  'sharedMemory'?: (_fspd_v1_SharedMemoryRef | null);
}

/**
 * A dense tensor: shape plus the packed elements, row-major.
 */
export interface Tensor__Output {
  /**
   * Element type of data.
   */
  'dtype': (_fspd_v1_DataType__Output);
  /**
   * Dimensions, outermost first; every one >= 0.
   */
  'shape': (number)[];
  /**
   * product(shape) elements of dtype, little-endian, row-major; the length must be exactly
   * product(shape) × the dtype's size. Empty when shared_memory is set.
   */
  'data': (Buffer);
  /**
   * Where the elements lie instead of data: in a shared-memory region registered with
   * SharedMemoryService (a co-located client skips copying large tensors through the socket).
   */
  'sharedMemory': (_fspd_v1_SharedMemoryRef__Output | null);
}
