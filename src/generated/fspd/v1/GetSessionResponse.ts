// Original file: proto/fspd/v1/training_service.proto

import type { Session as _fspd_v1_Session, Session__Output as _fspd_v1_Session__Output } from '../../fspd/v1/Session.js';

/**
 * The session's state.
 */
export interface GetSessionResponse {
  /**
   * The session.
   */
  'session'?: (_fspd_v1_Session | null);
}

/**
 * The session's state.
 */
export interface GetSessionResponse__Output {
  /**
   * The session.
   */
  'session': (_fspd_v1_Session__Output | null);
}
