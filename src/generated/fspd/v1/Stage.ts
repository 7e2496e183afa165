// Original file: proto/fspd/v1/training_service.proto

/**
 * The paper's training stages (Algorithm 1).
 */
export const Stage = {
  /**
   * Not set: CreateSession picks FSP when a teacher is given, else CROSS_ENTROPY.
   */
  STAGE_UNSPECIFIED: 'STAGE_UNSPECIFIED',
  /**
   * Stage 1: minimise the FSP loss against the frozen teacher; no cross-entropy term.
   */
  STAGE_FSP: 'STAGE_FSP',
  /**
   * Stage 2: minimise softmax cross-entropy; no FSP term (stage 1 was the initialisation).
   */
  STAGE_CROSS_ENTROPY: 'STAGE_CROSS_ENTROPY',
} as const;

/**
 * The paper's training stages (Algorithm 1).
 */
export type Stage =
  /**
   * Not set: CreateSession picks FSP when a teacher is given, else CROSS_ENTROPY.
   */
  | 'STAGE_UNSPECIFIED'
  | 0
  /**
   * Stage 1: minimise the FSP loss against the frozen teacher; no cross-entropy term.
   */
  | 'STAGE_FSP'
  | 1
  /**
   * Stage 2: minimise softmax cross-entropy; no FSP term (stage 1 was the initialisation).
   */
  | 'STAGE_CROSS_ENTROPY'
  | 2

/**
 * The paper's training stages (Algorithm 1).
 */
export type Stage__Output = typeof Stage[keyof typeof Stage]
