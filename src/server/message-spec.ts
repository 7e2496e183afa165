// Message specs for message-codec.ts, read from a proto-loader package definition's descriptors: each
// field's name (camelCased, as proto-loader gives it), number, kind, wire type, enum names and sub-message,
// so the codec follows the proto files without hand-written field numbers. What the codec does not
// implement (oneofs, maps, proto3 optional, sint/fixed types) is refused here, at start.
import type { PackageDefinition } from '@grpc/proto-loader';
import { WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT } from './wire.js';

export type Kind = 'double' | 'float' | 'int64' | 'uint64' | 'int32' | 'uint32' | 'bool' | 'string' | 'bytes' | 'enum' | 'message';

const KINDS: Record<string, Kind> = {
  TYPE_DOUBLE: 'double',
  TYPE_FLOAT: 'float',
  TYPE_INT64: 'int64',
  TYPE_UINT64: 'uint64',
  TYPE_INT32: 'int32',
  TYPE_UINT32: 'uint32',
  TYPE_BOOL: 'bool',
  TYPE_STRING: 'string',
  TYPE_BYTES: 'bytes',
  TYPE_ENUM: 'enum',
  TYPE_MESSAGE: 'message',
};

const WIRE: Record<Kind, number> = {
  double: WIRE_I64,
  float: WIRE_I32,
  int64: WIRE_VARINT,
  uint64: WIRE_VARINT,
  int32: WIRE_VARINT,
  uint32: WIRE_VARINT,
  bool: WIRE_VARINT,
  enum: WIRE_VARINT,
  string: WIRE_LEN,
  bytes: WIRE_LEN,
  message: WIRE_LEN,
};

export interface EnumSpec {
  byNumber: Map<number, string>;
  byName: Map<string, number>;
  /** The first value's name: proto3's default. */
  defaultName: string;
}

export interface Field {
  name: string;
  /** The proto name, for error paths. */
  protoName: string;
  number: number;
  kind: Kind;
  repeated: boolean;
  /** Encode a repeated scalar packed (proto3's default unless [packed = false]). */
  packed: boolean;
  wire: number;
  enumType?: EnumSpec;
  message?: MessageSpec;
}

export interface MessageSpec {
  fullName: string;
  fields: Field[];
  byNumber: Map<number, Field>;
}

interface FieldDescriptor {
  name: string;
  number: number;
  label: string;
  type: string;
  typeName: string;
  options: { packed?: boolean } | null;
  oneofIndex?: number;
  proto3Optional?: boolean;
}

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * The specs of message `fullName` and of the messages it contains (`specs` caches them by full name).
 * Throws for what the codec does not implement, so a proto change that needs it fails at start, not on the wire.
 */
export function messageSpec(definition: PackageDefinition, fullName: string, specs = new Map<string, MessageSpec>()): MessageSpec {
  const known = specs.get(fullName);
  if (known) return known;
  const entry = definition[fullName] as { format?: string; type?: { field: FieldDescriptor[]; oneofDecl: unknown[]; nestedType: { options: { mapEntry?: boolean } | null }[] } } | undefined;
  if (!entry?.type || !entry.format?.endsWith('DescriptorProto') || entry.format.endsWith('EnumDescriptorProto')) throw new Error(`message-codec: no message ${fullName}`);
  if (entry.type.oneofDecl.length) throw new Error(`message-codec: ${fullName} has oneofs, which this codec does not implement`);
  // A map field's entry type is nested in its message (and not in the definition itself).
  if (entry.type.nestedType.some((t) => t.options?.mapEntry)) throw new Error(`message-codec: ${fullName} has a map field, which this codec does not implement`);
  const spec: MessageSpec = { fullName, fields: [], byNumber: new Map() };
  specs.set(fullName, spec); // before the fields: messages may contain themselves
  for (const f of entry.type.field) {
    const kind = KINDS[f.type];
    if (!kind || f.proto3Optional) throw new Error(`message-codec: ${fullName}.${f.name} is ${f.proto3Optional ? 'proto3 optional' : f.type}, which this codec does not implement`);
    const field: Field = {
      name: f.name,
      protoName: snake(f.name),
      number: f.number,
      kind,
      repeated: f.label === 'LABEL_REPEATED',
      packed: f.options?.packed !== false,
      wire: WIRE[kind],
    };
    if (kind === 'enum') field.enumType = enumSpec(definition, resolve(definition, fullName, f.typeName, 'EnumDescriptorProto'));
    if (kind === 'message') {
      field.message = messageSpec(definition, resolve(definition, fullName, f.typeName, 'DescriptorProto'), specs);
    }
    spec.fields.push(field);
    spec.byNumber.set(field.number, field);
  }
  return spec;
}

/** A type name as written in the proto, resolved from the scope of message `from` outwards. */
function resolve(definition: PackageDefinition, from: string, typeName: string, format: string): string {
  if (typeName.startsWith('.')) typeName = typeName.slice(1);
  const scope = from.split('.');
  for (let i = scope.length; i >= 0; i--) {
    const name = [...scope.slice(0, i), typeName].join('.');
    const entry = definition[name] as { format?: string } | undefined;
    if (entry?.format?.endsWith(format) && (format !== 'DescriptorProto' || !entry.format.endsWith('EnumDescriptorProto'))) return name;
  }
  throw new Error(`message-codec: cannot resolve ${typeName} from ${from}`);
}

function enumSpec(definition: PackageDefinition, fullName: string): EnumSpec {
  const values = (definition[fullName] as unknown as { type: { value: { name: string; number: number }[] } }).type.value;
  const byNumber = new Map<number, string>();
  // With aliases, protobufjs names a number by its last value.
  for (const v of values) byNumber.set(v.number, v.name);
  return { byNumber, byName: new Map(values.map((v) => [v.name, v.number])), defaultName: values[0]!.name };
}

/** Repeated fields of these kinds may be packed. */
export const isPackable = (f: Field) => f.wire !== WIRE_LEN;
