import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';


type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  fspd: {
    v1: {
      DataType: EnumTypeDefinition
      FeaturePair: MessageTypeDefinition
      Layout: EnumTypeDefinition
      Pooling: EnumTypeDefinition
      Reduction: EnumTypeDefinition
      SharedMemoryRef: MessageTypeDefinition
      TapPair: MessageTypeDefinition
      Tensor: MessageTypeDefinition
    }
  }
}

