// Original file: proto/fspd/v1/training_service.proto

import type { DatasetSpec as _fspd_v1_DatasetSpec, DatasetSpec__Output as _fspd_v1_DatasetSpec__Output } from '../../fspd/v1/DatasetSpec.js';
import type { Batch as _fspd_v1_Batch, Batch__Output as _fspd_v1_Batch__Output } from '../../fspd/v1/Batch.js';

/**
 * What to evaluate, on what.
 */
export interface EvaluateRequest {
  /**
   * A session's student (with the FSP loss against its teacher).
   */
  'sessionId'?: (string);
  /**
   * A model from ModelService.
   */
  'modelId'?: (string);
  /**
   * A dataset on the server.
   */
  'dataset'?: (_fspd_v1_DatasetSpec | null);
  /**
   * A client batch with labels.
   */
  'batch'?: (_fspd_v1_Batch | null);
  /**
   * Samples per forward pass over a dataset; 0 = 256.
   */
  'batchSize'?: (number);
  /**
   * The model evaluated.
   */
  'target'?: "sessionId"|"modelId";
  /**
   * The data.
   */
  'data'?: "dataset"|"batch";
}

/**
 * What to evaluate, on what.
 */
export interface EvaluateRequest__Output {
  /**
   * A session's student (with the FSP loss against its teacher).
   */
  'sessionId'?: (string);
  /**
   * A model from ModelService.
   */
  'modelId'?: (string);
  /**
   * A dataset on the server.
   */
  'dataset'?: (_fspd_v1_DatasetSpec__Output | null);
  /**
   * A client batch with labels.
   */
  'batch'?: (_fspd_v1_Batch__Output | null);
  /**
   * Samples per forward pass over a dataset; 0 = 256.
   */
  'batchSize': (number);
  /**
   * The model evaluated.
   */
  'target'?: "sessionId"|"modelId";
  /**
   * The data.
   */
  'data'?: "dataset"|"batch";
}
