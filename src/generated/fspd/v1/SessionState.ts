// Original file: proto/fspd/v1/training_service.proto

/**
 * Whether a session is training.
 */
export const SessionState = {
  /**
   * Not set (never returned).
   */
  SESSION_STATE_UNSPECIFIED: 'SESSION_STATE_UNSPECIFIED',
  /**
   * No step running; accepts TrainStep, Train, Run, SetStage and RestoreCheckpoint.
   */
  SESSION_STATE_IDLE: 'SESSION_STATE_IDLE',
  /**
   * A step, Train or Run stream holds the session.
   */
  SESSION_STATE_TRAINING: 'SESSION_STATE_TRAINING',
} as const;

/**
 * Whether a session is training.
 */
export type SessionState =
  /**
   * Not set (never returned).
   */
  | 'SESSION_STATE_UNSPECIFIED'
  | 0
  /**
   * No step running; accepts TrainStep, Train, Run, SetStage and RestoreCheckpoint.
   */
  | 'SESSION_STATE_IDLE'
  | 1
  /**
   * A step, Train or Run stream holds the session.
   */
  | 'SESSION_STATE_TRAINING'
  | 2

/**
 * Whether a session is training.
 */
export type SessionState__Output = typeof SessionState[keyof typeof SessionState]
