// The paper's CIFAR augmentation: pad 4 px with zeros, take a random crop of the original size, mirror
// left-right with probability ½. Crop, flip and normalisation happen in one pass per sample, straight
// from the stored raw pixels into the batch's float32 buffer.
import { randomInt } from './rng.js';

/** How one sample was augmented; recorded per sample so a cache of teacher outputs can key on it. */
export interface AugParams {
  /** Crop shift in pixels, each in [-pad, pad]; output pixel (x, y) reads stored pixel (x + dx, y + dy), before the flip. */
  dx: number;
  dy: number;
  /** Mirrored left-right after the crop. */
  flip: boolean;
}

/** Identity: no shift, no mirror. Samples from un-augmented batches carry this. */
export const NO_AUG: Readonly<AugParams> = Object.freeze({ dx: 0, dy: 0, flip: false });

export interface AugmentConfig {
  /** Zero padding on each side, i.e. the largest crop shift. 0 disables cropping. */
  pad: number;
  /** Random left-right mirroring (off for digits). */
  flip: boolean;
}

/**
 * Pixel scaling: stored value v (0..255 for uint8 data, as given for float data) becomes
 * (v·scale − mean[c]) / std[c]. Padding is a stored 0 (black for uint8 images, as torchvision pads
 * before normalising).
 */
export interface Normalization {
  scale: number;
  mean: readonly number[];
  std: readonly number[];
}

export function drawAug(rng: () => number, config: AugmentConfig): AugParams {
  return { dx: randomInt(rng, -config.pad, config.pad), dy: randomInt(rng, -config.pad, config.pad), flip: config.flip && rng() < 0.5 };
}

export function checkAugmentConfig(config: AugmentConfig, height: number, width: number): AugmentConfig {
  if (!Number.isInteger(config.pad) || config.pad < 0 || config.pad >= Math.min(height, width)) {
    throw new RangeError(`augment.pad: expected an integer in [0, ${Math.min(height, width) - 1}], got ${config.pad}`);
  }
  return { pad: config.pad, flip: !!config.flip };
}

/** Per-channel multiplier and offset so that a stored value v maps to v·mul[c] + add[c]. */
export function affine(norm: Normalization): { mul: Float32Array; add: Float32Array } {
  const mul = Float32Array.from(norm.std, (s) => norm.scale / s);
  const add = Float32Array.from(norm.std, (s, c) => (0 - norm.mean[c]!) / s); // 0 − m: no −0 for m = 0
  return { mul, add };
}

/** Writes one augmented, normalised HWC sample at out[outOffset…] from src[srcOffset…] (stored HWC). */
export function writeSample(
  out: Float32Array,
  outOffset: number,
  src: Uint8Array | Float32Array,
  srcOffset: number,
  height: number,
  width: number,
  channels: number,
  aug: AugParams,
  { mul, add }: { mul: Float32Array; add: Float32Array },
): void {
  let o = outOffset;
  for (let y = 0; y < height; y++) {
    const sy = y + aug.dy;
    const rowInside = sy >= 0 && sy < height;
    for (let x = 0; x < width; x++) {
      const sx = (aug.flip ? width - 1 - x : x) + aug.dx;
      if (rowInside && sx >= 0 && sx < width) {
        const s = srcOffset + (sy * width + sx) * channels;
        for (let c = 0; c < channels; c++) out[o++] = src[s + c]! * mul[c]! + add[c]!;
      } else {
        for (let c = 0; c < channels; c++) out[o++] = add[c]!;
      }
    }
  }
}
