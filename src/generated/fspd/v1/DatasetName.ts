// Original file: proto/fspd/v1/training_service.proto

/**
 * Datasets the server can read itself.
 */
export const DatasetName = {
  /**
   * Not set; rejected.
   */
  DATASET_NAME_UNSPECIFIED: 'DATASET_NAME_UNSPECIFIED',
  /**
   * The MNIST digits embedded in the server (28×28×1, 10 classes).
   */
  DATASET_NAME_MNIST: 'DATASET_NAME_MNIST',
  /**
   * CIFAR-10 binary files (32×32×3, 10 classes) under DatasetSpec.path.
   */
  DATASET_NAME_CIFAR10: 'DATASET_NAME_CIFAR10',
  /**
   * CIFAR-100 binary files (32×32×3, 100 fine or 20 coarse classes) under DatasetSpec.path.
   */
  DATASET_NAME_CIFAR100: 'DATASET_NAME_CIFAR100',
} as const;

/**
 * Datasets the server can read itself.
 */
export type DatasetName =
  /**
   * Not set; rejected.
   */
  | 'DATASET_NAME_UNSPECIFIED'
  | 0
  /**
   * The MNIST digits embedded in the server (28×28×1, 10 classes).
   */
  | 'DATASET_NAME_MNIST'
  | 1
  /**
   * CIFAR-10 binary files (32×32×3, 10 classes) under DatasetSpec.path.
   */
  | 'DATASET_NAME_CIFAR10'
  | 2
  /**
   * CIFAR-100 binary files (32×32×3, 100 fine or 20 coarse classes) under DatasetSpec.path.
   */
  | 'DATASET_NAME_CIFAR100'
  | 3

/**
 * Datasets the server can read itself.
 */
export type DatasetName__Output = typeof DatasetName[keyof typeof DatasetName]
