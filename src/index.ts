// fspd's public library surface.
export * from './fsp/index.js';
export { getKernels, nativeInfo, type NativeInfo } from './native/index.js';
export type { KernelBackend, MapDims } from './native/types.js';
export { initBackend, backendInfo, type BackendInfo } from './models/backend.js';
export * from './client/index.js';
export * as models from './models/index.js';
export * as data from './data/index.js';
export * as training from './training/index.js';
