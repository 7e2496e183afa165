// Original file: proto/fspd/v1/model_service.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CreateModelRequest as _fspd_v1_CreateModelRequest, CreateModelRequest__Output as _fspd_v1_CreateModelRequest__Output } from '../../fspd/v1/CreateModelRequest.js';
import type { CreateModelResponse as _fspd_v1_CreateModelResponse, CreateModelResponse__Output as _fspd_v1_CreateModelResponse__Output } from '../../fspd/v1/CreateModelResponse.js';
import type { DeleteModelRequest as _fspd_v1_DeleteModelRequest, DeleteModelRequest__Output as _fspd_v1_DeleteModelRequest__Output } from '../../fspd/v1/DeleteModelRequest.js';
import type { DeleteModelResponse as _fspd_v1_DeleteModelResponse, DeleteModelResponse__Output as _fspd_v1_DeleteModelResponse__Output } from '../../fspd/v1/DeleteModelResponse.js';
import type { ExportModelRequest as _fspd_v1_ExportModelRequest, ExportModelRequest__Output as _fspd_v1_ExportModelRequest__Output } from '../../fspd/v1/ExportModelRequest.js';
import type { ExportModelResponse as _fspd_v1_ExportModelResponse, ExportModelResponse__Output as _fspd_v1_ExportModelResponse__Output } from '../../fspd/v1/ExportModelResponse.js';
import type { GetModelRequest as _fspd_v1_GetModelRequest, GetModelRequest__Output as _fspd_v1_GetModelRequest__Output } from '../../fspd/v1/GetModelRequest.js';
import type { GetModelResponse as _fspd_v1_GetModelResponse, GetModelResponse__Output as _fspd_v1_GetModelResponse__Output } from '../../fspd/v1/GetModelResponse.js';
import type { ListModelsRequest as _fspd_v1_ListModelsRequest, ListModelsRequest__Output as _fspd_v1_ListModelsRequest__Output } from '../../fspd/v1/ListModelsRequest.js';
import type { ListModelsResponse as _fspd_v1_ListModelsResponse, ListModelsResponse__Output as _fspd_v1_ListModelsResponse__Output } from '../../fspd/v1/ListModelsResponse.js';
import type { UploadModelRequest as _fspd_v1_UploadModelRequest, UploadModelRequest__Output as _fspd_v1_UploadModelRequest__Output } from '../../fspd/v1/UploadModelRequest.js';
import type { UploadModelResponse as _fspd_v1_UploadModelResponse, UploadModelResponse__Output as _fspd_v1_UploadModelResponse__Output } from '../../fspd/v1/UploadModelResponse.js';

/**
 * The server's model registry. Teachers and students of training sessions, and TeacherFsp's teachers,
 * are models from here. Errors: NOT_FOUND (unknown id), ALREADY_EXISTS (id taken), FAILED_PRECONDITION
 * (model in use by a session), RESOURCE_EXHAUSTED (model limit, --max-model-size, or the memory budget,
 * checked before an upload's weights arrive; the message names the flag that raises the limit).
 */
export interface ModelServiceClient extends grpc.Client {
  /**
   * Builds a model of a built-in architecture with fresh weights.
   */
  CreateModel(argument: _fspd_v1_CreateModelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_CreateModelResponse__Output>): grpc.ClientUnaryCall;
  CreateModel(argument: _fspd_v1_CreateModelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_CreateModelResponse__Output>): grpc.ClientUnaryCall;
  CreateModel(argument: _fspd_v1_CreateModelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_CreateModelResponse__Output>): grpc.ClientUnaryCall;
  CreateModel(argument: _fspd_v1_CreateModelRequest, callback: grpc.requestCallback<_fspd_v1_CreateModelResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Builds a model of a built-in architecture with fresh weights.
   */
  createModel(argument: _fspd_v1_CreateModelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_CreateModelResponse__Output>): grpc.ClientUnaryCall;
  createModel(argument: _fspd_v1_CreateModelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_CreateModelResponse__Output>): grpc.ClientUnaryCall;
  createModel(argument: _fspd_v1_CreateModelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_CreateModelResponse__Output>): grpc.ClientUnaryCall;
  createModel(argument: _fspd_v1_CreateModelRequest, callback: grpc.requestCallback<_fspd_v1_CreateModelResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Removes a model; fails while a session uses it. Its id is free once this returns.
   */
  DeleteModel(argument: _fspd_v1_DeleteModelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_DeleteModelResponse__Output>): grpc.ClientUnaryCall;
  DeleteModel(argument: _fspd_v1_DeleteModelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_DeleteModelResponse__Output>): grpc.ClientUnaryCall;
  DeleteModel(argument: _fspd_v1_DeleteModelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_DeleteModelResponse__Output>): grpc.ClientUnaryCall;
  DeleteModel(argument: _fspd_v1_DeleteModelRequest, callback: grpc.requestCallback<_fspd_v1_DeleteModelResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Removes a model; fails while a session uses it. Its id is free once this returns.
   */
  deleteModel(argument: _fspd_v1_DeleteModelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_DeleteModelResponse__Output>): grpc.ClientUnaryCall;
  deleteModel(argument: _fspd_v1_DeleteModelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_DeleteModelResponse__Output>): grpc.ClientUnaryCall;
  deleteModel(argument: _fspd_v1_DeleteModelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_DeleteModelResponse__Output>): grpc.ClientUnaryCall;
  deleteModel(argument: _fspd_v1_DeleteModelRequest, callback: grpc.requestCallback<_fspd_v1_DeleteModelResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Streams a model's current weights as tfjs artifacts, in UploadModel's format (so it can be uploaded back).
   */
  ExportModel(argument: _fspd_v1_ExportModelRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_fspd_v1_ExportModelResponse__Output>;
  ExportModel(argument: _fspd_v1_ExportModelRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_fspd_v1_ExportModelResponse__Output>;
  /**
   * Streams a model's current weights as tfjs artifacts, in UploadModel's format (so it can be uploaded back).
   */
  exportModel(argument: _fspd_v1_ExportModelRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_fspd_v1_ExportModelResponse__Output>;
  exportModel(argument: _fspd_v1_ExportModelRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_fspd_v1_ExportModelResponse__Output>;
  
  /**
   * One model's description.
   */
  GetModel(argument: _fspd_v1_GetModelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_GetModelResponse__Output>): grpc.ClientUnaryCall;
  GetModel(argument: _fspd_v1_GetModelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_GetModelResponse__Output>): grpc.ClientUnaryCall;
  GetModel(argument: _fspd_v1_GetModelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_GetModelResponse__Output>): grpc.ClientUnaryCall;
  GetModel(argument: _fspd_v1_GetModelRequest, callback: grpc.requestCallback<_fspd_v1_GetModelResponse__Output>): grpc.ClientUnaryCall;
  /**
   * One model's description.
   */
  getModel(argument: _fspd_v1_GetModelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_GetModelResponse__Output>): grpc.ClientUnaryCall;
  getModel(argument: _fspd_v1_GetModelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_GetModelResponse__Output>): grpc.ClientUnaryCall;
  getModel(argument: _fspd_v1_GetModelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_GetModelResponse__Output>): grpc.ClientUnaryCall;
  getModel(argument: _fspd_v1_GetModelRequest, callback: grpc.requestCallback<_fspd_v1_GetModelResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Every model's description.
   */
  ListModels(argument: _fspd_v1_ListModelsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  ListModels(argument: _fspd_v1_ListModelsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  ListModels(argument: _fspd_v1_ListModelsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  ListModels(argument: _fspd_v1_ListModelsRequest, callback: grpc.requestCallback<_fspd_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Every model's description.
   */
  listModels(argument: _fspd_v1_ListModelsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  listModels(argument: _fspd_v1_ListModelsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  listModels(argument: _fspd_v1_ListModelsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  listModels(argument: _fspd_v1_ListModelsRequest, callback: grpc.requestCallback<_fspd_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Registers a tfjs LayersModel sent as a stream: one header (model.json), then its weight bytes in chunks.
   */
  UploadModel(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_UploadModelResponse__Output>): grpc.ClientWritableStream<_fspd_v1_UploadModelRequest>;
  UploadModel(metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_UploadModelResponse__Output>): grpc.ClientWritableStream<_fspd_v1_UploadModelRequest>;
  UploadModel(options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_UploadModelResponse__Output>): grpc.ClientWritableStream<_fspd_v1_UploadModelRequest>;
  UploadModel(callback: grpc.requestCallback<_fspd_v1_UploadModelResponse__Output>): grpc.ClientWritableStream<_fspd_v1_UploadModelRequest>;
  /**
   * Registers a tfjs LayersModel sent as a stream: one header (model.json), then its weight bytes in chunks.
   */
  uploadModel(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_UploadModelResponse__Output>): grpc.ClientWritableStream<_fspd_v1_UploadModelRequest>;
  uploadModel(metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_UploadModelResponse__Output>): grpc.ClientWritableStream<_fspd_v1_UploadModelRequest>;
  uploadModel(options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_UploadModelResponse__Output>): grpc.ClientWritableStream<_fspd_v1_UploadModelRequest>;
  uploadModel(callback: grpc.requestCallback<_fspd_v1_UploadModelResponse__Output>): grpc.ClientWritableStream<_fspd_v1_UploadModelRequest>;
  
}

/**
 * The server's model registry. Teachers and students of training sessions, and TeacherFsp's teachers,
 * are models from here. Errors: NOT_FOUND (unknown id), ALREADY_EXISTS (id taken), FAILED_PRECONDITION
 * (model in use by a session), RESOURCE_EXHAUSTED (model limit, --max-model-size, or the memory budget,
 * checked before an upload's weights arrive; the message names the flag that raises the limit).
 */
export interface ModelServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Builds a model of a built-in architecture with fresh weights.
   */
  CreateModel: grpc.handleUnaryCall<_fspd_v1_CreateModelRequest__Output, _fspd_v1_CreateModelResponse>;
  
  /**
   * Removes a model; fails while a session uses it. Its id is free once this returns.
   */
  DeleteModel: grpc.handleUnaryCall<_fspd_v1_DeleteModelRequest__Output, _fspd_v1_DeleteModelResponse>;
  
  /**
   * Streams a model's current weights as tfjs artifacts, in UploadModel's format (so it can be uploaded back).
   */
  ExportModel: grpc.handleServerStreamingCall<_fspd_v1_ExportModelRequest__Output, _fspd_v1_ExportModelResponse>;
  
  /**
   * One model's description.
   */
  GetModel: grpc.handleUnaryCall<_fspd_v1_GetModelRequest__Output, _fspd_v1_GetModelResponse>;
  
  /**
   * Every model's description.
   */
  ListModels: grpc.handleUnaryCall<_fspd_v1_ListModelsRequest__Output, _fspd_v1_ListModelsResponse>;
  
  /**
   * Registers a tfjs LayersModel sent as a stream: one header (model.json), then its weight bytes in chunks.
   */
  UploadModel: grpc.handleClientStreamingCall<_fspd_v1_UploadModelRequest__Output, _fspd_v1_UploadModelResponse>;
  
}

export interface ModelServiceDefinition extends grpc.ServiceDefinition {
  CreateModel: MethodDefinition<_fspd_v1_CreateModelRequest, _fspd_v1_CreateModelResponse, _fspd_v1_CreateModelRequest__Output, _fspd_v1_CreateModelResponse__Output>
  DeleteModel: MethodDefinition<_fspd_v1_DeleteModelRequest, _fspd_v1_DeleteModelResponse, _fspd_v1_DeleteModelRequest__Output, _fspd_v1_DeleteModelResponse__Output>
  ExportModel: MethodDefinition<_fspd_v1_ExportModelRequest, _fspd_v1_ExportModelResponse, _fspd_v1_ExportModelRequest__Output, _fspd_v1_ExportModelResponse__Output>
  GetModel: MethodDefinition<_fspd_v1_GetModelRequest, _fspd_v1_GetModelResponse, _fspd_v1_GetModelRequest__Output, _fspd_v1_GetModelResponse__Output>
  ListModels: MethodDefinition<_fspd_v1_ListModelsRequest, _fspd_v1_ListModelsResponse, _fspd_v1_ListModelsRequest__Output, _fspd_v1_ListModelsResponse__Output>
  UploadModel: MethodDefinition<_fspd_v1_UploadModelRequest, _fspd_v1_UploadModelResponse, _fspd_v1_UploadModelRequest__Output, _fspd_v1_UploadModelResponse__Output>
}
