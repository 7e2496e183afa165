// Original file: proto/fspd/v1/training_service.proto

import type { Session as _fspd_v1_Session, Session__Output as _fspd_v1_Session__Output } from '../../fspd/v1/Session.js';

/**
 * Every session.
 */
export interface ListSessionsResponse {
  /**
   * In creation order.
   */
  'sessions'?: (_fspd_v1_Session)[];
}

/**
 * Every session.
 */
export interface ListSessionsResponse__Output {
  /**
   * In creation order.
   */
  'sessions': (_fspd_v1_Session__Output)[];
}
