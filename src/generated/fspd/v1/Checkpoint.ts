// Original file: proto/fspd/v1/training_service.proto

import type { Stage as _fspd_v1_Stage, Stage__Output as _fspd_v1_Stage__Output } from '../../fspd/v1/Stage.js';
import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp.js';
import type { Long } from '@grpc/proto-loader';

/**
 * A saved state of a session.
 */
export interface Checkpoint {
  /**
   * The checkpoint's id, unique within its session.
   */
  'checkpointId'?: (string);
  /**
   * The session step it holds.
   */
  'step'?: (number | string | Long);
  /**
   * The stage it holds.
   */
  'stage'?: (_fspd_v1_Stage);
  /**
   * The stage step it holds.
   */
  'stageStep'?: (number | string | Long);
  /**
   * When it was saved.
   */
  'createTime'?: (_google_protobuf_Timestamp | null);
  /**
   * Its size on disk.
   */
  'sizeBytes'?: (number | string | Long);
}

/**
 * A saved state of a session.
 */
export interface Checkpoint__Output {
  /**
   * The checkpoint's id, unique within its session.
   */
  'checkpointId': (string);
  /**
   * The session step it holds.
   */
  'step': (number);
  /**
   * The stage it holds.
   */
  'stage': (_fspd_v1_Stage__Output);
  /**
   * The stage step it holds.
   */
  'stageStep': (number);
  /**
   * When it was saved.
   */
  'createTime': (_google_protobuf_Timestamp__Output | null);
  /**
   * Its size on disk.
   */
  'sizeBytes': (number);
}
