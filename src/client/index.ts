// The TypeScript client of fspd: a promise API over the generated message types, and tensor helpers.
export { FspdClient, status, type CallOptions, type ClientOptions, type ModelArtifacts, type Pem, type TlsOptions, type TrainStream } from './client.js';
export { FspdError, type FieldViolation } from './errors.js';
export { SharedMemoryFile } from './shared-memory.js';
export { fromFloatTensor, fromTensor, toBatch, toTensor, type ShapedArray, type TensorData } from './tensors.js';
export type { Batch } from '../generated/fspd/v1/Batch.js';
export type { Evaluation__Output as Evaluation } from '../generated/fspd/v1/Evaluation.js';
export type { Model__Output as Model } from '../generated/fspd/v1/Model.js';
export type { RunResponse__Output as RunResponse } from '../generated/fspd/v1/RunResponse.js';
export type { Session__Output as Session } from '../generated/fspd/v1/Session.js';
export type { SessionSpec } from '../generated/fspd/v1/SessionSpec.js';
export type { StepResult__Output as StepResult } from '../generated/fspd/v1/StepResult.js';
