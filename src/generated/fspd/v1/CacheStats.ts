// Original file: proto/fspd/v1/training_service.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Counters of a session's teacher-FSP cache.
 */
export interface CacheStats {
  /**
   * Samples whose teacher matrices came from the cache.
   */
  'hits'?: (number | string | Long);
  /**
   * Samples whose teacher matrices were computed.
   */
  'misses'?: (number | string | Long);
  /**
   * Samples held now.
   */
  'entries'?: (number | string | Long);
  /**
   * Bytes held now.
   */
  'sizeBytes'?: (number | string | Long);
}

/**
 * Counters of a session's teacher-FSP cache.
 */
export interface CacheStats__Output {
  /**
   * Samples whose teacher matrices came from the cache.
   */
  'hits': (number);
  /**
   * Samples whose teacher matrices were computed.
   */
  'misses': (number);
  /**
   * Samples held now.
   */
  'entries': (number);
  /**
   * Bytes held now.
   */
  'sizeBytes': (number);
}
