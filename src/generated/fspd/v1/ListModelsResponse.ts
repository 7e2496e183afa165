// Original file: proto/fspd/v1/model_service.proto

import type { Model as _fspd_v1_Model, Model__Output as _fspd_v1_Model__Output } from '../../fspd/v1/Model.js';

/**
 * Every registered model.
 */
export interface ListModelsResponse {
  /**
   * In creation order.
   */
  'models'?: (_fspd_v1_Model)[];
}

/**
 * Every registered model.
 */
export interface ListModelsResponse__Output {
  /**
   * In creation order.
   */
  'models': (_fspd_v1_Model__Output)[];
}
