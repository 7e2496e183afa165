// Original file: proto/fspd/v1/shared_memory_service.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ListSharedMemoryRequest as _fspd_v1_ListSharedMemoryRequest, ListSharedMemoryRequest__Output as _fspd_v1_ListSharedMemoryRequest__Output } from '../../fspd/v1/ListSharedMemoryRequest.js';
import type { ListSharedMemoryResponse as _fspd_v1_ListSharedMemoryResponse, ListSharedMemoryResponse__Output as _fspd_v1_ListSharedMemoryResponse__Output } from '../../fspd/v1/ListSharedMemoryResponse.js';
import type { RegisterSharedMemoryRequest as _fspd_v1_RegisterSharedMemoryRequest, RegisterSharedMemoryRequest__Output as _fspd_v1_RegisterSharedMemoryRequest__Output } from '../../fspd/v1/RegisterSharedMemoryRequest.js';
import type { RegisterSharedMemoryResponse as _fspd_v1_RegisterSharedMemoryResponse, RegisterSharedMemoryResponse__Output as _fspd_v1_RegisterSharedMemoryResponse__Output } from '../../fspd/v1/RegisterSharedMemoryResponse.js';
import type { UnregisterSharedMemoryRequest as _fspd_v1_UnregisterSharedMemoryRequest, UnregisterSharedMemoryRequest__Output as _fspd_v1_UnregisterSharedMemoryRequest__Output } from '../../fspd/v1/UnregisterSharedMemoryRequest.js';
import type { UnregisterSharedMemoryResponse as _fspd_v1_UnregisterSharedMemoryResponse, UnregisterSharedMemoryResponse__Output as _fspd_v1_UnregisterSharedMemoryResponse__Output } from '../../fspd/v1/UnregisterSharedMemoryResponse.js';

/**
 * Registers, lists and unregisters shared-memory regions. Errors: FAILED_PRECONDITION when the server has
 * no --shared-memory-dir; INVALID_ARGUMENT naming the field for a bad name, a path that is not a regular
 * file directly in that directory, or a file shorter than byte_size; ALREADY_EXISTS for a taken name or a
 * file already registered under another name (same device and inode); NOT_FOUND for an unknown region;
 * RESOURCE_EXHAUSTED past the region limit, or when the region does not fit the memory budget (--max-memory);
 * FAILED_PRECONDITION (IN_USE, with RetryInfo) when unregistering a region that calls in flight read or write.
 * A call whose tensors lie in a region whose file has shrunk below its byte_size fails with
 * FAILED_PRECONDITION; do not shrink a registered file (a truncation while a call reads it can end the
 * server: unregister first; once unregistering succeeds, no call uses the file).
 */
export interface SharedMemoryServiceClient extends grpc.Client {
  /**
   * The registered regions.
   */
  ListSharedMemory(argument: _fspd_v1_ListSharedMemoryRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_ListSharedMemoryResponse__Output>): grpc.ClientUnaryCall;
  ListSharedMemory(argument: _fspd_v1_ListSharedMemoryRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_ListSharedMemoryResponse__Output>): grpc.ClientUnaryCall;
  ListSharedMemory(argument: _fspd_v1_ListSharedMemoryRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_ListSharedMemoryResponse__Output>): grpc.ClientUnaryCall;
  ListSharedMemory(argument: _fspd_v1_ListSharedMemoryRequest, callback: grpc.requestCallback<_fspd_v1_ListSharedMemoryResponse__Output>): grpc.ClientUnaryCall;
  /**
   * The registered regions.
   */
  listSharedMemory(argument: _fspd_v1_ListSharedMemoryRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_ListSharedMemoryResponse__Output>): grpc.ClientUnaryCall;
  listSharedMemory(argument: _fspd_v1_ListSharedMemoryRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_ListSharedMemoryResponse__Output>): grpc.ClientUnaryCall;
  listSharedMemory(argument: _fspd_v1_ListSharedMemoryRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_ListSharedMemoryResponse__Output>): grpc.ClientUnaryCall;
  listSharedMemory(argument: _fspd_v1_ListSharedMemoryRequest, callback: grpc.requestCallback<_fspd_v1_ListSharedMemoryResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Maps a file as a named region, read and written in place until unregistered.
   */
  RegisterSharedMemory(argument: _fspd_v1_RegisterSharedMemoryRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_RegisterSharedMemoryResponse__Output>): grpc.ClientUnaryCall;
  RegisterSharedMemory(argument: _fspd_v1_RegisterSharedMemoryRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_RegisterSharedMemoryResponse__Output>): grpc.ClientUnaryCall;
  RegisterSharedMemory(argument: _fspd_v1_RegisterSharedMemoryRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_RegisterSharedMemoryResponse__Output>): grpc.ClientUnaryCall;
  RegisterSharedMemory(argument: _fspd_v1_RegisterSharedMemoryRequest, callback: grpc.requestCallback<_fspd_v1_RegisterSharedMemoryResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Maps a file as a named region, read and written in place until unregistered.
   */
  registerSharedMemory(argument: _fspd_v1_RegisterSharedMemoryRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_RegisterSharedMemoryResponse__Output>): grpc.ClientUnaryCall;
  registerSharedMemory(argument: _fspd_v1_RegisterSharedMemoryRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_RegisterSharedMemoryResponse__Output>): grpc.ClientUnaryCall;
  registerSharedMemory(argument: _fspd_v1_RegisterSharedMemoryRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_RegisterSharedMemoryResponse__Output>): grpc.ClientUnaryCall;
  registerSharedMemory(argument: _fspd_v1_RegisterSharedMemoryRequest, callback: grpc.requestCallback<_fspd_v1_RegisterSharedMemoryResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Unmaps a region; the file itself stays (it is the client's). Refused while calls in flight use it.
   */
  UnregisterSharedMemory(argument: _fspd_v1_UnregisterSharedMemoryRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_UnregisterSharedMemoryResponse__Output>): grpc.ClientUnaryCall;
  UnregisterSharedMemory(argument: _fspd_v1_UnregisterSharedMemoryRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_UnregisterSharedMemoryResponse__Output>): grpc.ClientUnaryCall;
  UnregisterSharedMemory(argument: _fspd_v1_UnregisterSharedMemoryRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_UnregisterSharedMemoryResponse__Output>): grpc.ClientUnaryCall;
  UnregisterSharedMemory(argument: _fspd_v1_UnregisterSharedMemoryRequest, callback: grpc.requestCallback<_fspd_v1_UnregisterSharedMemoryResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Unmaps a region; the file itself stays (it is the client's). Refused while calls in flight use it.
   */
  unregisterSharedMemory(argument: _fspd_v1_UnregisterSharedMemoryRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_UnregisterSharedMemoryResponse__Output>): grpc.ClientUnaryCall;
  unregisterSharedMemory(argument: _fspd_v1_UnregisterSharedMemoryRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_UnregisterSharedMemoryResponse__Output>): grpc.ClientUnaryCall;
  unregisterSharedMemory(argument: _fspd_v1_UnregisterSharedMemoryRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_UnregisterSharedMemoryResponse__Output>): grpc.ClientUnaryCall;
  unregisterSharedMemory(argument: _fspd_v1_UnregisterSharedMemoryRequest, callback: grpc.requestCallback<_fspd_v1_UnregisterSharedMemoryResponse__Output>): grpc.ClientUnaryCall;
  
}

/**
 * Registers, lists and unregisters shared-memory regions. Errors: FAILED_PRECONDITION when the server has
 * no --shared-memory-dir; INVALID_ARGUMENT naming the field for a bad name, a path that is not a regular
 * file directly in that directory, or a file shorter than byte_size; ALREADY_EXISTS for a taken name or a
 * file already registered under another name (same device and inode); NOT_FOUND for an unknown region;
 * RESOURCE_EXHAUSTED past the region limit, or when the region does not fit the memory budget (--max-memory);
 * FAILED_PRECONDITION (IN_USE, with RetryInfo) when unregistering a region that calls in flight read or write.
 * A call whose tensors lie in a region whose file has shrunk below its byte_size fails with
 * FAILED_PRECONDITION; do not shrink a registered file (a truncation while a call reads it can end the
 * server: unregister first; once unregistering succeeds, no call uses the file).
 */
export interface SharedMemoryServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * The registered regions.
   */
  ListSharedMemory: grpc.handleUnaryCall<_fspd_v1_ListSharedMemoryRequest__Output, _fspd_v1_ListSharedMemoryResponse>;
  
  /**
   * Maps a file as a named region, read and written in place until unregistered.
   */
  RegisterSharedMemory: grpc.handleUnaryCall<_fspd_v1_RegisterSharedMemoryRequest__Output, _fspd_v1_RegisterSharedMemoryResponse>;
  
  /**
   * Unmaps a region; the file itself stays (it is the client's). Refused while calls in flight use it.
   */
  UnregisterSharedMemory: grpc.handleUnaryCall<_fspd_v1_UnregisterSharedMemoryRequest__Output, _fspd_v1_UnregisterSharedMemoryResponse>;
  
}

export interface SharedMemoryServiceDefinition extends grpc.ServiceDefinition {
  ListSharedMemory: MethodDefinition<_fspd_v1_ListSharedMemoryRequest, _fspd_v1_ListSharedMemoryResponse, _fspd_v1_ListSharedMemoryRequest__Output, _fspd_v1_ListSharedMemoryResponse__Output>
  RegisterSharedMemory: MethodDefinition<_fspd_v1_RegisterSharedMemoryRequest, _fspd_v1_RegisterSharedMemoryResponse, _fspd_v1_RegisterSharedMemoryRequest__Output, _fspd_v1_RegisterSharedMemoryResponse__Output>
  UnregisterSharedMemory: MethodDefinition<_fspd_v1_UnregisterSharedMemoryRequest, _fspd_v1_UnregisterSharedMemoryResponse, _fspd_v1_UnregisterSharedMemoryRequest__Output, _fspd_v1_UnregisterSharedMemoryResponse__Output>
}
