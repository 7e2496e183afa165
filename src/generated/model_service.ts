import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { ModelServiceClient as _fspd_v1_ModelServiceClient, ModelServiceDefinition as _fspd_v1_ModelServiceDefinition } from './fspd/v1/ModelService.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  fspd: {
    v1: {
      CreateModelRequest: MessageTypeDefinition
      CreateModelResponse: MessageTypeDefinition
      DataType: EnumTypeDefinition
      DeleteModelRequest: MessageTypeDefinition
      DeleteModelResponse: MessageTypeDefinition
      ExportModelRequest: MessageTypeDefinition
      ExportModelResponse: MessageTypeDefinition
      FeaturePair: MessageTypeDefinition
      GetModelRequest: MessageTypeDefinition
      GetModelResponse: MessageTypeDefinition
      Layout: EnumTypeDefinition
      ListModelsRequest: MessageTypeDefinition
      ListModelsResponse: MessageTypeDefinition
      Model: MessageTypeDefinition
      ModelOrigin: EnumTypeDefinition
      /**
       * The server's model registry. Teachers and students of training sessions, and TeacherFsp's teachers,
       * are models from here. Errors: NOT_FOUND (unknown id), ALREADY_EXISTS (id taken), FAILED_PRECONDITION
       * (model in use by a session), RESOURCE_EXHAUSTED (model limit, --max-model-size, or the memory budget,
       * checked before an upload's weights arrive; the message names the flag that raises the limit).
       */
      ModelService: SubtypeConstructor<typeof grpc.Client, _fspd_v1_ModelServiceClient> & { service: _fspd_v1_ModelServiceDefinition }
      Pooling: EnumTypeDefinition
      Reduction: EnumTypeDefinition
      ResNetSpec: MessageTypeDefinition
      SharedMemoryRef: MessageTypeDefinition
      Tap: MessageTypeDefinition
      TapPair: MessageTypeDefinition
      Tensor: MessageTypeDefinition
      UploadModelHeader: MessageTypeDefinition
      UploadModelRequest: MessageTypeDefinition
      UploadModelResponse: MessageTypeDefinition
    }
  }
  google: {
    protobuf: {
      Timestamp: MessageTypeDefinition
    }
  }
}

