// Original file: proto/fspd/v1/fsp_service.proto

import type { FeaturePair as _fspd_v1_FeaturePair, FeaturePair__Output as _fspd_v1_FeaturePair__Output } from '../../fspd/v1/FeaturePair.js';
import type { Tensor as _fspd_v1_Tensor, Tensor__Output as _fspd_v1_Tensor__Output } from '../../fspd/v1/Tensor.js';

/**
 * The loss, per-pair losses and the requested extras.
 */
export interface FspLossResponse {
  /**
   * Σ pair_losses.
   */
  'loss'?: (number | string);
  /**
   * λ_i · reduced squared distance of pair i, in request order.
   */
  'pairLosses'?: (number | string)[];
  /**
   * When return_gradients: per student pair, float32 gradients of first and second with the same shapes
   * and layout as the student's maps.
   */
  'studentGradients'?: (_fspd_v1_FeaturePair)[];
  /**
   * When return_teacher_matrices and the teacher came as pairs: float32 [B, C1, C2] per pair.
   */
  'teacherMatrices'?: (_fspd_v1_Tensor)[];
}

/**
 * The loss, per-pair losses and the requested extras.
 */
export interface FspLossResponse__Output {
  /**
   * Σ pair_losses.
   */
  'loss': (number);
  /**
   * λ_i · reduced squared distance of pair i, in request order.
   */
  'pairLosses': (number)[];
  /**
   * When return_gradients: per student pair, float32 gradients of first and second with the same shapes
   * and layout as the student's maps.
   */
  'studentGradients': (_fspd_v1_FeaturePair__Output)[];
  /**
   * When return_teacher_matrices and the teacher came as pairs: float32 [B, C1, C2] per pair.
   */
  'teacherMatrices': (_fspd_v1_Tensor__Output)[];
}
