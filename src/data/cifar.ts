// CIFAR-10 / CIFAR-100 from the official binary versions (cifar-10-binary.tar.gz, cifar-100-binary.tar.gz).
//   CIFAR-10:  data_batch_1..5.bin (train), test_batch.bin; records of <label byte><3072 pixel bytes>
//   CIFAR-100: train.bin, test.bin; records of <coarse label byte><fine label byte><3072 pixel bytes>
// Pixels are CHW planes (1024 R, 1024 G, 1024 B, rows top to bottom); they are stored here as HWC uint8.
// The directory may be the extracted one or its parent (cifar-10-batches-bin/, cifar-100-binary/ inside).
// Sample ids: cifar10:train:<i>, cifar10:test:<i>, cifar100:train:<i>, cifar100:test:<i>, in file order.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { AugmentConfig } from './augment.js';
import { ImageDataset, type Split } from './dataset.js';

// Per-channel mean and standard deviation of the training set on the [0, 1] scale (the values widely
// used for CIFAR; the std is over all pixels, not the mean of per-image stds).
export const CIFAR10_MEAN = [0.4914, 0.4822, 0.4465];
export const CIFAR10_STD = [0.247, 0.2435, 0.2616];
export const CIFAR100_MEAN = [0.5071, 0.4865, 0.4409];
export const CIFAR100_STD = [0.2673, 0.2564, 0.2762];

/** The paper's CIFAR-10 augmentation (its CIFAR-100 runs use none: pass augment: false there). */
export const CIFAR_AUGMENT: AugmentConfig = { pad: 4, flip: true };

const SIDE = 32;
const PIXELS = SIDE * SIDE * 3;

interface Format {
  dataset: 'cifar10' | 'cifar100';
  subdir: string;
  files: Record<Split, string[]>;
  /** Label bytes per record and each one's number of classes, in record order. */
  labels: { name: string; classes: number }[];
}

const CIFAR10: Format = {
  dataset: 'cifar10',
  subdir: 'cifar-10-batches-bin',
  files: { train: [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`), test: ['test_batch.bin'] },
  labels: [{ name: 'label', classes: 10 }],
};
const CIFAR100: Format = {
  dataset: 'cifar100',
  subdir: 'cifar-100-binary',
  files: { train: ['train.bin'], test: ['test.bin'] },
  labels: [
    { name: 'coarse label', classes: 20 },
    { name: 'fine label', classes: 100 },
  ],
};

export function loadCifar10(dir: string, split: Split): Promise<ImageDataset> {
  return load(CIFAR10, dir, split, 0, CIFAR10_MEAN, CIFAR10_STD);
}

/** Fine labels (100 classes) by default; `label: 'coarse'` gives the 20 superclasses. */
export function loadCifar100(dir: string, split: Split, { label = 'fine' }: { label?: 'fine' | 'coarse' } = {}): Promise<ImageDataset> {
  return load(CIFAR100, dir, split, label === 'fine' ? 1 : 0, CIFAR100_MEAN, CIFAR100_STD);
}

async function load(format: Format, dir: string, split: Split, labelByte: number, mean: number[], std: number[]): Promise<ImageDataset> {
  if (split !== 'train' && split !== 'test') throw new RangeError(`split: expected 'train' or 'test', got ${JSON.stringify(split)}`);
  const names = format.files[split];
  const root = await locate(dir, format, names);
  const record = format.labels.length + PIXELS;
  // Sizes first, so the whole split is allocated once and each file's buffer is dropped after decoding.
  const files = await Promise.all(
    names.map(async (name) => {
      const file = path.join(root, name);
      const { size } = await fs.stat(file).catch(() => {
        throw new Error(`${format.dataset} ${split}: missing file ${file} (expected ${names.join(', ')})`);
      });
      if (size === 0 || size % record !== 0) throw new Error(`${file}: size ${size} is not a positive multiple of the ${record}-byte ${format.dataset} record`);
      return { file, records: size / record };
    }),
  );
  const total = files.reduce((a, f) => a + f.records, 0);
  const pixels = new Uint8Array(total * PIXELS);
  const labels = new Uint8Array(total);
  let n = 0;
  for (const { file, records } of files) {
    const bytes = await fs.readFile(file);
    if (bytes.length !== records * record) throw new Error(`${file}: changed size while loading`);
    for (let r = 0; r < records; r++, n++) {
      const at = r * record;
      format.labels.forEach(({ name, classes }, k) => {
        const v = bytes[at + k]!;
        if (v >= classes) throw new Error(`${file}: record ${r} has ${name} ${v}, expected 0..${classes - 1}`);
      });
      labels[n] = bytes[at + labelByte]!;
      chwToHwc(bytes, at + format.labels.length, pixels, n * PIXELS);
    }
  }
  return new ImageDataset({
    name: `${format.dataset}:${split}`,
    pixels,
    labels,
    shape: [SIDE, SIDE, 3],
    numClasses: format.labels[labelByte]!.classes,
    normalization: { scale: 1 / 255, mean, std },
    defaultAugment: CIFAR_AUGMENT,
  });
}

/** `dir` itself when it holds the first file, else the archive's folder inside it. */
async function locate(dir: string, format: Format, names: string[]): Promise<string> {
  const exists = (p: string) => fs.access(p).then(() => true, () => false);
  if (!(await exists(path.join(dir, names[0]!))) && (await exists(path.join(dir, format.subdir, names[0]!)))) return path.join(dir, format.subdir);
  return dir;
}

function chwToHwc(src: Uint8Array, from: number, dst: Uint8Array, to: number): void {
  const plane = SIDE * SIDE;
  for (let p = 0; p < plane; p++) {
    dst[to + 3 * p] = src[from + p]!;
    dst[to + 3 * p + 1] = src[from + plane + p]!;
    dst[to + 3 * p + 2] = src[from + 2 * plane + p]!;
  }
}
