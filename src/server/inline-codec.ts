// FspService on the wire through message-codec.ts instead of protobufjs: the grpc-js service definition
// keeps its paths and types but decodes requests with tensor bytes as views of the received message (no
// copy, and float32 data moved in place to a 4-byte boundary rather than copied out by codec.ts), and
// encodes responses in one pass into one buffer. grpc-js hands the deserialiser a buffer it has just
// assembled and does not read again, and copies what the serialiser returns behind its 5-byte frame header.
//
// A request that does not parse is answered INVALID_ARGUMENT naming the field (a throwing deserialiser
// would be INTERNAL in grpc-js): the deserialiser returns a MalformedRequest, which rpc.ts's handlers
// answer before the service's own code runs (and a DecoderBug for its own failures, answered INTERNAL
// and logged like any bug).
import * as grpc from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { decode, encode, messageSpec, type Decoded, type MessageSpec } from './message-codec.js';
import { DecoderBug, MalformedRequest } from './rpc.js';
import { WireError } from './wire.js';

/**
 * Where responses are encoded: one buffer reused by every call, since grpc-js copies the serialised message
 * into its frame before anything else runs (BaseServerInterceptingCall.serializeMessage), so it is free again
 * by the next response. Reusing it saves a fresh allocation per response — its first-touch page faults and
 * the garbage collections that external memory triggers. Responses over SCRATCH_MAX get their own buffer.
 */
const SCRATCH_MAX = 32 * 1024 ** 2;
let scratchBuffer = Buffer.alloc(0);
function scratch(size: number): Buffer {
  if (size > SCRATCH_MAX) return Buffer.allocUnsafe(size);
  if (size > scratchBuffer.length) scratchBuffer = Buffer.allocUnsafeSlow(Math.min(SCRATCH_MAX, Math.max(size, 2 * scratchBuffer.length)));
  return scratchBuffer;
}

/**
 * Work to run once a response has been serialised, i.e. its bytes copied into the reply: e.g. giving back
 * arrays the response only borrowed (FspLoss's gradients, kept-arrays.ts). A response that is never
 * serialised (a cancelled call) drops its entry with itself.
 */
const encodedHooks = new WeakMap<object, () => void>();
export function afterEncoding(response: object, hook: () => void): void {
  encodedHooks.set(response, hook);
}

function runEncodedHook(response: unknown): void {
  if (typeof response !== 'object' || response === null) return;
  const hook = encodedHooks.get(response);
  if (!hook) return;
  encodedHooks.delete(response);
  hook();
}

interface MethodTypes {
  requestType: { type: { name: string } };
  responseType: { type: { name: string } };
  requestStream: boolean;
  responseStream: boolean;
}

/**
 * `service` (named `serviceName` in `definition`) with every unary method's request deserialiser and
 * response serialiser replaced by message-codec.ts's (the client side of the definition is left alone).
 */
export function withMessageCodec(service: grpc.ServiceDefinition, definition: PackageDefinition, serviceName: string): grpc.ServiceDefinition {
  const pkg = serviceName.slice(0, serviceName.lastIndexOf('.'));
  const specs = new Map<string, MessageSpec>();
  const spec = (type: { type: { name: string } }) => messageSpec(definition, `${pkg}.${type.type.name}`, specs);
  const outService: Record<string, grpc.MethodDefinition<unknown, unknown>> = { ...service };
  for (const [name, method] of Object.entries(service)) {
    const m = method as unknown as MethodTypes;
    if (m.requestStream || m.responseStream) continue;
    const request = spec(m.requestType);
    const response = spec(m.responseType);
    const what = `malformed ${request.fullName.slice(pkg.length + 1)}`;
    outService[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return decode(request, bytes);
        } catch (err) {
          if (err instanceof WireError) return new MalformedRequest(`${what}: ${err.message}`);
          // Thrown here, grpc-js would answer INTERNAL unlogged: the handler rethrows it instead.
          return new DecoderBug(err);
        }
      },
      responseSerialize: (value: unknown) => {
        const bytes = encode(response, value as Decoded, scratch);
        runEncodedHook(value);
        return bytes;
      },
    };
  }
  return outService as grpc.ServiceDefinition;
}
