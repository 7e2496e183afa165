// Original file: proto/fspd/v1/types.proto

/**
 * Memory order of a 4-D feature map.
 */
export const Layout = {
  /**
   * Means NHWC.
   */
  LAYOUT_UNSPECIFIED: 'LAYOUT_UNSPECIFIED',
  /**
   * [batch, height, width, channels], as tfjs and TensorFlow hold maps.
   */
  LAYOUT_NHWC: 'LAYOUT_NHWC',
  /**
   * [batch, channels, height, width], as PyTorch holds maps; computed natively, without a transpose copy.
   */
  LAYOUT_NCHW: 'LAYOUT_NCHW',
} as const;

/**
 * Memory order of a 4-D feature map.
 */
export type Layout =
  /**
   * Means NHWC.
   */
  | 'LAYOUT_UNSPECIFIED'
  | 0
  /**
   * [batch, height, width, channels], as tfjs and TensorFlow hold maps.
   */
  | 'LAYOUT_NHWC'
  | 1
  /**
   * [batch, channels, height, width], as PyTorch holds maps; computed natively, without a transpose copy.
   */
  | 'LAYOUT_NCHW'
  | 2

/**
 * Memory order of a 4-D feature map.
 */
export type Layout__Output = typeof Layout[keyof typeof Layout]
