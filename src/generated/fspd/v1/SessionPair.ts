// Original file: proto/fspd/v1/training_service.proto

import type { TapPair as _fspd_v1_TapPair, TapPair__Output as _fspd_v1_TapPair__Output } from '../../fspd/v1/TapPair.js';

/**
 * Which student pair learns which teacher pair.
 */
export interface SessionPair {
  /**
   * Indices into the student's taps.
   */
  'student'?: (_fspd_v1_TapPair | null);
  /**
   * Indices into the teacher's taps; the two FSP matrices have equal C1×C2.
   */
  'teacher'?: (_fspd_v1_TapPair | null);
}

/**
 * Which student pair learns which teacher pair.
 */
export interface SessionPair__Output {
  /**
   * Indices into the student's taps.
   */
  'student': (_fspd_v1_TapPair__Output | null);
  /**
   * Indices into the teacher's taps; the two FSP matrices have equal C1×C2.
   */
  'teacher': (_fspd_v1_TapPair__Output | null);
}
