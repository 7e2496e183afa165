// Original file: proto/fspd/v1/model_service.proto

import type { Long } from '@grpc/proto-loader';

/**
 * A CIFAR ResNet (He et al. 2016) as the paper uses: depth 6n+2, a 3×3 conv stem, three sections of n
 * residual modules with 16w, 32w, 64w channels, MSRA init, batch norm. Taps: the stem's output and each
 * section's output; pairs: each section's input and output.
 */
export interface ResNetSpec {
  /**
   * 6n+2 with n >= 1: 8, 14, 20, 26, 32, 44, 56, 110, … (at most 1202).
   */
  'depth'?: (number);
  /**
   * Channel multiplier w (the paper's "×4 width" is 4); 0 = 1.
   */
  'widthMultiplier'?: (number);
  /**
   * Number of classes of the logits; 0 = 10.
   */
  'numClasses'?: (number);
  /**
   * Input [height, width, channels]; empty = [32, 32, 3].
   */
  'inputShape'?: (number | string | Long)[];
  /**
   * Seed of the initial weights: the same seed gives the same weights. Unset = random.
   */
  'seed'?: (number);
  '_seed'?: "seed";
}

/**
 * A CIFAR ResNet (He et al. 2016) as the paper uses: depth 6n+2, a 3×3 conv stem, three sections of n
 * residual modules with 16w, 32w, 64w channels, MSRA init, batch norm. Taps: the stem's output and each
 * section's output; pairs: each section's input and output.
 */
export interface ResNetSpec__Output {
  /**
   * 6n+2 with n >= 1: 8, 14, 20, 26, 32, 44, 56, 110, … (at most 1202).
   */
  'depth': (number);
  /**
   * Channel multiplier w (the paper's "×4 width" is 4); 0 = 1.
   */
  'widthMultiplier': (number);
  /**
   * Number of classes of the logits; 0 = 10.
   */
  'numClasses': (number);
  /**
   * Input [height, width, channels]; empty = [32, 32, 3].
   */
  'inputShape': (number)[];
  /**
   * Seed of the initial weights: the same seed gives the same weights. Unset = random.
   */
  'seed'?: (number);
  '_seed'?: "seed";
}
