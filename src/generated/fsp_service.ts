import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { FspServiceClient as _fspd_v1_FspServiceClient, FspServiceDefinition as _fspd_v1_FspServiceDefinition } from './fspd/v1/FspService.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  fspd: {
    v1: {
      ComputeFspRequest: MessageTypeDefinition
      ComputeFspResponse: MessageTypeDefinition
      DataType: EnumTypeDefinition
      FeaturePair: MessageTypeDefinition
      FspLossRequest: MessageTypeDefinition
      FspLossResponse: MessageTypeDefinition
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
      FspService: SubtypeConstructor<typeof grpc.Client, _fspd_v1_FspServiceClient> & { service: _fspd_v1_FspServiceDefinition }
      Layout: EnumTypeDefinition
      Pooling: EnumTypeDefinition
      Reduction: EnumTypeDefinition
      SharedMemoryRef: MessageTypeDefinition
      TapPair: MessageTypeDefinition
      TeacherFspRequest: MessageTypeDefinition
      TeacherFspResponse: MessageTypeDefinition
      Tensor: MessageTypeDefinition
    }
  }
}

