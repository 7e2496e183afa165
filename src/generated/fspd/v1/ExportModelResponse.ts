// Original file: proto/fspd/v1/model_service.proto

import type { UploadModelHeader as _fspd_v1_UploadModelHeader, UploadModelHeader__Output as _fspd_v1_UploadModelHeader__Output } from '../../fspd/v1/UploadModelHeader.js';

/**
 * One message of an ExportModel stream: a header, then the weights in chunks.
 */
export interface ExportModelResponse {
  /**
   * The first message: model.json with the model's taps and pairs saved in userDefinedMetadata.fspd.
   */
  'header'?: (_fspd_v1_UploadModelHeader | null);
  /**
   * The next bytes of the weights, in order.
   */
  'weightsChunk'?: (Buffer | Uint8Array | string);
  /**
   * The header first, then weight chunks.
   */
  'part'?: "header"|"weightsChunk";
}

/**
 * One message of an ExportModel stream: a header, then the weights in chunks.
 */
export interface ExportModelResponse__Output {
  /**
   * The first message: model.json with the model's taps and pairs saved in userDefinedMetadata.fspd.
   */
  'header'?: (_fspd_v1_UploadModelHeader__Output | null);
  /**
   * The next bytes of the weights, in order.
   */
  'weightsChunk'?: (Buffer);
  /**
   * The header first, then weight chunks.
   */
  'part'?: "header"|"weightsChunk";
}
