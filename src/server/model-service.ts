// ModelService: the model registry over gRPC. CreateModel builds a CIFAR ResNet, UploadModel receives a
// tfjs LayersModel as a header (model.json, taps, size) and weight chunks, ExportModel streams a model
// back in the same format (so it can be uploaded again), DeleteModel frees its tensors.
import * as grpc from '@grpc/grpc-js';
import type * as tf from '@tensorflow/tfjs';
import type { Logger } from 'pino';
import type { CreateModelRequest__Output } from '../generated/fspd/v1/CreateModelRequest.js';
import type { Model } from '../generated/fspd/v1/Model.js';
import type { ModelServiceHandlers } from '../generated/fspd/v1/ModelService.js';
import type { ResNetSpec__Output } from '../generated/fspd/v1/ResNetSpec.js';
import type { UploadModelRequest__Output } from '../generated/fspd/v1/UploadModelRequest.js';
import type { ModelBytes, TapPair } from '../models/index.js';
import type { Admission } from './admission.js';
import { checkModelSize } from './limits.js';
import type { Reservation } from './memory-budget.js';
import { ID_PATTERN, resnetParameterCount, type ModelEntry, type ModelRegistry, type ResNetRecord } from './registry.js';
import { checkCall, clientStream, messages, send, serverStream, timestamp, unary } from './rpc.js';
import { invalid, list, quote } from './status.js';

export const MODEL_SERVICE = 'fspd.v1.ModelService';

const MAX_DEPTH = 1202;
const DEFAULT_CHUNK = 1024 * 1024;

export function modelServiceHandlers(registry: ModelRegistry, admission: Admission, maxMessageSize: number, log: Logger): ModelServiceHandlers {
  return {
    CreateModel: unary(log, async (request: CreateModelRequest__Output) => {
      const id = checkId(request.modelId, 'model_id');
      if (request.architecture !== 'resnet' || !request.resnet) throw invalid('architecture: missing; set resnet');
      const record = resnetRecord(request.resnet);
      checkModelSize(admission.limits, 4 * resnetParameterCount(record), 'resnet');
      const entry = await registry.create(id, record);
      return { model: modelMessage(entry) };
    }),

    UploadModel: clientStream(log, async (call) => ({ model: modelMessage(await upload(call, registry, admission)) })),

    GetModel: unary(log, async (request) => ({ model: modelMessage(registry.get(request.modelId)) })),

    ListModels: unary(log, async () => ({ models: registry.list().map(modelMessage) })),

    DeleteModel: unary(log, async (request) => {
      await registry.delete(request.modelId);
      return {};
    }),

    ExportModel: serverStream(log, async (request, call) => {
      const entry = registry.get(request.modelId);
      const chunk = request.chunkSize === 0 ? DEFAULT_CHUNK : request.chunkSize;
      // Room for the message framing within the limit the client most likely shares with the server.
      if (chunk > maxMessageSize - 1024) throw invalid(`chunk_size: ${chunk} bytes does not fit the message limit of ${maxMessageSize} bytes`);
      const { modelJson, weights } = registry.snapshot(entry);
      const header = { modelId: entry.id, modelJson: JSON.stringify(modelJson), taps: entry.tapped.taps, pairs: entry.tapped.pairs.map(tapPair), weightsSize: weights.byteLength };
      await send(call, { header });
      for (let offset = 0; offset < weights.byteLength; offset += chunk) {
        checkCall(call);
        await send(call, { weightsChunk: Buffer.from(weights.buffer, weights.byteOffset + offset, Math.min(chunk, weights.byteLength - offset)) });
      }
    }),
  };
}

/** The memory an upload holds: its received bytes, and room for the model's tensors (the registry takes that over). */
interface UploadReservations {
  buffer?: Reservation;
  tensors?: Reservation;
}

/**
 * UploadModel: the header reserves the weights twice (the bytes received, then the model's tensors) before
 * any chunk is taken; the registry keeps the tensors' share for the model's life, and whatever the upload
 * still holds is given back however it ends (error, cancellation, a client that goes away).
 */
async function upload(call: grpc.ServerReadableStream<UploadModelRequest__Output, unknown>, registry: ModelRegistry, admission: Admission): Promise<ModelEntry> {
  const held: UploadReservations = {};
  try {
    const { id, bytes, taps } = await receiveUpload(call, admission, held);
    const tensors = held.tensors;
    delete held.tensors; // the registry takes it over, and releases it if loading fails
    return await registry.upload(id, bytes, taps, tensors);
  } finally {
    held.buffer?.release();
    held.tensors?.release();
  }
}

/** Reads the stream: the header first, then exactly header.weights_size bytes of weights. */
async function receiveUpload(
  call: grpc.ServerReadableStream<UploadModelRequest__Output, unknown>,
  admission: Admission,
  held: UploadReservations,
): Promise<{ id: string; bytes: ModelBytes; taps: { taps?: string[]; pairs?: TapPair[] } }> {
  let header: UploadModelRequest__Output['header'] | undefined;
  let weights: Uint8Array | undefined;
  let received = 0;
  let index = 0;
  for await (const message of messages(call)) {
    if (index === 0) {
      if (message.part !== 'header' || !message.header) throw invalid('header: the first message of an UploadModel stream must be the header');
      header = message.header;
      checkId(header.modelId, 'header.model_id');
      const size = header.weightsSize;
      if (!Number.isSafeInteger(size) || size < 0) throw invalid(`header.weights_size: expected a byte count, got ${size}`);
      // Before receiving the weights: refuse what cannot fit.
      checkModelSize(admission.limits, size, 'header.weights_size');
      held.buffer = admission.memory.reserve(size, 'the uploaded model (its weights, received)');
      held.tensors = admission.memory.reserve(size, 'the uploaded model (its weights, loaded)', 'tensors');
      weights = new Uint8Array(size);
    } else {
      if (message.part !== 'weightsChunk' || !message.weightsChunk) throw invalid(`weights_chunk: message ${index} of the stream is not a weights chunk (only the first message is a header)`);
      const chunk = message.weightsChunk;
      if (received + chunk.byteLength > weights!.byteLength) {
        throw invalid(`weights_chunk: the chunks pass header.weights_size (${weights!.byteLength} bytes) at message ${index}`);
      }
      weights!.set(chunk, received);
      received += chunk.byteLength;
    }
    index++;
  }
  checkCall(call);
  if (!header) throw invalid('header: missing; the stream was empty');
  if (received !== weights!.byteLength) throw invalid(`weights_chunk: received ${received} bytes of weights, header.weights_size says ${weights!.byteLength}`);
  let modelJson: tf.io.ModelJSON;
  try {
    modelJson = JSON.parse(header.modelJson) as tf.io.ModelJSON;
  } catch (err) {
    throw invalid(`header.model_json: not valid JSON (${(err as Error).message})`);
  }
  if (typeof modelJson !== 'object' || modelJson === null || !modelJson.modelTopology) throw invalid('header.model_json: not a tfjs layers model.json (no modelTopology)');
  const taps: { taps?: string[]; pairs?: TapPair[] } = {};
  if (header.taps.length > 0) {
    if (header.pairs.length === 0) throw invalid('header.pairs: required when header.taps is set');
    taps.taps = header.taps;
    taps.pairs = header.pairs.map((p) => [p.first, p.second]);
  } else if (header.pairs.length > 0) {
    throw invalid('header.pairs: set together with header.taps (pairs index into taps)');
  }
  return { id: header.modelId, bytes: { modelJson, weights: weights! }, taps };
}

function checkId(id: string, field: string): string {
  if (id !== '' && !ID_PATTERN.test(id)) throw invalid(`${field}: ${quote(id)} is not an id ([a-z0-9][a-z0-9._-]*, at most 63 characters)`);
  return id;
}

/** ResNetSpec with defaults filled in; INVALID_ARGUMENT naming `resnet.<field>`. */
export function resnetRecord(spec: ResNetSpec__Output): ResNetRecord {
  const { depth } = spec;
  if (depth < 8 || depth > MAX_DEPTH || (depth - 2) % 6 !== 0) {
    throw invalid(`resnet.depth: expected 6n+2 between 8 and ${MAX_DEPTH} (8, 14, 20, 26, 32, 44, 56, 110, …), got ${depth}`);
  }
  const widthMultiplier = spec.widthMultiplier === 0 ? 1 : spec.widthMultiplier;
  if (widthMultiplier > 64) throw invalid(`resnet.width_multiplier: expected 1..64, got ${widthMultiplier}`);
  const numClasses = spec.numClasses === 0 ? 10 : spec.numClasses;
  if (numClasses > 100_000) throw invalid(`resnet.num_classes: expected 1..100000, got ${numClasses}`);
  let inputShape: [number, number, number] = [32, 32, 3];
  if (spec.inputShape.length > 0) {
    if (spec.inputShape.length !== 3) throw invalid(`resnet.input_shape: expected [height, width, channels], got ${list(spec.inputShape)}`);
    spec.inputShape.forEach((d, i) => {
      if (!Number.isSafeInteger(d) || d < 1 || d > 65536) throw invalid(`resnet.input_shape[${i}]: expected 1..65536, got ${d}`);
    });
    // Three sections, two of them halving h and w (stride 2, 'same' padding): any size >= 1 works.
    inputShape = spec.inputShape as [number, number, number];
  }
  return { depth, widthMultiplier, numClasses, inputShape, ...(spec.seed === undefined ? {} : { seed: spec.seed }) };
}

const tapPair = ([first, second]: TapPair) => ({ first, second });

export function modelMessage(entry: ModelEntry): Model {
  const outputs = entry.tapped.model.outputs;
  return {
    modelId: entry.id,
    name: entry.tapped.model.name.replace(/_tapped$/, ''),
    origin: entry.origin === 'built-in' ? 'MODEL_ORIGIN_BUILT_IN' : 'MODEL_ORIGIN_UPLOADED',
    resnet: entry.resnet ? { ...entry.resnet, inputShape: [...entry.resnet.inputShape] } : null,
    inputShape: [...entry.inputShape],
    numClasses: entry.numClasses,
    taps: entry.tapped.taps.map((layer, i) => ({ layer, shape: outputs[i + 1]!.shape.slice(1) as number[] })),
    pairs: entry.tapped.pairs.map(tapPair),
    parameterCount: entry.parameterCount,
    weightsSize: entry.weightsSize,
    createTime: timestamp(entry.createTime),
    sessionIds: [...entry.sessions],
  };
}
