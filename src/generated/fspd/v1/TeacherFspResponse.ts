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
  /**
   * Identifies the teacher these matrices came from, as the server holds it now: a digest of the model's
   * architecture, taps, pairs and weights (an opaque string, the same on every server that holds the same
   * model). It changes when the model's weights change (a training step, a checkpoint restore) or when
   * the id names another model (deleted and uploaded again); the same fingerprint, sample id, pairs,
   * pooling and matrices_dtype mean the same matrices. A client that keeps matrices across calls drops
   * those of another fingerprint. Empty from servers older than this field.
   */
  'modelFingerprint'?: (string);
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
  /**
   * Identifies the teacher these matrices came from, as the server holds it now: a digest of the model's
   * architecture, taps, pairs and weights (an opaque string, the same on every server that holds the same
   * model). It changes when the model's weights change (a training step, a checkpoint restore) or when
   * the id names another model (deleted and uploaded again); the same fingerprint, sample id, pairs,
   * pooling and matrices_dtype mean the same matrices. A client that keeps matrices across calls drops
   * those of another fingerprint. Empty from servers older than this field.
   */
  'modelFingerprint': (string);
}
