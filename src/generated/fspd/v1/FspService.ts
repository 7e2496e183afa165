// Original file: proto/fspd/v1/fsp_service.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ComputeFspRequest as _fspd_v1_ComputeFspRequest, ComputeFspRequest__Output as _fspd_v1_ComputeFspRequest__Output } from '../../fspd/v1/ComputeFspRequest.js';
import type { ComputeFspResponse as _fspd_v1_ComputeFspResponse, ComputeFspResponse__Output as _fspd_v1_ComputeFspResponse__Output } from '../../fspd/v1/ComputeFspResponse.js';
import type { FspLossRequest as _fspd_v1_FspLossRequest, FspLossRequest__Output as _fspd_v1_FspLossRequest__Output } from '../../fspd/v1/FspLossRequest.js';
import type { FspLossResponse as _fspd_v1_FspLossResponse, FspLossResponse__Output as _fspd_v1_FspLossResponse__Output } from '../../fspd/v1/FspLossResponse.js';
import type { TeacherFspRequest as _fspd_v1_TeacherFspRequest, TeacherFspRequest__Output as _fspd_v1_TeacherFspRequest__Output } from '../../fspd/v1/TeacherFspRequest.js';
import type { TeacherFspResponse as _fspd_v1_TeacherFspResponse, TeacherFspResponse__Output as _fspd_v1_TeacherFspResponse__Output } from '../../fspd/v1/TeacherFspResponse.js';

/**
 * FSP matrices and the FSP loss (Yim et al. 2017, docs/PAPER.md). Errors: INVALID_ARGUMENT naming the field
 * (e.g. `student[1].second.shape`); RESOURCE_EXHAUSTED when a message exceeds the server's size limit, a
 * call would make more FSP-matrix elements than --max-output-elements, a TeacherFsp batch passes
 * --max-batch, the memory budget (--max-memory) has no room for the call, or the queue of compute calls is
 * full (--max-queued; retry with backoff); the message names the limit and the flag that raises it. A call
 * waiting in that queue ends with CANCELLED or DEADLINE_EXCEEDED when its client cancels or its deadline passes.
 * Requests are read from the network --max-receiving at a time (default 1): one waits unread, held back by
 * HTTP/2 flow control, while those ahead of it arrive (up to 250 ms each), and its deadline covers the wait.
 */
export interface FspServiceClient extends grpc.Client {
  /**
   * The FSP matrix [B, C1, C2] of each pair.
   */
  ComputeFsp(argument: _fspd_v1_ComputeFspRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_ComputeFspResponse__Output>): grpc.ClientUnaryCall;
  ComputeFsp(argument: _fspd_v1_ComputeFspRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_ComputeFspResponse__Output>): grpc.ClientUnaryCall;
  ComputeFsp(argument: _fspd_v1_ComputeFspRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_ComputeFspResponse__Output>): grpc.ClientUnaryCall;
  ComputeFsp(argument: _fspd_v1_ComputeFspRequest, callback: grpc.requestCallback<_fspd_v1_ComputeFspResponse__Output>): grpc.ClientUnaryCall;
  /**
   * The FSP matrix [B, C1, C2] of each pair.
   */
  computeFsp(argument: _fspd_v1_ComputeFspRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_ComputeFspResponse__Output>): grpc.ClientUnaryCall;
  computeFsp(argument: _fspd_v1_ComputeFspRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_ComputeFspResponse__Output>): grpc.ClientUnaryCall;
  computeFsp(argument: _fspd_v1_ComputeFspRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_ComputeFspResponse__Output>): grpc.ClientUnaryCall;
  computeFsp(argument: _fspd_v1_ComputeFspRequest, callback: grpc.requestCallback<_fspd_v1_ComputeFspResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * The FSP loss between student and teacher pairs, and on request its gradients w.r.t. the student maps.
   */
  FspLoss(argument: _fspd_v1_FspLossRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_FspLossResponse__Output>): grpc.ClientUnaryCall;
  FspLoss(argument: _fspd_v1_FspLossRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_FspLossResponse__Output>): grpc.ClientUnaryCall;
  FspLoss(argument: _fspd_v1_FspLossRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_FspLossResponse__Output>): grpc.ClientUnaryCall;
  FspLoss(argument: _fspd_v1_FspLossRequest, callback: grpc.requestCallback<_fspd_v1_FspLossResponse__Output>): grpc.ClientUnaryCall;
  /**
   * The FSP loss between student and teacher pairs, and on request its gradients w.r.t. the student maps.
   */
  fspLoss(argument: _fspd_v1_FspLossRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_FspLossResponse__Output>): grpc.ClientUnaryCall;
  fspLoss(argument: _fspd_v1_FspLossRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_FspLossResponse__Output>): grpc.ClientUnaryCall;
  fspLoss(argument: _fspd_v1_FspLossRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_FspLossResponse__Output>): grpc.ClientUnaryCall;
  fspLoss(argument: _fspd_v1_FspLossRequest, callback: grpc.requestCallback<_fspd_v1_FspLossResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * A server-held teacher's FSP matrices for an input batch, cached per sample id.
   */
  TeacherFsp(argument: _fspd_v1_TeacherFspRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_TeacherFspResponse__Output>): grpc.ClientUnaryCall;
  TeacherFsp(argument: _fspd_v1_TeacherFspRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_TeacherFspResponse__Output>): grpc.ClientUnaryCall;
  TeacherFsp(argument: _fspd_v1_TeacherFspRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_TeacherFspResponse__Output>): grpc.ClientUnaryCall;
  TeacherFsp(argument: _fspd_v1_TeacherFspRequest, callback: grpc.requestCallback<_fspd_v1_TeacherFspResponse__Output>): grpc.ClientUnaryCall;
  /**
   * A server-held teacher's FSP matrices for an input batch, cached per sample id.
   */
  teacherFsp(argument: _fspd_v1_TeacherFspRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_TeacherFspResponse__Output>): grpc.ClientUnaryCall;
  teacherFsp(argument: _fspd_v1_TeacherFspRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fspd_v1_TeacherFspResponse__Output>): grpc.ClientUnaryCall;
  teacherFsp(argument: _fspd_v1_TeacherFspRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fspd_v1_TeacherFspResponse__Output>): grpc.ClientUnaryCall;
  teacherFsp(argument: _fspd_v1_TeacherFspRequest, callback: grpc.requestCallback<_fspd_v1_TeacherFspResponse__Output>): grpc.ClientUnaryCall;
  
}

/**
 * FSP matrices and the FSP loss (Yim et al. 2017, docs/PAPER.md). Errors: INVALID_ARGUMENT naming the field
 * (e.g. `student[1].second.shape`); RESOURCE_EXHAUSTED when a message exceeds the server's size limit, a
 * call would make more FSP-matrix elements than --max-output-elements, a TeacherFsp batch passes
 * --max-batch, the memory budget (--max-memory) has no room for the call, or the queue of compute calls is
 * full (--max-queued; retry with backoff); the message names the limit and the flag that raises it. A call
 * waiting in that queue ends with CANCELLED or DEADLINE_EXCEEDED when its client cancels or its deadline passes.
 * Requests are read from the network --max-receiving at a time (default 1): one waits unread, held back by
 * HTTP/2 flow control, while those ahead of it arrive (up to 250 ms each), and its deadline covers the wait.
 */
export interface FspServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * The FSP matrix [B, C1, C2] of each pair.
   */
  ComputeFsp: grpc.handleUnaryCall<_fspd_v1_ComputeFspRequest__Output, _fspd_v1_ComputeFspResponse>;
  
  /**
   * The FSP loss between student and teacher pairs, and on request its gradients w.r.t. the student maps.
   */
  FspLoss: grpc.handleUnaryCall<_fspd_v1_FspLossRequest__Output, _fspd_v1_FspLossResponse>;
  
  /**
   * A server-held teacher's FSP matrices for an input batch, cached per sample id.
   */
  TeacherFsp: grpc.handleUnaryCall<_fspd_v1_TeacherFspRequest__Output, _fspd_v1_TeacherFspResponse>;
  
}

export interface FspServiceDefinition extends grpc.ServiceDefinition {
  ComputeFsp: MethodDefinition<_fspd_v1_ComputeFspRequest, _fspd_v1_ComputeFspResponse, _fspd_v1_ComputeFspRequest__Output, _fspd_v1_ComputeFspResponse__Output>
  FspLoss: MethodDefinition<_fspd_v1_FspLossRequest, _fspd_v1_FspLossResponse, _fspd_v1_FspLossRequest__Output, _fspd_v1_FspLossResponse__Output>
  TeacherFsp: MethodDefinition<_fspd_v1_TeacherFspRequest, _fspd_v1_TeacherFspResponse, _fspd_v1_TeacherFspRequest__Output, _fspd_v1_TeacherFspResponse__Output>
}
