// Original file: proto/fspd/v1/training_service.proto

/**
 * The optimiser's algorithm.
 */
export const OptimizerKind = {
  /**
   * Means SGD.
   */
  OPTIMIZER_KIND_UNSPECIFIED: 'OPTIMIZER_KIND_UNSPECIFIED',
  /**
   * SGD with momentum (the paper).
   */
  OPTIMIZER_KIND_SGD: 'OPTIMIZER_KIND_SGD',
  /**
   * Adam with the usual betas (0.9, 0.999). Not supported by this server yet (INVALID_ARGUMENT).
   */
  OPTIMIZER_KIND_ADAM: 'OPTIMIZER_KIND_ADAM',
} as const;

/**
 * The optimiser's algorithm.
 */
export type OptimizerKind =
  /**
   * Means SGD.
   */
  | 'OPTIMIZER_KIND_UNSPECIFIED'
  | 0
  /**
   * SGD with momentum (the paper).
   */
  | 'OPTIMIZER_KIND_SGD'
  | 1
  /**
   * Adam with the usual betas (0.9, 0.999). Not supported by this server yet (INVALID_ARGUMENT).
   */
  | 'OPTIMIZER_KIND_ADAM'
  | 2

/**
 * The optimiser's algorithm.
 */
export type OptimizerKind__Output = typeof OptimizerKind[keyof typeof OptimizerKind]
