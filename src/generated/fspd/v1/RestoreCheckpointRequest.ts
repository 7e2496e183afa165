// Original file: proto/fspd/v1/training_service.proto


/**
 * A checkpoint to return to.
 */
export interface RestoreCheckpointRequest {
  /**
   * The session's id.
   */
  'sessionId'?: (string);
  /**
   * The checkpoint's id; empty = the latest.
   */
  'checkpointId'?: (string);
}

/**
 * A checkpoint to return to.
 */
export interface RestoreCheckpointRequest__Output {
  /**
   * The session's id.
   */
  'sessionId': (string);
  /**
   * The checkpoint's id; empty = the latest.
   */
  'checkpointId': (string);
}
