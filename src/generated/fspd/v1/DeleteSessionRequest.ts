// Original file: proto/fspd/v1/training_service.proto


/**
 * Which session to end.
 */
export interface DeleteSessionRequest {
  /**
   * The session's id; a Train or Run stream on it is cancelled.
   */
  'sessionId'?: (string);
}

/**
 * Which session to end.
 */
export interface DeleteSessionRequest__Output {
  /**
   * The session's id; a Train or Run stream on it is cancelled.
   */
  'sessionId': (string);
}
