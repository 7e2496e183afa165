// Original file: proto/fspd/v1/model_service.proto

/**
 * Where a model came from.
 */
export const ModelOrigin = {
  /**
   * Not set (never returned).
   */
  MODEL_ORIGIN_UNSPECIFIED: 'MODEL_ORIGIN_UNSPECIFIED',
  /**
   * Built by CreateModel.
   */
  MODEL_ORIGIN_BUILT_IN: 'MODEL_ORIGIN_BUILT_IN',
  /**
   * Sent by UploadModel.
   */
  MODEL_ORIGIN_UPLOADED: 'MODEL_ORIGIN_UPLOADED',
} as const;

/**
 * Where a model came from.
 */
export type ModelOrigin =
  /**
   * Not set (never returned).
   */
  | 'MODEL_ORIGIN_UNSPECIFIED'
  | 0
  /**
   * Built by CreateModel.
   */
  | 'MODEL_ORIGIN_BUILT_IN'
  | 1
  /**
   * Sent by UploadModel.
   */
  | 'MODEL_ORIGIN_UPLOADED'
  | 2

/**
 * Where a model came from.
 */
export type ModelOrigin__Output = typeof ModelOrigin[keyof typeof ModelOrigin]
