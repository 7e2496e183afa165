// Original file: proto/fspd/v1/fsp_service.proto

import type { Tensor as _fspd_v1_Tensor, Tensor__Output as _fspd_v1_Tensor__Output } from '../../fspd/v1/Tensor.js';

/**
 * The teacher's FSP matrices for the batch.
 */
export interface TeacherFspResponse {
  /**
   * [B, C1, C2] per pair, in pair order, of the request's matrices_dtype (float32 when unspecified).
   */
  'matrices'?: (_fspd_v1_Tensor)[];
  /**
   * How many of the batch's samples came from the cache.
   */
  'cacheHits'?: (number);
}

/**
 * The teacher's FSP matrices for the batch.
 */
export interface TeacherFspResponse__Output {
  /**
   * [B, C1, C2] per pair, in pair order, of the request's matrices_dtype (float32 when unspecified).
   */
  'matrices': (_fspd_v1_Tensor__Output)[];
  /**
   * How many of the batch's samples came from the cache.
   */
  'cacheHits': (number);
}
