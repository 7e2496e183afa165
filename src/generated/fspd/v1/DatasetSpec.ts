// Original file: proto/fspd/v1/training_service.proto

import type { DatasetName as _fspd_v1_DatasetName, DatasetName__Output as _fspd_v1_DatasetName__Output } from '../../fspd/v1/DatasetName.js';
import type { Split as _fspd_v1_Split, Split__Output as _fspd_v1_Split__Output } from '../../fspd/v1/Split.js';

/**
 * A dataset on the server.
 */
export interface DatasetSpec {
  /**
   * Which dataset.
   */
  'name'?: (_fspd_v1_DatasetName);
  /**
   * CIFAR: directory of the binary files, relative to the server's data directory.
   */
  'path'?: (string);
  /**
   * Which split; unspecified = TRAIN for Run, TEST for Evaluate.
   */
  'split'?: (_fspd_v1_Split);
  /**
   * Use only n samples, evenly spaced over the dataset (sample k is ⌊k·size/n⌋, so a limit keeps every
   * class of the digit-ordered MNIST); 0 = all.
   */
  'limit'?: (number);
  /**
   * The paper's augmentation (CIFAR-10: pad 4, random crop, flip; MNIST: pad 2, random crop); unset = on
   * for Run in stage 2, off for Run in stage 1 (so the teacher-FSP cache hits from the second epoch on),
   * off for Evaluate.
   */
  'augment'?: (boolean);
  /**
   * CIFAR-100: the 20 coarse classes instead of the 100 fine ones.
   */
  'coarseLabels'?: (boolean);
  '_augment'?: "augment";
}

/**
 * A dataset on the server.
 */
export interface DatasetSpec__Output {
  /**
   * Which dataset.
   */
  'name': (_fspd_v1_DatasetName__Output);
  /**
   * CIFAR: directory of the binary files, relative to the server's data directory.
   */
  'path': (string);
  /**
   * Which split; unspecified = TRAIN for Run, TEST for Evaluate.
   */
  'split': (_fspd_v1_Split__Output);
  /**
   * Use only n samples, evenly spaced over the dataset (sample k is ⌊k·size/n⌋, so a limit keeps every
   * class of the digit-ordered MNIST); 0 = all.
   */
  'limit': (number);
  /**
   * The paper's augmentation (CIFAR-10: pad 4, random crop, flip; MNIST: pad 2, random crop); unset = on
   * for Run in stage 2, off for Run in stage 1 (so the teacher-FSP cache hits from the second epoch on),
   * off for Evaluate.
   */
  'augment'?: (boolean);
  /**
   * CIFAR-100: the 20 coarse classes instead of the 100 fine ones.
   */
  'coarseLabels': (boolean);
  '_augment'?: "augment";
}
