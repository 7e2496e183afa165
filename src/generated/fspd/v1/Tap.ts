// Original file: proto/fspd/v1/model_service.proto

import type { Long } from '@grpc/proto-loader';

/**
 * A feature map the model exposes for FSP.
 */
export interface Tap {
  /**
   * Name of the layer whose output is tapped.
   */
  'layer'?: (string);
  /**
   * Its output per sample, [height, width, channels].
   */
  'shape'?: (number | string | Long)[];
}

/**
 * A feature map the model exposes for FSP.
 */
export interface Tap__Output {
  /**
   * Name of the layer whose output is tapped.
   */
  'layer': (string);
  /**
   * Its output per sample, [height, width, channels].
   */
  'shape': (number)[];
}
