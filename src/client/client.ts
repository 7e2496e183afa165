// A typed promise client for fspd: one object for FspService, ModelService, TrainingService and
// SharedMemoryService, with deadlines, a bearer token, TLS/mTLS, cancellation by AbortSignal, and the
// streams as promises (UploadModel, ExportModel), async iterables (Run) and a step-per-batch object (Train).
//
// Calls reject with FspdError (errors.ts): a grpc-js ServiceError (code, details, metadata) with the
// server's details decoded: reason, field violations, retry delay. `status` re-exports the codes.
import fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import type { Batch } from '../generated/fspd/v1/Batch.js';
import type { ComputeFspRequest } from '../generated/fspd/v1/ComputeFspRequest.js';
import type { ComputeFspResponse__Output } from '../generated/fspd/v1/ComputeFspResponse.js';
import type { CreateModelRequest } from '../generated/fspd/v1/CreateModelRequest.js';
import type { CreateSessionRequest } from '../generated/fspd/v1/CreateSessionRequest.js';
import type { Checkpoint__Output } from '../generated/fspd/v1/Checkpoint.js';
import type { EvaluateRequest } from '../generated/fspd/v1/EvaluateRequest.js';
import type { Evaluation__Output } from '../generated/fspd/v1/Evaluation.js';
import type { FspLossRequest } from '../generated/fspd/v1/FspLossRequest.js';
import type { FspLossResponse__Output } from '../generated/fspd/v1/FspLossResponse.js';
import type { FspServiceClient } from '../generated/fspd/v1/FspService.js';
import type { Model__Output } from '../generated/fspd/v1/Model.js';
import type { ModelServiceClient } from '../generated/fspd/v1/ModelService.js';
import type { ResNetSpec } from '../generated/fspd/v1/ResNetSpec.js';
import type { RunRequest } from '../generated/fspd/v1/RunRequest.js';
import type { RunResponse__Output } from '../generated/fspd/v1/RunResponse.js';
import type { Session__Output } from '../generated/fspd/v1/Session.js';
import type { Stage } from '../generated/fspd/v1/Stage.js';
import type { StepResult__Output } from '../generated/fspd/v1/StepResult.js';
import type { TapPair } from '../generated/fspd/v1/TapPair.js';
import type { TeacherFspRequest } from '../generated/fspd/v1/TeacherFspRequest.js';
import type { TeacherFspResponse__Output } from '../generated/fspd/v1/TeacherFspResponse.js';
import type { SharedMemoryRegion__Output } from '../generated/fspd/v1/SharedMemoryRegion.js';
import type { SharedMemoryServiceClient } from '../generated/fspd/v1/SharedMemoryService.js';
import type { TrainingServiceClient } from '../generated/fspd/v1/TrainingService.js';
import type { TrainRequest } from '../generated/fspd/v1/TrainRequest.js';
import type { TrainResponse__Output } from '../generated/fspd/v1/TrainResponse.js';
import type { UploadModelHeader__Output } from '../generated/fspd/v1/UploadModelHeader.js';
import { fspdGrpcObject } from '../proto/index.js';
import { fspdError } from './errors.js';

export { status } from '@grpc/grpc-js';

/** PEM text, or the path of a PEM file. */
export type Pem = string | Buffer;

export interface TlsOptions {
  /** CA bundle to verify the server with; default the system roots. */
  ca?: Pem;
  /** Client certificate chain and key, for mTLS. */
  cert?: Pem;
  key?: Pem;
  /** The name to verify in the server certificate, when it differs from the address's host. */
  serverName?: string;
}

export interface ClientOptions {
  /** `HOST:PORT` or `unix:/path`. */
  address: string;
  /** Sent as `authorization: Bearer <token>`. */
  token?: string;
  /** TLS (true: system roots, no client certificate); default plaintext. */
  tls?: TlsOptions | true;
  /** Default deadline of unary calls and of the streams that transfer models; none when unset. */
  deadlineMs?: number;
  /** Largest message received and sent; default 64 MiB (the server's default limit). */
  maxMessageSize?: number;
  /** Extra grpc-js channel options (over fspd's: e.g. `grpc-node.flow_control_window`, 1 MiB here). */
  channelOptions?: grpc.ChannelOptions;
}

export interface CallOptions {
  /** This call's deadline in ms from now (overrides the client default; 0 = none). */
  deadlineMs?: number;
  /** Aborting cancels the call: it rejects with CANCELLED and the server stops its work. */
  signal?: AbortSignal;
}

/** A model as tfjs artifacts: model.json (parsed) and its weights, as UploadModel takes and ExportModel gives. */
export interface ModelArtifacts {
  modelJson: object;
  weights: Uint8Array;
  /** Layer names to tap; default: those saved in model.json (userDefinedMetadata.fspd). */
  taps?: string[];
  /** FSP pairs as indices into taps (with taps). */
  pairs?: TapPair[];
}

/** A Train stream: one step per batch, results in order. */
export interface TrainStream {
  /** Sends a batch; resolves with its step's result. */
  step(batch: Batch): Promise<StepResult__Output>;
  /** Half-closes the stream and waits for the server to end it. */
  end(): Promise<void>;
  /** Cancels the stream (pending steps reject with CANCELLED). */
  cancel(): void;
}

const DEFAULT_MAX_MESSAGE = 64 * 1024 ** 2;
/**
 * The HTTP/2 flow-control window the client grants the server for responses, per stream and connection,
 * as the server's --http2-window default: with HTTP/2's 64 KiB a 16 MiB FspLoss's 8 MiB of gradients wait
 * for 128 WINDOW_UPDATEs (docs/BENCHMARKS.md, bench:rpc). `channelOptions` may set another.
 */
const DEFAULT_FLOW_CONTROL_WINDOW = 1024 ** 2;
const UPLOAD_CHUNK = 1024 * 1024;

type Callback<T> = (err: grpc.ServiceError | null, value?: T) => void;

export class FspdClient {
  readonly address: string;
  private readonly fsp: FspServiceClient;
  private readonly models: ModelServiceClient;
  private readonly training: TrainingServiceClient;
  private readonly sharedMemory: SharedMemoryServiceClient;
  private readonly token: string | undefined;
  private readonly deadlineMs: number | undefined;

  constructor(options: ClientOptions) {
    this.address = options.address;
    this.token = options.token;
    this.deadlineMs = options.deadlineMs;
    const credentials = channelCredentials(options.tls);
    const max = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE;
    const channelOptions: grpc.ChannelOptions = {
      'grpc.max_receive_message_length': max,
      'grpc.max_send_message_length': max,
      'grpc-node.flow_control_window': DEFAULT_FLOW_CONTROL_WINDOW,
      ...(options.tls && options.tls !== true && options.tls.serverName ? { 'grpc.ssl_target_name_override': options.tls.serverName } : {}),
      ...options.channelOptions,
    };
    const v1 = fspdGrpcObject().fspd.v1;
    // One channel for the three services.
    this.fsp = new v1.FspService(options.address, credentials, channelOptions);
    const channelOverride = this.fsp.getChannel();
    this.models = new v1.ModelService(options.address, credentials, { ...channelOptions, channelOverride });
    this.training = new v1.TrainingService(options.address, credentials, { ...channelOptions, channelOverride });
    this.sharedMemory = new v1.SharedMemoryService(options.address, credentials, { ...channelOptions, channelOverride });
  }

  /** Resolves when the channel is connected (or rejects after `timeoutMs`). */
  waitForReady(timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => this.fsp.waitForReady(Date.now() + timeoutMs, (err) => (err ? reject(err) : resolve())));
  }

  close(): void {
    this.fsp.close();
  }

  // ---- FspService ----

  computeFsp(request: ComputeFspRequest, options?: CallOptions): Promise<ComputeFspResponse__Output> {
    return this.unary((md, o, cb) => this.fsp.ComputeFsp(request, md, o, cb), options);
  }

  fspLoss(request: FspLossRequest, options?: CallOptions): Promise<FspLossResponse__Output> {
    return this.unary((md, o, cb) => this.fsp.FspLoss(request, md, o, cb), options);
  }

  teacherFsp(request: TeacherFspRequest, options?: CallOptions): Promise<TeacherFspResponse__Output> {
    return this.unary((md, o, cb) => this.fsp.TeacherFsp(request, md, o, cb), options);
  }

  // ---- SharedMemoryService ----

  /** Registers `path` (relative to the server's --shared-memory-dir) as region `name` of `byteSize` bytes. */
  async registerSharedMemory(name: string, path: string, byteSize: number, options?: CallOptions): Promise<SharedMemoryRegion__Output> {
    const response = await this.unary<{ region: SharedMemoryRegion__Output | null }>((md, o, cb) => this.sharedMemory.RegisterSharedMemory({ name, path, byteSize }, md, o, cb), options);
    return response.region!;
  }

  async unregisterSharedMemory(name: string, options?: CallOptions): Promise<void> {
    await this.unary((md, o, cb) => this.sharedMemory.UnregisterSharedMemory({ name }, md, o, cb), options);
  }

  async listSharedMemory(options?: CallOptions): Promise<SharedMemoryRegion__Output[]> {
    return (await this.unary<{ regions: SharedMemoryRegion__Output[] }>((md, o, cb) => this.sharedMemory.ListSharedMemory({}, md, o, cb), options)).regions;
  }

  // ---- ModelService ----

  async createModel(request: CreateModelRequest, options?: CallOptions): Promise<Model__Output> {
    return (await this.unary<{ model: Model__Output | null }>((md, o, cb) => this.models.CreateModel(request, md, o, cb), options)).model!;
  }

  /** CreateModel of a CIFAR ResNet. */
  createResNet(resnet: ResNetSpec, modelId = '', options?: CallOptions): Promise<Model__Output> {
    return this.createModel({ modelId, resnet }, options);
  }

  async getModel(modelId: string, options?: CallOptions): Promise<Model__Output> {
    return (await this.unary<{ model: Model__Output | null }>((md, o, cb) => this.models.GetModel({ modelId }, md, o, cb), options)).model!;
  }

  async listModels(options?: CallOptions): Promise<Model__Output[]> {
    return (await this.unary<{ models: Model__Output[] }>((md, o, cb) => this.models.ListModels({}, md, o, cb), options)).models;
  }

  async deleteModel(modelId: string, options?: CallOptions): Promise<void> {
    await this.unary((md, o, cb) => this.models.DeleteModel({ modelId }, md, o, cb), options);
  }

  /** UploadModel: the header, then the weights in chunks (`chunkSize` bytes; 0 or unset: 1 MiB, as ExportModel). */
  async uploadModel(artifacts: ModelArtifacts, modelId = '', options: CallOptions & { chunkSize?: number } = {}): Promise<Model__Output> {
    const chunk = options.chunkSize === undefined || options.chunkSize === 0 ? UPLOAD_CHUNK : options.chunkSize;
    // Anything else but a positive integer would never get through the weights (offset += 0, NaN, ...).
    if (!Number.isSafeInteger(chunk) || chunk < 1) throw new RangeError(`chunkSize: expected a positive integer (0 or unset: 1 MiB), got ${options.chunkSize}`);
    const response = await new Promise<{ model: Model__Output | null }>((resolve, reject) => {
      let detach = () => undefined as void;
      const call = this.models.UploadModel(this.metadata(), this.callOptions(options), (err, res) => {
        detach();
        if (err) reject(fspdError(err));
        else resolve(res!);
      });
      detach = this.cancelOnAbort(call, options.signal);
      const { weights } = artifacts;
      call.write({
        header: {
          modelId,
          modelJson: JSON.stringify(artifacts.modelJson),
          taps: artifacts.taps ?? [],
          pairs: artifacts.pairs ?? [],
          weightsSize: weights.byteLength,
        },
      });
      for (let offset = 0; offset < weights.byteLength; offset += chunk) {
        call.write({ weightsChunk: Buffer.from(weights.buffer, weights.byteOffset + offset, Math.min(chunk, weights.byteLength - offset)) });
      }
      call.end();
    });
    return response.model!;
  }

  /** ExportModel, gathered: the header's model.json (parsed), taps, pairs and the weights. */
  async exportModel(modelId: string, options: CallOptions & { chunkSize?: number } = {}): Promise<ModelArtifacts & { header: UploadModelHeader__Output }> {
    const call = this.models.ExportModel({ modelId, chunkSize: options.chunkSize ?? 0 }, this.metadata(), this.callOptions(options));
    const detach = this.cancelOnAbort(call, options.signal);
    let header: UploadModelHeader__Output | undefined;
    const chunks: Buffer[] = [];
    try {
      for await (const message of call as AsyncIterable<{ header?: UploadModelHeader__Output | null; weightsChunk?: Buffer }>) {
        if (message.header) header = message.header;
        else if (message.weightsChunk) chunks.push(message.weightsChunk);
      }
    } catch (err) {
      throw fspdError(err);
    } finally {
      detach(); // a signal reused across calls keeps no listener per call
    }
    if (!header) throw new Error(`ExportModel '${modelId}': the stream had no header`);
    const weights = new Uint8Array(Buffer.concat(chunks));
    if (weights.byteLength !== header.weightsSize) throw new Error(`ExportModel '${modelId}': ${weights.byteLength} bytes of weights, the header says ${header.weightsSize}`);
    return { header, modelJson: JSON.parse(header.modelJson) as object, weights, taps: header.taps, pairs: header.pairs };
  }

  // ---- TrainingService ----

  async createSession(request: CreateSessionRequest, options?: CallOptions): Promise<Session__Output> {
    return (await this.unary<{ session: Session__Output | null }>((md, o, cb) => this.training.CreateSession(request, md, o, cb), options)).session!;
  }

  async getSession(sessionId: string, options?: CallOptions): Promise<Session__Output> {
    return (await this.unary<{ session: Session__Output | null }>((md, o, cb) => this.training.GetSession({ sessionId }, md, o, cb), options)).session!;
  }

  async listSessions(options?: CallOptions): Promise<Session__Output[]> {
    return (await this.unary<{ sessions: Session__Output[] }>((md, o, cb) => this.training.ListSessions({}, md, o, cb), options)).sessions;
  }

  async deleteSession(sessionId: string, options?: CallOptions): Promise<void> {
    await this.unary((md, o, cb) => this.training.DeleteSession({ sessionId }, md, o, cb), options);
  }

  async trainStep(sessionId: string, batch: Batch, options?: CallOptions): Promise<StepResult__Output> {
    return (await this.unary<{ result: StepResult__Output | null }>((md, o, cb) => this.training.TrainStep({ sessionId, batch }, md, o, cb), options)).result!;
  }

  /** Opens a Train stream on a session (no deadline unless given). */
  train(sessionId: string, options: CallOptions = {}): TrainStream {
    const call = this.training.Train(this.metadata(), this.callOptions(options, false));
    const detach = this.cancelOnAbort(call, options.signal);
    const pending: Array<{ resolve: (r: StepResult__Output) => void; reject: (e: Error) => void }> = [];
    let failure: Error | undefined;
    let closed: 'end() was called' | 'the server ended it' | undefined; // a write now would never be answered
    let first = true;
    const ended = new Promise<void>((resolve, reject) => {
      call.on('data', (res: TrainResponse__Output) => pending.shift()?.resolve(res.result!));
      call.on('error', (error: Error) => {
        detach();
        const err = fspdError(error);
        failure = err;
        for (const p of pending.splice(0)) p.reject(err);
        reject(err);
      });
      call.on('end', () => {
        detach();
        closed ??= 'the server ended it';
        const err = Object.assign(new Error('the Train stream ended before answering'), { code: grpc.status.UNKNOWN });
        for (const p of pending.splice(0)) p.reject(err);
        resolve();
      });
    });
    ended.catch(() => undefined); // observed through step() and end()
    return {
      step: (batch) =>
        new Promise<StepResult__Output>((resolve, reject) => {
          if (failure) return reject(failure);
          if (closed) return reject(Object.assign(new Error(`the Train stream is closed (${closed}): open another with train()`), { code: grpc.status.FAILED_PRECONDITION }));
          pending.push({ resolve, reject });
          const request: TrainRequest = { batch, sessionId: first ? sessionId : '' };
          first = false;
          call.write(request);
        }),
      end: async () => {
        closed ??= 'end() was called';
        call.end();
        await ended;
      },
      cancel: () => call.cancel(),
    };
  }

  /**
   * Run: the server's training loop, as an async iterable of progress, evaluation and checkpoint events.
   * Leaving the loop early (break, throw) or aborting `signal` cancels the run at its next step.
   */
  async *run(request: RunRequest, options: CallOptions = {}): AsyncGenerator<RunResponse__Output, void, undefined> {
    const call = this.training.Run(request, this.metadata(), this.callOptions(options, false));
    const detach = this.cancelOnAbort(call, options.signal);
    let finished = false;
    try {
      for await (const event of call as AsyncIterable<RunResponse__Output>) yield event;
      finished = true;
    } catch (err) {
      throw fspdError(err);
    } finally {
      detach();
      if (!finished) call.cancel();
    }
  }

  async evaluate(request: EvaluateRequest, options?: CallOptions): Promise<Evaluation__Output> {
    return (await this.unary<{ evaluation: Evaluation__Output | null }>((md, o, cb) => this.training.Evaluate(request, md, o, cb), options)).evaluation!;
  }

  async setStage(sessionId: string, stage: Stage, stageStep = 0, options?: CallOptions): Promise<Session__Output> {
    return (await this.unary<{ session: Session__Output | null }>((md, o, cb) => this.training.SetStage({ sessionId, stage, stageStep }, md, o, cb), options)).session!;
  }

  async saveCheckpoint(sessionId: string, checkpointId = '', options?: CallOptions): Promise<Checkpoint__Output> {
    return (await this.unary<{ checkpoint: Checkpoint__Output | null }>((md, o, cb) => this.training.SaveCheckpoint({ sessionId, checkpointId }, md, o, cb), options)).checkpoint!;
  }

  async restoreCheckpoint(sessionId: string, checkpointId = '', options?: CallOptions): Promise<Session__Output> {
    return (await this.unary<{ session: Session__Output | null }>((md, o, cb) => this.training.RestoreCheckpoint({ sessionId, checkpointId }, md, o, cb), options)).session!;
  }

  // ---- plumbing ----

  private metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    if (this.token !== undefined) md.set('authorization', `Bearer ${this.token}`);
    return md;
  }

  private callOptions(options: CallOptions = {}, useDefault = true): grpc.CallOptions {
    const ms = options.deadlineMs ?? (useDefault ? this.deadlineMs : undefined);
    return ms ? { deadline: Date.now() + ms } : {};
  }

  /** Cancels the call when `signal` aborts; returns the detach function. */
  private cancelOnAbort(call: { cancel(): void }, signal?: AbortSignal): () => void {
    if (!signal) return () => undefined;
    if (signal.aborted) {
      call.cancel();
      return () => undefined;
    }
    const onAbort = () => call.cancel();
    signal.addEventListener('abort', onAbort, { once: true });
    return () => signal.removeEventListener('abort', onAbort);
  }

  private unary<T>(start: (md: grpc.Metadata, options: grpc.CallOptions, callback: Callback<T>) => grpc.ClientUnaryCall, options?: CallOptions): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let detach = () => undefined as void;
      const call = start(this.metadata(), this.callOptions(options), (err, value) => {
        detach();
        if (err) reject(fspdError(err));
        else resolve(value!);
      });
      detach = this.cancelOnAbort(call, options?.signal);
    });
  }
}

function channelCredentials(tls: ClientOptions['tls']): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  if (tls === true) return grpc.credentials.createSsl();
  const read = (pem: Pem | undefined, what: string): Buffer | null => {
    if (pem === undefined) return null;
    if (Buffer.isBuffer(pem)) return pem;
    if (pem.includes('-----BEGIN')) return Buffer.from(pem);
    try {
      return fs.readFileSync(pem);
    } catch (err) {
      throw new Error(`tls.${what}: cannot read ${pem} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  };
  if ((tls.cert === undefined) !== (tls.key === undefined)) throw new Error('tls: give both cert and key (mTLS), or neither');
  return grpc.credentials.createSsl(read(tls.ca, 'ca'), read(tls.key, 'key'), read(tls.cert, 'cert'));
}
