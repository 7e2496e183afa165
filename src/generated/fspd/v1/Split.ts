// Original file: proto/fspd/v1/training_service.proto

/**
 * Part of a dataset.
 */
export const Split = {
  /**
   * Run: TRAIN; Evaluate: TEST.
   */
  SPLIT_UNSPECIFIED: 'SPLIT_UNSPECIFIED',
  /**
   * The training samples.
   */
  SPLIT_TRAIN: 'SPLIT_TRAIN',
  /**
   * The test samples.
   */
  SPLIT_TEST: 'SPLIT_TEST',
} as const;

/**
 * Part of a dataset.
 */
export type Split =
  /**
   * Run: TRAIN; Evaluate: TEST.
   */
  | 'SPLIT_UNSPECIFIED'
  | 0
  /**
   * The training samples.
   */
  | 'SPLIT_TRAIN'
  | 1
  /**
   * The test samples.
   */
  | 'SPLIT_TEST'
  | 2

/**
 * Part of a dataset.
 */
export type Split__Output = typeof Split[keyof typeof Split]
