// Original file: proto/fspd/v1/model_service.proto

import type { Model as _fspd_v1_Model, Model__Output as _fspd_v1_Model__Output } from '../../fspd/v1/Model.js';

/**
 * The created model.
 */
export interface CreateModelResponse {
  /**
   * Its description.
   */
  'model'?: (_fspd_v1_Model | null);
}

/**
 * The created model.
 */
export interface CreateModelResponse__Output {
  /**
   * Its description.
   */
  'model': (_fspd_v1_Model__Output | null);
}
