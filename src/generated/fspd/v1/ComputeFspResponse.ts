// Original file: proto/fspd/v1/fsp_service.proto

import type { Tensor as _fspd_v1_Tensor, Tensor__Output as _fspd_v1_Tensor__Output } from '../../fspd/v1/Tensor.js';

/**
 * One FSP matrix per request pair.
 */
export interface ComputeFspResponse {
  /**
   * float32 [B, C1, C2] per pair, in request order.
   */
  'matrices'?: (_fspd_v1_Tensor)[];
}

/**
 * One FSP matrix per request pair.
 */
export interface ComputeFspResponse__Output {
  /**
   * float32 [B, C1, C2] per pair, in request order.
   */
  'matrices': (_fspd_v1_Tensor__Output)[];
}
