// Original file: proto/fspd/v1/model_service.proto

import type { UploadModelHeader as _fspd_v1_UploadModelHeader, UploadModelHeader__Output as _fspd_v1_UploadModelHeader__Output } from '../../fspd/v1/UploadModelHeader.js';

/**
 * One message of an UploadModel stream.
 */
export interface UploadModelRequest {
  /**
   * The first message.
   */
  'header'?: (_fspd_v1_UploadModelHeader | null);
  /**
   * The next bytes of the weights, in order; any chunk size below the message limit.
   */
  'weightsChunk'?: (Buffer | Uint8Array | string);
  /**
   * The header first, then weight chunks.
   */
  'part'?: "header"|"weightsChunk";
}

/**
 * One message of an UploadModel stream.
 */
export interface UploadModelRequest__Output {
  /**
   * The first message.
   */
  'header'?: (_fspd_v1_UploadModelHeader__Output | null);
  /**
   * The next bytes of the weights, in order; any chunk size below the message limit.
   */
  'weightsChunk'?: (Buffer);
  /**
   * The header first, then weight chunks.
   */
  'part'?: "header"|"weightsChunk";
}
