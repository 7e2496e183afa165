import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { TrainingServiceClient as _fspd_v1_TrainingServiceClient, TrainingServiceDefinition as _fspd_v1_TrainingServiceDefinition } from './fspd/v1/TrainingService.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  fspd: {
    v1: {
      Batch: MessageTypeDefinition
      CacheStats: MessageTypeDefinition
      Checkpoint: MessageTypeDefinition
      CreateSessionRequest: MessageTypeDefinition
      CreateSessionResponse: MessageTypeDefinition
      DataType: EnumTypeDefinition
      DatasetName: EnumTypeDefinition
      DatasetSpec: MessageTypeDefinition
      DeleteSessionRequest: MessageTypeDefinition
      DeleteSessionResponse: MessageTypeDefinition
      Distillation: MessageTypeDefinition
      EvaluateRequest: MessageTypeDefinition
      EvaluateResponse: MessageTypeDefinition
      Evaluation: MessageTypeDefinition
      FeaturePair: MessageTypeDefinition
      GetSessionRequest: MessageTypeDefinition
      GetSessionResponse: MessageTypeDefinition
      Layout: EnumTypeDefinition
      ListSessionsRequest: MessageTypeDefinition
      ListSessionsResponse: MessageTypeDefinition
      Optimizer: MessageTypeDefinition
      OptimizerKind: EnumTypeDefinition
      Pooling: EnumTypeDefinition
      Reduction: EnumTypeDefinition
      RestoreCheckpointRequest: MessageTypeDefinition
      RestoreCheckpointResponse: MessageTypeDefinition
      RunProgress: MessageTypeDefinition
      RunRequest: MessageTypeDefinition
      RunResponse: MessageTypeDefinition
      SaveCheckpointRequest: MessageTypeDefinition
      SaveCheckpointResponse: MessageTypeDefinition
      Schedule: MessageTypeDefinition
      Session: MessageTypeDefinition
      SessionPair: MessageTypeDefinition
      SessionSpec: MessageTypeDefinition
      SessionState: EnumTypeDefinition
      SetStageRequest: MessageTypeDefinition
      SetStageResponse: MessageTypeDefinition
      SharedMemoryRef: MessageTypeDefinition
      Split: EnumTypeDefinition
      Stage: EnumTypeDefinition
      StepResult: MessageTypeDefinition
      TapPair: MessageTypeDefinition
      Tensor: MessageTypeDefinition
      TrainRequest: MessageTypeDefinition
      TrainResponse: MessageTypeDefinition
      TrainStepRequest: MessageTypeDefinition
      TrainStepResponse: MessageTypeDefinition
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
      TrainingService: SubtypeConstructor<typeof grpc.Client, _fspd_v1_TrainingServiceClient> & { service: _fspd_v1_TrainingServiceDefinition }
    }
  }
  google: {
    protobuf: {
      Timestamp: MessageTypeDefinition
    }
  }
}

