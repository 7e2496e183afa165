// Original file: proto/fspd/v1/model_service.proto


/**
 * Which model to export.
 */
export interface ExportModelRequest {
  /**
   * The model's id.
   */
  'modelId'?: (string);
  /**
   * Bytes per weights chunk; 0 = 1 MiB.
   */
  'chunkSize'?: (number);
}

/**
 * Which model to export.
 */
export interface ExportModelRequest__Output {
  /**
   * The model's id.
   */
  'modelId': (string);
  /**
   * Bytes per weights chunk; 0 = 1 MiB.
   */
  'chunkSize': (number);
}
