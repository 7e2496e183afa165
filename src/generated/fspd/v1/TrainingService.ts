// Original file: proto/fspd/v1/training_service.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CreateSessionRequest as _fspd_v1_CreateSessionRequest, CreateSessionRequest__Output as _fspd_v1_CreateSessionRequest__Output } from '../../fspd/v1/CreateSessionRequest.js';
import type { CreateSessionResponse as _fspd_v1_CreateSessionResponse, CreateSessionResponse__Output as _fspd_v1_CreateSessionResponse__Output } from '../../fspd/v1/CreateSessionResponse.js';
import type { DeleteSessionRequest as _fspd_v1_DeleteSessionRequest, DeleteSessionRequest__Output as _fspd_v1_DeleteSessionRequest__Output } from '../../fspd/v1/DeleteSessionRequest.js';
import type { DeleteSessionResponse as _fspd_v1_DeleteSessionResponse, DeleteSessionResponse__Output as _fspd_v1_DeleteSessionResponse__Output } from '../../fspd/v1/DeleteSessionResponse.js';
import type { EvaluateRequest as _fspd_v1_EvaluateRequest, EvaluateRequest__Output as _fspd_v1_EvaluateRequest__Output } from '../../fspd/v1/EvaluateRequest.js';
import type { EvaluateResponse as _fspd_v1_EvaluateResponse, EvaluateResponse__Output as _fspd_v1_EvaluateResponse__Output } from '../../fspd/v1/EvaluateResponse.js';
import type { GetSessionRequest as _fspd_v1_GetSessionRequest, GetSessionRequest__Output as _fspd_v1_GetSessionRequest__Output } from '../../fspd/v1/GetSessionRequest.js';
import type { GetSessionResponse as _fspd_v1_GetSessionResponse, GetSessionResponse__Output as _fspd_v1_GetSessionResponse__Output } from '../../fspd/v1/GetSessionResponse.js';
import type { ListSessionsRequest as _fspd_v1_ListSessionsRequest, ListSessionsRequest__Output as _fspd_v1_ListSessionsRequest__Output } from '../../fspd/v1/ListSessionsRequest.js';
import type { ListSessionsResponse as _fspd_v1_ListSessionsResponse, ListSessionsResponse__Output as _fspd_v1_ListSessionsResponse__Output } from '../../fspd/v1/ListSessionsResponse.js';
import type { RestoreCheckpointRequest as _fspd_v1_RestoreCheckpointRequest, RestoreCheckpointRequest__Output as _fspd_v1_RestoreCheckpointRequest__Output } from '../../fspd/v1/RestoreCheckpointRequest.js';
import type { RestoreCheckpointResponse as _fspd_v1_RestoreCheckpointResponse, RestoreCheckpointResponse__Output as _fspd_v1_RestoreCheckpointResponse__Output } from '../../fspd/v1/RestoreCheckpointResponse.js';
import type { RunRequest as _fspd_v1_RunRequest, RunRequest__Output as _fspd_v1_RunRequest__Output } from '../../fspd/v1/RunRequest.js';
import type { RunResponse as _fspd_v1_RunResponse, RunResponse__Output as _fspd_v1_RunResponse__Output } from '../../fspd/v1/RunResponse.js';
import type { SaveCheckpointRequest as _fspd_v1_SaveCheckpointRequest, SaveCheckpointRequest__Output as _fspd_v1_SaveCheckpointRequest__Output } from '../../fspd/v1/SaveCheckpointRequest.js';
import type { SaveCheckpointResponse as _fspd_v1_SaveCheckpointResponse, SaveCheckpointResponse__Output as _fspd_v1_SaveCheckpointResponse__Output } from '../../fspd/v1/SaveCheckpointResponse.js';
import type { SetStageRequest as _fspd_v1_SetStageRequest, SetStageRequest__Output as _fspd_v1_SetStageRequest__Output } from '../../fspd/v1/SetStageRequest.js';
import type { SetStageResponse as _fspd_v1_SetStageResponse, SetStageResponse__Output as _fspd_v1_SetStageResponse__Output } from '../../fspd/v1/SetStageResponse.js';
import type { TrainRequest as _fspd_v1_TrainRequest, TrainRequest__Output as _fspd_v1_TrainRequest__Output } from '../../fspd/v1/TrainRequest.js';
import type { TrainResponse as _fspd_v1_TrainResponse, TrainResponse__Output as _fspd_v1_TrainResponse__Output } from '../../fspd/v1/TrainResponse.js';
import type { TrainStepRequest as _fspd_v1_TrainStepRequest, TrainStepRequest__Output as _fspd_v1_TrainStepRequest__Output } from '../../fspd/v1/TrainStepRequest.js';
import type { TrainStepResponse as _fspd_v1_TrainStepResponse, TrainStepResponse__Output as _fspd_v1_TrainStepResponse__Output } from '../../fspd/v1/TrainStepResponse.js';

/**
 * Training sessions. A session trains its student model in place; the teacher stays frozen. Steps of one
 * session run one at a time: a Train or Run stream holds the session until it ends. Errors: NOT_FOUND,
 * ALREADY_EXISTS, FAILED_PRECONDITION (wrong stage, session busy, stage 1 without a teacher),
 * RESOURCE_EXHAUSTED (session limit, --max-batch, the memory budget, or a full queue of compute calls for
 * TrainStep and Evaluate; the message names the flag that raises the limit), CANCELLED/DEADLINE_EXCEEDED (the step stops, its tensors
 * are freed, the session keeps the steps completed before), UNAVAILABLE (the server is shutting down: a
 * Train or Run stream ends after its current step, a call that reaches the session only after shutdown
 * began does nothing to it, and the session is checkpointed).
 * A step is synchronous work on the server (about 1 s for a ResNet-26 batch of 128 on a CPU): the server
 * answers other calls, health checks included, between steps, not during one. Cancellation, deadlines
 * and DeleteSession take effect at the next step boundary.
 */
export interface TrainingServiceClient extends grpc.Client {
  /**
   * Starts a session from a student, an optional teacher and the training options.
   */
  CreateSession(argument: _fspd_v1_CreateSessionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_CreateSessionResponse__Output>): grpc.ClientUnaryCall;
  CreateSession(argument: _fspd_v1_CreateSessionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_CreateSessionResponse__Output>): grpc.ClientUnaryCall;
  CreateSession(argument: _fspd_v1_CreateSessionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_CreateSessionResponse__Output>): grpc.ClientUnaryCall;
  CreateSession(argument: _fspd_v1_CreateSessionRequest, callback: grpc.requestCallback<_fspd_v1_CreateSessionResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Starts a session from a student, an optional teacher and the training options.
   */
  createSession(argument: _fspd_v1_CreateSessionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_CreateSessionResponse__Output>): grpc.ClientUnaryCall;
  createSession(argument: _fspd_v1_CreateSessionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_CreateSessionResponse__Output>): grpc.ClientUnaryCall;
  createSession(argument: _fspd_v1_CreateSessionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_CreateSessionResponse__Output>): grpc.ClientUnaryCall;
  createSession(argument: _fspd_v1_CreateSessionRequest, callback: grpc.requestCallback<_fspd_v1_CreateSessionResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Ends a session and removes its checkpoints; its models stay. Its id is free once this returns.
   */
  DeleteSession(argument: _fspd_v1_DeleteSessionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_DeleteSessionResponse__Output>): grpc.ClientUnaryCall;
  DeleteSession(argument: _fspd_v1_DeleteSessionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_DeleteSessionResponse__Output>): grpc.ClientUnaryCall;
  DeleteSession(argument: _fspd_v1_DeleteSessionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_DeleteSessionResponse__Output>): grpc.ClientUnaryCall;
  DeleteSession(argument: _fspd_v1_DeleteSessionRequest, callback: grpc.requestCallback<_fspd_v1_DeleteSessionResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Ends a session and removes its checkpoints; its models stay. Its id is free once this returns.
   */
  deleteSession(argument: _fspd_v1_DeleteSessionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_DeleteSessionResponse__Output>): grpc.ClientUnaryCall;
  deleteSession(argument: _fspd_v1_DeleteSessionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_DeleteSessionResponse__Output>): grpc.ClientUnaryCall;
  deleteSession(argument: _fspd_v1_DeleteSessionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_DeleteSessionResponse__Output>): grpc.ClientUnaryCall;
  deleteSession(argument: _fspd_v1_DeleteSessionRequest, callback: grpc.requestCallback<_fspd_v1_DeleteSessionResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Accuracy and losses of a session's student, or of any model, on a dataset or a batch; no weights change.
   */
  Evaluate(argument: _fspd_v1_EvaluateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_EvaluateResponse__Output>): grpc.ClientUnaryCall;
  Evaluate(argument: _fspd_v1_EvaluateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_EvaluateResponse__Output>): grpc.ClientUnaryCall;
  Evaluate(argument: _fspd_v1_EvaluateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_EvaluateResponse__Output>): grpc.ClientUnaryCall;
  Evaluate(argument: _fspd_v1_EvaluateRequest, callback: grpc.requestCallback<_fspd_v1_EvaluateResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Accuracy and losses of a session's student, or of any model, on a dataset or a batch; no weights change.
   */
  evaluate(argument: _fspd_v1_EvaluateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_EvaluateResponse__Output>): grpc.ClientUnaryCall;
  evaluate(argument: _fspd_v1_EvaluateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_EvaluateResponse__Output>): grpc.ClientUnaryCall;
  evaluate(argument: _fspd_v1_EvaluateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_EvaluateResponse__Output>): grpc.ClientUnaryCall;
  evaluate(argument: _fspd_v1_EvaluateRequest, callback: grpc.requestCallback<_fspd_v1_EvaluateResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * One session's state.
   */
  GetSession(argument: _fspd_v1_GetSessionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_GetSessionResponse__Output>): grpc.ClientUnaryCall;
  GetSession(argument: _fspd_v1_GetSessionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_GetSessionResponse__Output>): grpc.ClientUnaryCall;
  GetSession(argument: _fspd_v1_GetSessionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_GetSessionResponse__Output>): grpc.ClientUnaryCall;
  GetSession(argument: _fspd_v1_GetSessionRequest, callback: grpc.requestCallback<_fspd_v1_GetSessionResponse__Output>): grpc.ClientUnaryCall;
  /**
   * One session's state.
   */
  getSession(argument: _fspd_v1_GetSessionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_GetSessionResponse__Output>): grpc.ClientUnaryCall;
  getSession(argument: _fspd_v1_GetSessionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_GetSessionResponse__Output>): grpc.ClientUnaryCall;
  getSession(argument: _fspd_v1_GetSessionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_GetSessionResponse__Output>): grpc.ClientUnaryCall;
  getSession(argument: _fspd_v1_GetSessionRequest, callback: grpc.requestCallback<_fspd_v1_GetSessionResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Every session's state.
   */
  ListSessions(argument: _fspd_v1_ListSessionsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_ListSessionsResponse__Output>): grpc.ClientUnaryCall;
  ListSessions(argument: _fspd_v1_ListSessionsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_ListSessionsResponse__Output>): grpc.ClientUnaryCall;
  ListSessions(argument: _fspd_v1_ListSessionsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_ListSessionsResponse__Output>): grpc.ClientUnaryCall;
  ListSessions(argument: _fspd_v1_ListSessionsRequest, callback: grpc.requestCallback<_fspd_v1_ListSessionsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Every session's state.
   */
  listSessions(argument: _fspd_v1_ListSessionsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_ListSessionsResponse__Output>): grpc.ClientUnaryCall;
  listSessions(argument: _fspd_v1_ListSessionsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_ListSessionsResponse__Output>): grpc.ClientUnaryCall;
  listSessions(argument: _fspd_v1_ListSessionsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_ListSessionsResponse__Output>): grpc.ClientUnaryCall;
  listSessions(argument: _fspd_v1_ListSessionsRequest, callback: grpc.requestCallback<_fspd_v1_ListSessionsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Returns a session to one of its checkpoints: the student's weights, the optimiser's state, the stage and
   * the step. The teacher's weights are not restored: the teacher is a registry model that other sessions and
   * TeacherFsp may use, so it keeps its current weights.
   */
  RestoreCheckpoint(argument: _fspd_v1_RestoreCheckpointRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_RestoreCheckpointResponse__Output>): grpc.ClientUnaryCall;
  RestoreCheckpoint(argument: _fspd_v1_RestoreCheckpointRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_RestoreCheckpointResponse__Output>): grpc.ClientUnaryCall;
  RestoreCheckpoint(argument: _fspd_v1_RestoreCheckpointRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_RestoreCheckpointResponse__Output>): grpc.ClientUnaryCall;
  RestoreCheckpoint(argument: _fspd_v1_RestoreCheckpointRequest, callback: grpc.requestCallback<_fspd_v1_RestoreCheckpointResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Returns a session to one of its checkpoints: the student's weights, the optimiser's state, the stage and
   * the step. The teacher's weights are not restored: the teacher is a registry model that other sessions and
   * TeacherFsp may use, so it keeps its current weights.
   */
  restoreCheckpoint(argument: _fspd_v1_RestoreCheckpointRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_RestoreCheckpointResponse__Output>): grpc.ClientUnaryCall;
  restoreCheckpoint(argument: _fspd_v1_RestoreCheckpointRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_RestoreCheckpointResponse__Output>): grpc.ClientUnaryCall;
  restoreCheckpoint(argument: _fspd_v1_RestoreCheckpointRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_RestoreCheckpointResponse__Output>): grpc.ClientUnaryCall;
  restoreCheckpoint(argument: _fspd_v1_RestoreCheckpointRequest, callback: grpc.requestCallback<_fspd_v1_RestoreCheckpointResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * The server loops over a dataset it has (embedded MNIST, CIFAR files on its disk) and streams progress.
   */
  Run(argument: _fspd_v1_RunRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_fspd_v1_RunResponse__Output>;
  Run(argument: _fspd_v1_RunRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_fspd_v1_RunResponse__Output>;
  /**
   * The server loops over a dataset it has (embedded MNIST, CIFAR files on its disk) and streams progress.
   */
  run(argument: _fspd_v1_RunRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_fspd_v1_RunResponse__Output>;
  run(argument: _fspd_v1_RunRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_fspd_v1_RunResponse__Output>;
  
  /**
   * Saves the student's weights, the optimiser's state and the session's stage and step on the server's disk.
   * Allowed while a Train or Run stream holds the session: the save is taken between two of its steps.
   */
  SaveCheckpoint(argument: _fspd_v1_SaveCheckpointRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_SaveCheckpointResponse__Output>): grpc.ClientUnaryCall;
  SaveCheckpoint(argument: _fspd_v1_SaveCheckpointRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_SaveCheckpointResponse__Output>): grpc.ClientUnaryCall;
  SaveCheckpoint(argument: _fspd_v1_SaveCheckpointRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_SaveCheckpointResponse__Output>): grpc.ClientUnaryCall;
  SaveCheckpoint(argument: _fspd_v1_SaveCheckpointRequest, callback: grpc.requestCallback<_fspd_v1_SaveCheckpointResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Saves the student's weights, the optimiser's state and the session's stage and step on the server's disk.
   * Allowed while a Train or Run stream holds the session: the save is taken between two of its steps.
   */
  saveCheckpoint(argument: _fspd_v1_SaveCheckpointRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_SaveCheckpointResponse__Output>): grpc.ClientUnaryCall;
  saveCheckpoint(argument: _fspd_v1_SaveCheckpointRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_SaveCheckpointResponse__Output>): grpc.ClientUnaryCall;
  saveCheckpoint(argument: _fspd_v1_SaveCheckpointRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_SaveCheckpointResponse__Output>): grpc.ClientUnaryCall;
  saveCheckpoint(argument: _fspd_v1_SaveCheckpointRequest, callback: grpc.requestCallback<_fspd_v1_SaveCheckpointResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Moves a session to a stage (e.g. stage 2 after stage 1); resets the optimiser's state.
   */
  SetStage(argument: _fspd_v1_SetStageRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_SetStageResponse__Output>): grpc.ClientUnaryCall;
  SetStage(argument: _fspd_v1_SetStageRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_SetStageResponse__Output>): grpc.ClientUnaryCall;
  SetStage(argument: _fspd_v1_SetStageRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_SetStageResponse__Output>): grpc.ClientUnaryCall;
  SetStage(argument: _fspd_v1_SetStageRequest, callback: grpc.requestCallback<_fspd_v1_SetStageResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Moves a session to a stage (e.g. stage 2 after stage 1); resets the optimiser's state.
   */
  setStage(argument: _fspd_v1_SetStageRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_SetStageResponse__Output>): grpc.ClientUnaryCall;
  setStage(argument: _fspd_v1_SetStageRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_SetStageResponse__Output>): grpc.ClientUnaryCall;
  setStage(argument: _fspd_v1_SetStageRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_SetStageResponse__Output>): grpc.ClientUnaryCall;
  setStage(argument: _fspd_v1_SetStageRequest, callback: grpc.requestCallback<_fspd_v1_SetStageResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * A step per streamed batch; one response per request, in order.
   */
  Train(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_fspd_v1_TrainRequest, _fspd_v1_TrainResponse__Output>;
  Train(options?: grpc.CallOptions): grpc.ClientDuplexStream<_fspd_v1_TrainRequest, _fspd_v1_TrainResponse__Output>;
  /**
   * A step per streamed batch; one response per request, in order.
   */
  train(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_fspd_v1_TrainRequest, _fspd_v1_TrainResponse__Output>;
  train(options?: grpc.CallOptions): grpc.ClientDuplexStream<_fspd_v1_TrainRequest, _fspd_v1_TrainResponse__Output>;
  
  /**
   * One optimisation step on a client batch, in the session's current stage.
   */
  TrainStep(argument: _fspd_v1_TrainStepRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_TrainStepResponse__Output>): grpc.ClientUnaryCall;
  TrainStep(argument: _fspd_v1_TrainStepRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_TrainStepResponse__Output>): grpc.ClientUnaryCall;
  TrainStep(argument: _fspd_v1_TrainStepRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_TrainStepResponse__Output>): grpc.ClientUnaryCall;
  TrainStep(argument: _fspd_v1_TrainStepRequest, callback: grpc.requestCallback<_fspd_v1_TrainStepResponse__Output>): grpc.ClientUnaryCall;
  /**
   * One optimisation step on a client batch, in the session's current stage.
   */
  trainStep(argument: _fspd_v1_TrainStepRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_TrainStepResponse__Output>): grpc.ClientUnaryCall;
  trainStep(argument: _fspd_v1_TrainStepRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_TrainStepResponse__Output>): grpc.ClientUnaryCall;
  trainStep(argument: _fspd_v1_TrainStepRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_TrainStepResponse__Output>): grpc.ClientUnaryCall;
  trainStep(argument: _fspd_v1_TrainStepRequest, callback: grpc.requestCallback<_fspd_v1_TrainStepResponse__Output>): grpc.ClientUnaryCall;
  
}

/**
 * Training sessions. A session trains its student model in place; the teacher stays frozen. Steps of one
 * session run one at a time: a Train or Run stream holds the session until it ends. Errors: NOT_FOUND,
 * ALREADY_EXISTS, FAILED_PRECONDITION (wrong stage, session busy, stage 1 without a teacher),
 * RESOURCE_EXHAUSTED (session limit, --max-batch, the memory budget, or a full queue of compute calls for
 * TrainStep and Evaluate; the message names the flag that raises the limit), CANCELLED/DEADLINE_EXCEEDED (the step stops, its tensors
 * are freed, the session keeps the steps completed before), UNAVAILABLE (the server is shutting down: a
 * Train or Run stream ends after its current step, a call that reaches the session only after shutdown
 * began does nothing to it, and the session is checkpointed).
 * A step is synchronous work on the server (about 1 s for a ResNet-26 batch of 128 on a CPU): the server
 * answers other calls, health checks included, between steps, not during one. Cancellation, deadlines
 * and DeleteSession take effect at the next step boundary.
 */
export interface TrainingServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Starts a session from a student, an optional teacher and the training options.
   */
  CreateSession: grpc.handleUnaryCall<_fspd_v1_CreateSessionRequest__Output, _fspd_v1_CreateSessionResponse>;
  
  /**
   * Ends a session and removes its checkpoints; its models stay. Its id is free once this returns.
   */
  DeleteSession: grpc.handleUnaryCall<_fspd_v1_DeleteSessionRequest__Output, _fspd_v1_DeleteSessionResponse>;
  
  /**
   * Accuracy and losses of a session's student, or of any model, on a dataset or a batch; no weights change.
   */
  Evaluate: grpc.handleUnaryCall<_fspd_v1_EvaluateRequest__Output, _fspd_v1_EvaluateResponse>;
  
  /**
   * One session's state.
   */
  GetSession: grpc.handleUnaryCall<_fspd_v1_GetSessionRequest__Output, _fspd_v1_GetSessionResponse>;
  
  /**
   * Every session's state.
   */
  ListSessions: grpc.handleUnaryCall<_fspd_v1_ListSessionsRequest__Output, _fspd_v1_ListSessionsResponse>;
  
  /**
   * Returns a session to one of its checkpoints: the student's weights, the optimiser's state, the stage and
   * the step. The teacher's weights are not restored: the teacher is a registry model that other sessions and
   * TeacherFsp may use, so it keeps its current weights.
   */
  RestoreCheckpoint: grpc.handleUnaryCall<_fspd_v1_RestoreCheckpointRequest__Output, _fspd_v1_RestoreCheckpointResponse>;
  
  /**
   * The server loops over a dataset it has (embedded MNIST, CIFAR files on its disk) and streams progress.
   */
  Run: grpc.handleServerStreamingCall<_fspd_v1_RunRequest__Output, _fspd_v1_RunResponse>;
  
  /**
   * Saves the student's weights, the optimiser's state and the session's stage and step on the server's disk.
   * Allowed while a Train or Run stream holds the session: the save is taken between two of its steps.
   */
  SaveCheckpoint: grpc.handleUnaryCall<_fspd_v1_SaveCheckpointRequest__Output, _fspd_v1_SaveCheckpointResponse>;
  
  /**
   * Moves a session to a stage (e.g. stage 2 after stage 1); resets the optimiser's state.
   */
  SetStage: grpc.handleUnaryCall<_fspd_v1_SetStageRequest__Output, _fspd_v1_SetStageResponse>;
  
  /**
   * A step per streamed batch; one response per request, in order.
   */
  Train: grpc.handleBidiStreamingCall<_fspd_v1_TrainRequest__Output, _fspd_v1_TrainResponse>;
  
  /**
   * One optimisation step on a client batch, in the session's current stage.
   */
  TrainStep: grpc.handleUnaryCall<_fspd_v1_TrainStepRequest__Output, _fspd_v1_TrainStepResponse>;
  
}

export interface TrainingServiceDefinition extends grpc.ServiceDefinition {
  CreateSession: MethodDefinition<_fspd_v1_CreateSessionRequest, _fspd_v1_CreateSessionResponse, _fspd_v1_CreateSessionRequest__Output, _fspd_v1_CreateSessionResponse__Output>
  DeleteSession: MethodDefinition<_fspd_v1_DeleteSessionRequest, _fspd_v1_DeleteSessionResponse, _fspd_v1_DeleteSessionRequest__Output, _fspd_v1_DeleteSessionResponse__Output>
  Evaluate: MethodDefinition<_fspd_v1_EvaluateRequest, _fspd_v1_EvaluateResponse, _fspd_v1_EvaluateRequest__Output, _fspd_v1_EvaluateResponse__Output>
  GetSession: MethodDefinition<_fspd_v1_GetSessionRequest, _fspd_v1_GetSessionResponse, _fspd_v1_GetSessionRequest__Output, _fspd_v1_GetSessionResponse__Output>
  ListSessions: MethodDefinition<_fspd_v1_ListSessionsRequest, _fspd_v1_ListSessionsResponse, _fspd_v1_ListSessionsRequest__Output, _fspd_v1_ListSessionsResponse__Output>
  RestoreCheckpoint: MethodDefinition<_fspd_v1_RestoreCheckpointRequest, _fspd_v1_RestoreCheckpointResponse, _fspd_v1_RestoreCheckpointRequest__Output, _fspd_v1_RestoreCheckpointResponse__Output>
  Run: MethodDefinition<_fspd_v1_RunRequest, _fspd_v1_RunResponse, _fspd_v1_RunRequest__Output, _fspd_v1_RunResponse__Output>
  SaveCheckpoint: MethodDefinition<_fspd_v1_SaveCheckpointRequest, _fspd_v1_SaveCheckpointResponse, _fspd_v1_SaveCheckpointRequest__Output, _fspd_v1_SaveCheckpointResponse__Output>
  SetStage: MethodDefinition<_fspd_v1_SetStageRequest, _fspd_v1_SetStageResponse, _fspd_v1_SetStageRequest__Output, _fspd_v1_SetStageResponse__Output>
  Train: MethodDefinition<_fspd_v1_TrainRequest, _fspd_v1_TrainResponse, _fspd_v1_TrainRequest__Output, _fspd_v1_TrainResponse__Output>
  TrainStep: MethodDefinition<_fspd_v1_TrainStepRequest, _fspd_v1_TrainStepResponse, _fspd_v1_TrainStepRequest__Output, _fspd_v1_TrainStepResponse__Output>
}
