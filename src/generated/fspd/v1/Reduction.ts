// Original file: proto/fspd/v1/types.proto

/**
 * How a pair's squared FSP distances are reduced to its loss. Loss scales differ by orders of magnitude
 * between the two, so the choice is explicit.
 */
export const Reduction = {
  /**
   * Means PAPER.
   */
  REDUCTION_UNSPECIFIED: 'REDUCTION_UNSPECIFIED',
  /**
   * Sum over the C1×C2 matrix entries, mean over samples (the paper's squared Frobenius norm).
   */
  REDUCTION_PAPER: 'REDUCTION_PAPER',
  /**
   * Mean over all entries and samples (RepDistiller's MSE).
   */
  REDUCTION_MEAN: 'REDUCTION_MEAN',
} as const;

/**
 * How a pair's squared FSP distances are reduced to its loss. Loss scales differ by orders of magnitude
 * between the two, so the choice is explicit.
 */
export type Reduction =
  /**
   * Means PAPER.
   */
  | 'REDUCTION_UNSPECIFIED'
  | 0
  /**
   * Sum over the C1×C2 matrix entries, mean over samples (the paper's squared Frobenius norm).
   */
  | 'REDUCTION_PAPER'
  | 1
  /**
   * Mean over all entries and samples (RepDistiller's MSE).
   */
  | 'REDUCTION_MEAN'
  | 2

/**
 * How a pair's squared FSP distances are reduced to its loss. Loss scales differ by orders of magnitude
 * between the two, so the choice is explicit.
 */
export type Reduction__Output = typeof Reduction[keyof typeof Reduction]
