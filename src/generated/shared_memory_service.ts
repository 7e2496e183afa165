import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { SharedMemoryServiceClient as _fspd_v1_SharedMemoryServiceClient, SharedMemoryServiceDefinition as _fspd_v1_SharedMemoryServiceDefinition } from './fspd/v1/SharedMemoryService.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  fspd: {
    v1: {
      ListSharedMemoryRequest: MessageTypeDefinition
      ListSharedMemoryResponse: MessageTypeDefinition
      RegisterSharedMemoryRequest: MessageTypeDefinition
      RegisterSharedMemoryResponse: MessageTypeDefinition
      SharedMemoryRegion: MessageTypeDefinition
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
      SharedMemoryService: SubtypeConstructor<typeof grpc.Client, _fspd_v1_SharedMemoryServiceClient> & { service: _fspd_v1_SharedMemoryServiceDefinition }
      UnregisterSharedMemoryRequest: MessageTypeDefinition
      UnregisterSharedMemoryResponse: MessageTypeDefinition
    }
  }
}

