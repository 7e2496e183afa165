// Original file: proto/fspd/v1/training_service.proto

import type { Session as _fspd_v1_Session, Session__Output as _fspd_v1_Session__Output } from '../../fspd/v1/Session.js';

/**
 * The session after the change.
 */
export interface SetStageResponse {
  /**
   * Its state.
   */
  'session'?: (_fspd_v1_Session | null);
}

/**
 * The session after the change.
 */
export interface SetStageResponse__Output {
  /**
   * Its state.
   */
  'session': (_fspd_v1_Session__Output | null);
}
