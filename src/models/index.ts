// tfjs models for FSP: built-in CIFAR ResNets, any uploaded LayersModel, feature taps, save/load.
export { buildResNet, type ResNetOptions } from './resnet.js';
export { forwardWithTaps, logitsModel, tapModel, type TapOutputs, type TapPair, type TappedModel } from './taps.js';
export {
  loadModelFromBytes,
  loadModelFromDir,
  MODEL_JSON,
  saveModelToBytes,
  saveModelToDir,
  WEIGHTS_BIN,
  type ModelBytes,
  type TapOptions,
} from './layers-model.js';
