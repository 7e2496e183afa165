// Original file: proto/fspd/v1/shared_memory_service.proto

import type { Long } from '@grpc/proto-loader';

/**
 * A file to map as a region.
 */
export interface RegisterSharedMemoryRequest {
  /**
   * The region's name: 1..128 characters of [A-Za-z0-9._-].
   */
  'name'?: (string);
  /**
   * The name of a file directly in the server's --shared-memory-dir: a regular file with one link (no
   * directories, symlinks or hard links).
   */
  'path'?: (string);
  /**
   * Bytes of the file to map from its start, >= 1; the file must be at least this long.
   */
  'byteSize'?: (number | string | Long);
}

/**
 * A file to map as a region.
 */
export interface RegisterSharedMemoryRequest__Output {
  /**
   * The region's name: 1..128 characters of [A-Za-z0-9._-].
   */
  'name': (string);
  /**
   * The name of a file directly in the server's --shared-memory-dir: a regular file with one link (no
   * directories, symlinks or hard links).
   */
  'path': (string);
  /**
   * Bytes of the file to map from its start, >= 1; the file must be at least this long.
   */
  'byteSize': (number);
}
