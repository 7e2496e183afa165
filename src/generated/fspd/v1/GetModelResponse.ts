// Original file: proto/fspd/v1/model_service.proto

import type { Model as _fspd_v1_Model, Model__Output as _fspd_v1_Model__Output } from '../../fspd/v1/Model.js';

/**
 * The model's description.
 */
export interface GetModelResponse {
  /**
   * The model.
   */
  'model'?: (_fspd_v1_Model | null);
}

/**
 * The model's description.
 */
export interface GetModelResponse__Output {
  /**
   * The model.
   */
  'model': (_fspd_v1_Model__Output | null);
}
