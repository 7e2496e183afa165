// Original file: proto/fspd/v1/training_service.proto


/**
 * Which session to describe.
 */
export interface GetSessionRequest {
  /**
   * The session's id.
   */
  'sessionId'?: (string);
}

/**
 * Which session to describe.
 */
export interface GetSessionRequest__Output {
  /**
   * The session's id.
   */
  'sessionId': (string);
}
