// Original file: proto/fspd/v1/training_service.proto

import type { SessionSpec as _fspd_v1_SessionSpec, SessionSpec__Output as _fspd_v1_SessionSpec__Output } from '../../fspd/v1/SessionSpec.js';
import type { Stage as _fspd_v1_Stage, Stage__Output as _fspd_v1_Stage__Output } from '../../fspd/v1/Stage.js';

/**
 * A session to create.
 */
export interface CreateSessionRequest {
  /**
   * The new session's id ([a-z0-9][a-z0-9._-]*, at most 63 characters); empty = the server picks one.
   * ALREADY_EXISTS when taken: by a session, by one whose DeleteSession has not returned yet, or by the
   * kept files of a saved session the server could not restore at startup.
   */
  'sessionId'?: (string);
  /**
   * What to train and how.
   */
  'spec'?: (_fspd_v1_SessionSpec | null);
  /**
   * The first stage; unspecified = FSP with a teacher, else CROSS_ENTROPY.
   */
  'stage'?: (_fspd_v1_Stage);
}

/**
 * A session to create.
 */
export interface CreateSessionRequest__Output {
  /**
   * The new session's id ([a-z0-9][a-z0-9._-]*, at most 63 characters); empty = the server picks one.
   * ALREADY_EXISTS when taken: by a session, by one whose DeleteSession has not returned yet, or by the
   * kept files of a saved session the server could not restore at startup.
   */
  'sessionId': (string);
  /**
   * What to train and how.
   */
  'spec': (_fspd_v1_SessionSpec__Output | null);
  /**
   * The first stage; unspecified = FSP with a teacher, else CROSS_ENTROPY.
   */
  'stage': (_fspd_v1_Stage__Output);
}
