// Datasets: CIFAR binary files, the embedded MNIST digits, arrays from requests; batching with the paper's augmentation.
export { NO_AUG, type AugmentConfig, type AugParams, type Normalization } from './augment.js';
export { ImageDataset, type Batch, type BatchOptions, type Dataset, type EpochBatch, type ImageSource, type Split } from './dataset.js';
export { CIFAR10_MEAN, CIFAR10_STD, CIFAR100_MEAN, CIFAR100_STD, CIFAR_AUGMENT, loadCifar10, loadCifar100 } from './cifar.js';
export { loadMnist, MNIST_AUGMENT, MNIST_MEAN, MNIST_STD } from './mnist.js';
export { datasetFromArrays, type ArrayDatasetOptions } from './memory.js';
export { IndexedSubset, StridedSubset } from './subset.js';
