// A tiny labelled image set for training tests: SIDE×SIDE×1 images of CLASSES classes whose class shows in the
// image (class 0 bright at the top, 1 at the left, 2 at the bottom), plus a deterministic sine noise.
import { datasetFromArrays, type Dataset } from '../../src/data/index.js';

export const TOY_SIDE = 4;
export const TOY_CLASSES = 3;

export function toyImages(n: number, { name = 'toy', noise, phase = 0, flip }: { name?: string; noise: number; phase?: number; flip: boolean }): Dataset {
  const images = new Float32Array(n * TOY_SIDE * TOY_SIDE);
  const labels = Array.from({ length: n }, (_, k) => k % TOY_CLASSES);
  for (let k = 0; k < n; k++) {
    for (let y = 0; y < TOY_SIDE; y++)
      for (let x = 0; x < TOY_SIDE; x++) {
        const c = labels[k]!;
        const on = c === 0 ? y < 2 : c === 1 ? x < 2 : y >= 2;
        images[k * TOY_SIDE * TOY_SIDE + y * TOY_SIDE + x] = (on ? 1 : -1) + noise * Math.sin(17 * k + 3 * y + x + phase);
      }
  }
  return datasetFromArrays({ name, images, shape: [n, TOY_SIDE, TOY_SIDE, 1], labels, numClasses: TOY_CLASSES, augment: { pad: 1, flip } });
}
