// Original file: proto/fspd/v1/types.proto

/**
 * How a pair's larger map is pooled to the smaller h×w when the two differ (adaptive windows as in PyTorch).
 */
export const Pooling = {
  /**
   * Means MAX, as in the paper.
   */
  POOLING_UNSPECIFIED: 'POOLING_UNSPECIFIED',
  /**
   * Adaptive max pooling (the paper; torchdistill).
   */
  POOLING_MAX: 'POOLING_MAX',
  /**
   * Adaptive average pooling (RepDistiller).
   */
  POOLING_AVG: 'POOLING_AVG',
} as const;

/**
 * How a pair's larger map is pooled to the smaller h×w when the two differ (adaptive windows as in PyTorch).
 */
export type Pooling =
  /**
   * Means MAX, as in the paper.
   */
  | 'POOLING_UNSPECIFIED'
  | 0
  /**
   * Adaptive max pooling (the paper; torchdistill).
   */
  | 'POOLING_MAX'
  | 1
  /**
   * Adaptive average pooling (RepDistiller).
   */
  | 'POOLING_AVG'
  | 2

/**
 * How a pair's larger map is pooled to the smaller h×w when the two differ (adaptive windows as in PyTorch).
 */
export type Pooling__Output = typeof Pooling[keyof typeof Pooling]
