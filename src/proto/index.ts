// The fspd protos loaded at run time with @grpc/proto-loader, for the server, the TS client and tools alike.
// The same files generate src/generated (scripts/gen.mjs), whose types describe these objects as long as
// LOADER_OPTIONS match gen.mjs's flags.
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import type { ProtoGrpcType as FspProto } from '../generated/fsp_service.js';
import type { ProtoGrpcType as ModelProto } from '../generated/model_service.js';
import type { ProtoGrpcType as SharedMemoryProto } from '../generated/shared_memory_service.js';
import type { ProtoGrpcType as TrainingProto } from '../generated/training_service.js';

export const PROTO_DIR = fileURLToPath(new URL('../../proto', import.meta.url));
export const PROTO_FILES = ['fspd/v1/fsp_service.proto', 'fspd/v1/model_service.proto', 'fspd/v1/training_service.proto', 'fspd/v1/shared_memory_service.proto'];

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

export type FspdProto = FspProto & ModelProto & TrainingProto & SharedMemoryProto;

/** Package definition of every fspd service, for servers, reflection and dynamic clients. */
export function loadFspdDefinition(): protoLoader.PackageDefinition {
  return protoLoader.loadSync(PROTO_FILES, LOADER_OPTIONS);
}

/** The grpc.health.v1 package definition (from grpc-health-check), so reflection can describe it too. */
export function loadHealthDefinition(): protoLoader.PackageDefinition {
  return protoLoader.loadSync(healthProtoPath, LOADER_OPTIONS);
}

export function fspdGrpcObject(definition = loadFspdDefinition()): FspdProto {
  return grpc.loadPackageDefinition(definition) as unknown as FspdProto;
}
