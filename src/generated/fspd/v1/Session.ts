// Original file: proto/fspd/v1/training_service.proto

import type { SessionSpec as _fspd_v1_SessionSpec, SessionSpec__Output as _fspd_v1_SessionSpec__Output } from '../../fspd/v1/SessionSpec.js';
import type { Stage as _fspd_v1_Stage, Stage__Output as _fspd_v1_Stage__Output } from '../../fspd/v1/Stage.js';
import type { SessionState as _fspd_v1_SessionState, SessionState__Output as _fspd_v1_SessionState__Output } from '../../fspd/v1/SessionState.js';
import type { StepResult as _fspd_v1_StepResult, StepResult__Output as _fspd_v1_StepResult__Output } from '../../fspd/v1/StepResult.js';
import type { CacheStats as _fspd_v1_CacheStats, CacheStats__Output as _fspd_v1_CacheStats__Output } from '../../fspd/v1/CacheStats.js';
import type { Checkpoint as _fspd_v1_Checkpoint, Checkpoint__Output as _fspd_v1_Checkpoint__Output } from '../../fspd/v1/Checkpoint.js';
import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp.js';
import type { Long } from '@grpc/proto-loader';

/**
 * A session's state.
 */
export interface Session {
  /**
   * The session's id, unique on this server.
   */
  'sessionId'?: (string);
  /**
   * What it trains and how, with defaults filled in.
   */
  'spec'?: (_fspd_v1_SessionSpec | null);
  /**
   * The current stage.
   */
  'stage'?: (_fspd_v1_Stage);
  /**
   * Steps taken, all stages.
   */
  'step'?: (number | string | Long);
  /**
   * Steps taken in the current stage; indexes its schedule.
   */
  'stageStep'?: (number | string | Long);
  /**
   * The learning rate of the next step.
   */
  'learningRate'?: (number | string);
  /**
   * Idle or training.
   */
  'state'?: (_fspd_v1_SessionState);
  /**
   * The most recent step; unset before the first.
   */
  'lastStep'?: (_fspd_v1_StepResult | null);
  /**
   * The teacher-FSP cache's counters (hits and misses since this server process started).
   */
  'teacherCache'?: (_fspd_v1_CacheStats | null);
  /**
   * Its checkpoints, oldest first.
   */
  'checkpoints'?: (_fspd_v1_Checkpoint)[];
  /**
   * When the session was created.
   */
  'createTime'?: (_google_protobuf_Timestamp | null);
}

/**
 * A session's state.
 */
export interface Session__Output {
  /**
   * The session's id, unique on this server.
   */
  'sessionId': (string);
  /**
   * What it trains and how, with defaults filled in.
   */
  'spec': (_fspd_v1_SessionSpec__Output | null);
  /**
   * The current stage.
   */
  'stage': (_fspd_v1_Stage__Output);
  /**
   * Steps taken, all stages.
   */
  'step': (number);
  /**
   * Steps taken in the current stage; indexes its schedule.
   */
  'stageStep': (number);
  /**
   * The learning rate of the next step.
   */
  'learningRate': (number);
  /**
   * Idle or training.
   */
  'state': (_fspd_v1_SessionState__Output);
  /**
   * The most recent step; unset before the first.
   */
  'lastStep': (_fspd_v1_StepResult__Output | null);
  /**
   * The teacher-FSP cache's counters (hits and misses since this server process started).
   */
  'teacherCache': (_fspd_v1_CacheStats__Output | null);
  /**
   * Its checkpoints, oldest first.
   */
  'checkpoints': (_fspd_v1_Checkpoint__Output)[];
  /**
   * When the session was created.
   */
  'createTime': (_google_protobuf_Timestamp__Output | null);
}
