// Original file: proto/fspd/v1/types.proto

import type { Tensor as _fspd_v1_Tensor, Tensor__Output as _fspd_v1_Tensor__Output } from '../../fspd/v1/Tensor.js';
import type { Layout as _fspd_v1_Layout, Layout__Output as _fspd_v1_Layout__Output } from '../../fspd/v1/Layout.js';

/**
 * Two feature maps of one network whose FSP matrix is G = firstᵀ·second / (h·w), one C1×C2 matrix per
 * sample. Both maps have the same batch and layout; when their h×w differ, the larger is pooled
 * (see Pooling).
 */
export interface FeaturePair {
  /**
   * The first map, C1 channels: [B, H, W, C1] (NHWC) or [B, C1, H, W] (NCHW).
   */
  'first'?: (_fspd_v1_Tensor | null);
  /**
   * The second map, C2 channels, same batch and layout as first.
   */
  'second'?: (_fspd_v1_Tensor | null);
  /**
   * Layout of both maps.
   */
  'layout'?: (_fspd_v1_Layout);
}

/**
 * Two feature maps of one network whose FSP matrix is G = firstᵀ·second / (h·w), one C1×C2 matrix per
 * sample. Both maps have the same batch and layout; when their h×w differ, the larger is pooled
 * (see Pooling).
 */
export interface FeaturePair__Output {
  /**
   * The first map, C1 channels: [B, H, W, C1] (NHWC) or [B, C1, H, W] (NCHW).
   */
  'first': (_fspd_v1_Tensor__Output | null);
  /**
   * The second map, C2 channels, same batch and layout as first.
   */
  'second': (_fspd_v1_Tensor__Output | null);
  /**
   * Layout of both maps.
   */
  'layout': (_fspd_v1_Layout__Output);
}
