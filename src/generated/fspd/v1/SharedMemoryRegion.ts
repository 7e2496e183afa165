// Original file: proto/fspd/v1/shared_memory_service.proto

import type { Long } from '@grpc/proto-loader';

/**
 * A registered region.
 */
export interface SharedMemoryRegion {
  /**
   * Its name.
   */
  'name'?: (string);
  /**
   * The file's name in --shared-memory-dir.
   */
  'path'?: (string);
  /**
   * Mapped bytes.
   */
  'byteSize'?: (number | string | Long);
  /**
   * True when the server maps the file in place; false when it reads and writes through the file (a server
   * without its native addon), which is correct but copies.
   */
  'zeroCopy'?: (boolean);
}

/**
 * A registered region.
 */
export interface SharedMemoryRegion__Output {
  /**
   * Its name.
   */
  'name': (string);
  /**
   * The file's name in --shared-memory-dir.
   */
  'path': (string);
  /**
   * Mapped bytes.
   */
  'byteSize': (number);
  /**
   * True when the server maps the file in place; false when it reads and writes through the file (a server
   * without its native addon), which is correct but copies.
   */
  'zeroCopy': (boolean);
}
