// Original file: proto/fspd/v1/model_service.proto

import type { TapPair as _fspd_v1_TapPair, TapPair__Output as _fspd_v1_TapPair__Output } from '../../fspd/v1/TapPair.js';
import type { Long } from '@grpc/proto-loader';

/**
 * First message of an UploadModel stream: what the weight bytes that follow belong to.
 */
export interface UploadModelHeader {
  /**
   * The new model's id (as in CreateModelRequest); empty = the server picks one.
   */
  'modelId'?: (string);
  /**
   * The tfjs model.json (topology and weightsManifest) as UTF-8 JSON.
   */
  'modelJson'?: (string);
  /**
   * Layer names to tap; empty = the taps saved in model.json (userDefinedMetadata.fspd).
   */
  'taps'?: (string)[];
  /**
   * FSP pairs as indices into taps; required when taps is set, else the saved pairs.
   */
  'pairs'?: (_fspd_v1_TapPair)[];
  /**
   * Total bytes of weights that follow: the manifest's weight files concatenated in manifest order.
   */
  'weightsSize'?: (number | string | Long);
}

/**
 * First message of an UploadModel stream: what the weight bytes that follow belong to.
 */
export interface UploadModelHeader__Output {
  /**
   * The new model's id (as in CreateModelRequest); empty = the server picks one.
   */
  'modelId': (string);
  /**
   * The tfjs model.json (topology and weightsManifest) as UTF-8 JSON.
   */
  'modelJson': (string);
  /**
   * Layer names to tap; empty = the taps saved in model.json (userDefinedMetadata.fspd).
   */
  'taps': (string)[];
  /**
   * FSP pairs as indices into taps; required when taps is set, else the saved pairs.
   */
  'pairs': (_fspd_v1_TapPair__Output)[];
  /**
   * Total bytes of weights that follow: the manifest's weight files concatenated in manifest order.
   */
  'weightsSize': (number);
}
