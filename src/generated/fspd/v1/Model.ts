// Original file: proto/fspd/v1/model_service.proto

import type { ModelOrigin as _fspd_v1_ModelOrigin, ModelOrigin__Output as _fspd_v1_ModelOrigin__Output } from '../../fspd/v1/ModelOrigin.js';
import type { ResNetSpec as _fspd_v1_ResNetSpec, ResNetSpec__Output as _fspd_v1_ResNetSpec__Output } from '../../fspd/v1/ResNetSpec.js';
import type { Tap as _fspd_v1_Tap, Tap__Output as _fspd_v1_Tap__Output } from '../../fspd/v1/Tap.js';
import type { TapPair as _fspd_v1_TapPair, TapPair__Output as _fspd_v1_TapPair__Output } from '../../fspd/v1/TapPair.js';
import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp.js';
import type { Long } from '@grpc/proto-loader';

/**
 * A registered model.
 */
export interface Model {
  /**
   * The model's id, unique on this server.
   */
  'modelId'?: (string);
  /**
   * The tfjs model name (e.g. `resnet26`).
   */
  'name'?: (string);
  /**
   * How the model was made.
   */
  'origin'?: (_fspd_v1_ModelOrigin);
  /**
   * The architecture, when origin is BUILT_IN.
   */
  'resnet'?: (_fspd_v1_ResNetSpec | null);
  /**
   * Input per sample, [height, width, channels] (NHWC).
   */
  'inputShape'?: (number | string | Long)[];
  /**
   * Number of classes of the logits (the model's first output).
   */
  'numClasses'?: (number);
  /**
   * The tapped feature maps, in tap index order.
   */
  'taps'?: (_fspd_v1_Tap)[];
  /**
   * The model's FSP pairs, as indices into taps.
   */
  'pairs'?: (_fspd_v1_TapPair)[];
  /**
   * Number of weights (trainable and not).
   */
  'parameterCount'?: (number | string | Long);
  /**
   * Size of the weights in bytes (the weights part of ExportModel).
   */
  'weightsSize'?: (number | string | Long);
  /**
   * When the model was created or uploaded.
   */
  'createTime'?: (_google_protobuf_Timestamp | null);
  /**
   * Sessions that use this model as teacher or student.
   */
  'sessionIds'?: (string)[];
}

/**
 * A registered model.
 */
export interface Model__Output {
  /**
   * The model's id, unique on this server.
   */
  'modelId': (string);
  /**
   * The tfjs model name (e.g. `resnet26`).
   */
  'name': (string);
  /**
   * How the model was made.
   */
  'origin': (_fspd_v1_ModelOrigin__Output);
  /**
   * The architecture, when origin is BUILT_IN.
   */
  'resnet': (_fspd_v1_ResNetSpec__Output | null);
  /**
   * Input per sample, [height, width, channels] (NHWC).
   */
  'inputShape': (number)[];
  /**
   * Number of classes of the logits (the model's first output).
   */
  'numClasses': (number);
  /**
   * The tapped feature maps, in tap index order.
   */
  'taps': (_fspd_v1_Tap__Output)[];
  /**
   * The model's FSP pairs, as indices into taps.
   */
  'pairs': (_fspd_v1_TapPair__Output)[];
  /**
   * Number of weights (trainable and not).
   */
  'parameterCount': (number);
  /**
   * Size of the weights in bytes (the weights part of ExportModel).
   */
  'weightsSize': (number);
  /**
   * When the model was created or uploaded.
   */
  'createTime': (_google_protobuf_Timestamp__Output | null);
  /**
   * Sessions that use this model as teacher or student.
   */
  'sessionIds': (string)[];
}
