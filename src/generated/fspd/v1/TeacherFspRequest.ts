// Original file: proto/fspd/v1/fsp_service.proto

import type { Tensor as _fspd_v1_Tensor, Tensor__Output as _fspd_v1_Tensor__Output } from '../../fspd/v1/Tensor.js';
import type { TapPair as _fspd_v1_TapPair, TapPair__Output as _fspd_v1_TapPair__Output } from '../../fspd/v1/TapPair.js';
import type { Pooling as _fspd_v1_Pooling, Pooling__Output as _fspd_v1_Pooling__Output } from '../../fspd/v1/Pooling.js';
import type { DataType as _fspd_v1_DataType, DataType__Output as _fspd_v1_DataType__Output } from '../../fspd/v1/DataType.js';
import type { SharedMemoryRef as _fspd_v1_SharedMemoryRef, SharedMemoryRef__Output as _fspd_v1_SharedMemoryRef__Output } from '../../fspd/v1/SharedMemoryRef.js';

/**
 * An input batch for a teacher model held by the server (ModelService).
 */
export interface TeacherFspRequest {
  /**
   * The teacher: a model id from ModelService.
   */
  'modelId'?: (string);
  /**
   * Input images [B, H, W, C] (NHWC), already normalised as the model expects. May be left unset when
   * sample_ids are given and every sample's matrices are cached (batch = the number of ids): a client
   * with a warm cache then sends ids only. If a sample is not cached, such a call fails with
   * FAILED_PRECONDITION naming images, and the client sends the call again with the images.
   */
  'images'?: (_fspd_v1_Tensor | null);
  /**
   * One id per sample, the cache key of its matrices: the same id must always mean the same input
   * (include the augmentation in the id when inputs are augmented). Empty = no caching.
   */
  'sampleIds'?: (string)[];
  /**
   * The FSP pairs as indices into the model's taps; empty = the model's own pairs.
   */
  'pairs'?: (_fspd_v1_TapPair)[];
  /**
   * How pairs with mismatched h×w are aligned; unspecified = MAX.
   */
  'pooling'?: (_fspd_v1_Pooling);
  /**
   * Element type of the response's matrices: DATA_TYPE_FLOAT32 (or unspecified: float32),
   * DATA_TYPE_FLOAT16 or DATA_TYPE_BFLOAT16 (the float32 matrices rounded to nearest, ties to even;
   * half the bytes on the wire). Other types are INVALID_ARGUMENT.
   */
  'matricesDtype'?: (_fspd_v1_DataType);
  /**
   * When set: the matrices are written into this shared-memory region from this offset on, packed in pair
   * order (each starting at a multiple of 4 bytes, so at the running offset rounded up to 4), and the
   * response's matrices carry shared_memory refs instead of data: a co-located client then reads them in
   * place instead of through the socket. The slots may not overlap images in the same region.
   */
  'matricesTo'?: (_fspd_v1_SharedMemoryRef | null);
}

/**
 * An input batch for a teacher model held by the server (ModelService).
 */
export interface TeacherFspRequest__Output {
  /**
   * The teacher: a model id from ModelService.
   */
  'modelId': (string);
  /**
   * Input images [B, H, W, C] (NHWC), already normalised as the model expects. May be left unset when
   * sample_ids are given and every sample's matrices are cached (batch = the number of ids): a client
   * with a warm cache then sends ids only. If a sample is not cached, such a call fails with
   * FAILED_PRECONDITION naming images, and the client sends the call again with the images.
   */
  'images': (_fspd_v1_Tensor__Output | null);
  /**
   * One id per sample, the cache key of its matrices: the same id must always mean the same input
   * (include the augmentation in the id when inputs are augmented). Empty = no caching.
   */
  'sampleIds': (string)[];
  /**
   * The FSP pairs as indices into the model's taps; empty = the model's own pairs.
   */
  'pairs': (_fspd_v1_TapPair__Output)[];
  /**
   * How pairs with mismatched h×w are aligned; unspecified = MAX.
   */
  'pooling': (_fspd_v1_Pooling__Output);
  /**
   * Element type of the response's matrices: DATA_TYPE_FLOAT32 (or unspecified: float32),
   * DATA_TYPE_FLOAT16 or DATA_TYPE_BFLOAT16 (the float32 matrices rounded to nearest, ties to even;
   * half the bytes on the wire). Other types are INVALID_ARGUMENT.
   */
  'matricesDtype': (_fspd_v1_DataType__Output);
  /**
   * When set: the matrices are written into this shared-memory region from this offset on, packed in pair
   * order (each starting at a multiple of 4 bytes, so at the running offset rounded up to 4), and the
   * response's matrices carry shared_memory refs instead of data: a co-located client then reads them in
   * place instead of through the socket. The slots may not overlap images in the same region.
   */
  'matricesTo': (_fspd_v1_SharedMemoryRef__Output | null);
}
