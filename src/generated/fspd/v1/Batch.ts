// Original file: proto/fspd/v1/training_service.proto

import type { Tensor as _fspd_v1_Tensor, Tensor__Output as _fspd_v1_Tensor__Output } from '../../fspd/v1/Tensor.js';

/**
 * A labelled input batch sent by the client.
 */
export interface Batch {
  /**
   * Images [B, H, W, C] (NHWC), normalised as the model expects; float32, float16, bfloat16 or uint8.
   */
  'images'?: (_fspd_v1_Tensor | null);
  /**
   * Class ids [B], int32 or uint8; required in stage 2 and for accuracy.
   */
  'labels'?: (_fspd_v1_Tensor | null);
  /**
   * One id per sample, the key of its cached teacher matrices (the same id must mean the same input);
   * empty = no caching.
   */
  'sampleIds'?: (string)[];
}

/**
 * A labelled input batch sent by the client.
 */
export interface Batch__Output {
  /**
   * Images [B, H, W, C] (NHWC), normalised as the model expects; float32, float16, bfloat16 or uint8.
   */
  'images': (_fspd_v1_Tensor__Output | null);
  /**
   * Class ids [B], int32 or uint8; required in stage 2 and for accuracy.
   */
  'labels': (_fspd_v1_Tensor__Output | null);
  /**
   * One id per sample, the key of its cached teacher matrices (the same id must mean the same input);
   * empty = no caching.
   */
  'sampleIds': (string)[];
}
