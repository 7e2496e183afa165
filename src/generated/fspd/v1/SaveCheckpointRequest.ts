// Original file: proto/fspd/v1/training_service.proto


/**
 * A checkpoint to save.
 */
export interface SaveCheckpointRequest {
  /**
   * The session's id.
   */
  'sessionId'?: (string);
  /**
   * The checkpoint's id (as session ids); empty = `step-<step>`; an existing id is replaced.
   */
  'checkpointId'?: (string);
}

/**
 * A checkpoint to save.
 */
export interface SaveCheckpointRequest__Output {
  /**
   * The session's id.
   */
  'sessionId': (string);
  /**
   * The checkpoint's id (as session ids); empty = `step-<step>`; an existing id is replaced.
   */
  'checkpointId': (string);
}
