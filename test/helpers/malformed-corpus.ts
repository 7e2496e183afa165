// A generated corpus of malformed and edge requests over every fspd RPC, each with the status it must get:
// bytes that are not a message of the request type, ids of every bad shape (empty, unknown, 100 KiB,
// control characters, path traversal), wrong enum numbers, NaN/Inf, negative and overflowing dims,
// mismatched shapes and counts, unknown references, and stream protocol errors. Used by
// test/server-fuzz.test.ts against a server holding the fixtures below.
import * as grpc from '@grpc/grpc-js';

/** What the server holds when the corpus runs (the test creates these). */
export const FIXTURES = {
  student: 'fz-student',
  teacher: 'fz-teacher',
  /** A model no session uses. */
  other: 'fz-other',
  session: 'fz-session',
  /** A region of REGION_BYTES bytes over the file REGION_FILE in the shared-memory directory. */
  region: 'fz-region',
  regionFile: 'fz-region.bin',
  regionBytes: 4096,
  /** The models' input [h, w, c] and classes. */
  input: [8, 8, 3] as const,
  classes: 10,
} as const;

export interface Case {
  name: string;
  /** `Service/Method` within fspd.v1. */
  rpc: string;
  /** The request messages: objects are encoded with the method's serializer, Buffers are sent as they are. */
  messages: Array<object | Buffer>;
  /** The status the call must end with. */
  code: grpc.status;
  /** The ErrorInfo reason it must carry, when the case pins one. */
  reason?: string;
  /** A field violation it must carry (INVALID_ARGUMENT), when the case pins one. */
  field?: string;
}

export const RPCS = {
  FspService: ['ComputeFsp', 'FspLoss', 'TeacherFsp'],
  ModelService: ['CreateModel', 'UploadModel', 'GetModel', 'ListModels', 'DeleteModel', 'ExportModel'],
  TrainingService: ['CreateSession', 'GetSession', 'ListSessions', 'DeleteSession', 'TrainStep', 'Train', 'Run', 'Evaluate', 'SetStage', 'SaveCheckpoint', 'RestoreCheckpoint'],
  SharedMemoryService: ['RegisterSharedMemory', 'UnregisterSharedMemory', 'ListSharedMemory'],
} as const;

const { INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION, ALREADY_EXISTS, OK, RESOURCE_EXHAUSTED } = grpc.status;

// ---- building blocks ----

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

const tag = (field: number, wire: number) => varint(field * 8 + wire);

/** Bytes that no message type parses: each breaks the wire format in its own way (field 2047 is unknown everywhere). */
export const MALFORMED_BYTES: Array<[string, Buffer]> = [
  ['a length past the end', Buffer.from([...tag(2047, 2), 100, 1])],
  ['wire type 7', Buffer.from(tag(2047, 7))],
  ['wire type 6', Buffer.from(tag(2047, 6))],
  ['an end-group without a start', Buffer.from(tag(2047, 4))],
  ['a truncated fixed64', Buffer.from([...tag(2047, 1), 1, 2, 3])],
  ['a truncated fixed32', Buffer.from([...tag(2047, 5), 1])],
  ['a truncated tag', Buffer.from([0x80])],
];

/**
 * Bytes that FspService's own codec refuses but protobufjs (the other services) skips as an unknown field,
 * as the protobuf spec lets a parser do: asserted on FspService only.
 */
export const STRICT_MALFORMED_BYTES: Array<[string, Buffer]> = [
  ['an 11-byte varint', Buffer.from([...tag(2047, 0), ...Array(10).fill(0xff), 0x01])],
  ['field number 0', Buffer.from([0x02, 0x00])],
];

/**
 * Known fields (1-4) with the wrong wire type or garbage inside: FspService's codec refuses them, protobufjs
 * (the other services) reads some leniently as another value, so what status each gets depends on the
 * parser; the corpus asserts only that none is INTERNAL or UNKNOWN and that the reply stays small.
 */
export const WRONG_WIRE_TYPES: Array<[string, Buffer]> = [
  ['field 1 as a varint', Buffer.from([...tag(1, 0), 5])],
  ['field 1 as a fixed32', Buffer.from([...tag(1, 5), 1, 2, 3, 4])],
  ['field 1 as a fixed64', Buffer.from([...tag(1, 1), 1, 2, 3, 4, 5, 6, 7, 8])],
  ['field 2 as a fixed32', Buffer.from([...tag(2, 5), 1, 2, 3, 4])],
  ['field 3 as a 10-byte varint', Buffer.from([...tag(3, 0), ...Array(9).fill(0xff), 0x01])],
  ['field 1 holding invalid UTF-8 or a bad sub-message', Buffer.from([...tag(1, 2), 3, 0xff, 0xfe, 0xfd])],
  ['field 2 holding a bad sub-message', Buffer.from([...tag(2, 2), 3, 0xff, 0xfe, 0xfd])],
  ['field 4 holding a truncated varint', Buffer.from([...tag(4, 2), 3, 0x08, 0xff, 0xff])],
];

const floats = (n: number, value = 0.5) => Buffer.from(new Float32Array(n).fill(value).buffer);
const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** A float32 tensor of `shape` (data for `elements` values, default the shape's). */
function tensor(shape: readonly number[], elements = product(shape), value = 0.5): object {
  return { dtype: 'DATA_TYPE_FLOAT32', shape: [...shape], data: floats(elements, value) };
}

/** An NHWC pair of maps [b, h, w, c1] and [b, h, w, c2]. */
function pair(b: number, h: number, w: number, c1: number, c2: number, value = 0.5): object {
  return { first: tensor([b, h, w, c1], undefined, value), second: tensor([b, h, w, c2], undefined, value), layout: 'LAYOUT_NHWC' };
}

const HUGE = 'x'.repeat(100 * 1024);
const HUGE_UNICODE = '\u{1F642}'.repeat(20 * 1024);
/** Ids that name nothing, each odd in its own way. */
const UNKNOWN_IDS: Array<[string, string]> = [
  ['an empty id', ''],
  ['an unknown id', 'no-such-thing'],
  ['a 100 KiB id', HUGE],
  ['an 80 KiB emoji id', HUGE_UNICODE],
  ['an id with NUL and newlines', 'a\u0000b\nc\r\n'],
  ['a path-traversal id', '../../../etc/passwd'],
  ['an upper-case id', 'UPPER'],
];
/** Ids a create refuses as malformed. */
const BAD_NEW_IDS: Array<[string, string]> = UNKNOWN_IDS.filter(([, id]) => id !== '' && id !== 'no-such-thing');

const images = (b: number, hwc: readonly number[] = FIXTURES.input, value = 0.5) => tensor([b, ...hwc], undefined, value);
const labels = (values: number[]) => ({ dtype: 'DATA_TYPE_INT32', shape: [values.length], data: Buffer.from(Int32Array.from(values).buffer) });
const batch = (b: number, extra: object = {}) => ({ images: images(b), labels: labels(Array.from({ length: b }, (_, i) => i % FIXTURES.classes)), ...extra });

// ---- the corpus ----

export function corpus(): Case[] {
  const cases: Case[] = [];
  const add = (rpc: string, name: string, messages: Array<object | Buffer>, code: grpc.status, pin: { reason?: string; field?: string } = {}) =>
    cases.push({ rpc, name, messages, code, ...pin });
  const bad = (rpc: string, name: string, message: object, field?: string) => add(rpc, name, [message], INVALID_ARGUMENT, field ? { field } : {});

  // Every RPC: bytes that do not parse.
  for (const [service, methods] of Object.entries(RPCS)) {
    for (const method of methods) {
      const patterns = service === 'FspService' ? [...MALFORMED_BYTES, ...STRICT_MALFORMED_BYTES] : MALFORMED_BYTES;
      for (const [what, bytes] of patterns) add(`${service}/${method}`, `malformed: ${what}`, [bytes], INVALID_ARGUMENT, { reason: 'MALFORMED_REQUEST' });
    }
  }

  // Every RPC that looks an id up: ids that name nothing.
  const { student, teacher, other, session, region } = FIXTURES;
  for (const [what, id] of UNKNOWN_IDS) {
    const notFound = (rpc: string, message: object) => add(rpc, what, [message], NOT_FOUND, { reason: 'NOT_FOUND' });
    notFound('ModelService/GetModel', { modelId: id });
    notFound('ModelService/DeleteModel', { modelId: id });
    notFound('ModelService/ExportModel', { modelId: id });
    notFound('TrainingService/GetSession', { sessionId: id });
    notFound('TrainingService/DeleteSession', { sessionId: id });
    notFound('TrainingService/TrainStep', { sessionId: id, batch: batch(2) });
    notFound('TrainingService/SetStage', { sessionId: id, stage: 'STAGE_FSP' });
    notFound('TrainingService/SaveCheckpoint', { sessionId: id });
    notFound('TrainingService/RestoreCheckpoint', { sessionId: id });
    notFound('TrainingService/Run', { sessionId: id, dataset: { name: 'DATASET_NAME_MNIST' } });
    notFound('TrainingService/Evaluate', { sessionId: id, batch: batch(2) });
    notFound('TrainingService/Evaluate', { modelId: id, batch: batch(2) });
    notFound('FspService/TeacherFsp', { modelId: id, images: images(1) });
    notFound('TrainingService/CreateSession', { spec: { studentModelId: id || 'still-missing', teacherModelId: teacher } });
    notFound('TrainingService/CreateSession', { spec: { studentModelId: student, teacherModelId: id || 'still-missing' } });
    notFound('TrainingService/RestoreCheckpoint', { sessionId: session, checkpointId: id || 'still-missing' });
    notFound('SharedMemoryService/UnregisterSharedMemory', { name: id });
    if (id !== '') {
      add('TrainingService/Train', what, [{ sessionId: id, batch: batch(2) }], NOT_FOUND, { reason: 'NOT_FOUND' });
      bad('FspService/ComputeFsp', `a shared-memory tensor in ${what} region`, { pairs: [{ first: { dtype: 'DATA_TYPE_FLOAT32', shape: [1, 2, 2, 1], sharedMemory: { region: id, offset: 0 } }, second: tensor([1, 2, 2, 1]) }] }, 'pairs[0].first.shared_memory.region');
    }
  }
  // Creates refuse malformed ids.
  for (const [what, id] of BAD_NEW_IDS) {
    bad('ModelService/CreateModel', `model_id: ${what}`, { modelId: id, resnet: { depth: 8, inputShape: [...FIXTURES.input] } }, 'model_id');
    add('ModelService/UploadModel', `header.model_id: ${what}`, [{ header: { modelId: id, modelJson: '{}', weightsSize: 0 } }], INVALID_ARGUMENT, { field: 'header.model_id' });
    bad('TrainingService/CreateSession', `session_id: ${what}`, { sessionId: id, spec: { studentModelId: student } }, 'session_id');
    bad('TrainingService/SaveCheckpoint', `checkpoint_id: ${what}`, { sessionId: session, checkpointId: id }, 'checkpoint_id');
    // Region names may be upper case.
    if (id !== 'UPPER') bad('SharedMemoryService/RegisterSharedMemory', `name: ${what}`, { name: id, path: FIXTURES.regionFile, byteSize: 16 }, 'name');
    bad('SharedMemoryService/RegisterSharedMemory', `path: ${what}`, { name: 'fz-new', path: id, byteSize: 16 }, 'path');
  }

  // ---- FspService ----
  const C = 'FspService/ComputeFsp';
  bad(C, 'no pairs', {}, 'pairs');
  bad(C, 'a pair without maps', { pairs: [{}] }, 'pairs[0].first');
  bad(C, 'second map missing', { pairs: [{ first: tensor([1, 2, 2, 1]) }] }, 'pairs[0].second');
  bad(C, 'dtype unspecified', { pairs: [{ first: { shape: [1, 2, 2, 1], data: floats(4) }, second: tensor([1, 2, 2, 1]) }] }, 'pairs[0].first.dtype');
  bad(C, 'dtype number 99', { pairs: [{ first: { dtype: 99, shape: [1, 2, 2, 1], data: floats(4) }, second: tensor([1, 2, 2, 1]) }] }, 'pairs[0].first.dtype');
  bad(C, 'int32 maps', { pairs: [{ first: { dtype: 'DATA_TYPE_INT32', shape: [1, 2, 2, 1], data: floats(4) }, second: tensor([1, 2, 2, 1]) }] }, 'pairs[0].first.dtype');
  bad(C, 'layout number 7', { pairs: [{ ...pair(1, 2, 2, 1, 1), layout: 7 }] }, 'pairs[0].layout');
  bad(C, 'pooling number 9', { pairs: [pair(1, 2, 2, 1, 1)], pooling: 9 }, 'pooling');
  bad(C, 'a negative dim', { pairs: [{ first: { dtype: 'DATA_TYPE_FLOAT32', shape: [1, -2, 2, 1], data: floats(4) }, second: tensor([1, 2, 2, 1]) }] }, 'pairs[0].first.shape[1]');
  bad(C, 'a dim of -2^63', { pairs: [{ first: { dtype: 'DATA_TYPE_FLOAT32', shape: ['-9223372036854775808', 2, 2, 1], data: floats(4) }, second: tensor([1, 2, 2, 1]) }] }, 'pairs[0].first.shape[0]');
  bad(C, 'a dim of 2^63-1', { pairs: [{ first: { dtype: 'DATA_TYPE_FLOAT32', shape: ['9223372036854775807', 1, 1, 1], data: floats(4) }, second: tensor([1, 2, 2, 1]) }] }, 'pairs[0].first.shape[0]');
  bad(C, 'a zero dim', { pairs: [{ first: tensor([1, 0, 2, 1]), second: tensor([1, 2, 2, 1]) }] }, 'pairs[0].first.shape[1]');
  bad(C, 'dims whose product overflows', { pairs: [{ first: tensor([65536, 65536, 65536, 65536], 4), second: tensor([1, 2, 2, 1]) }] }, 'pairs[0].first.data');
  bad(C, '3-d maps', { pairs: [{ first: tensor([2, 2, 1]), second: tensor([2, 2, 1]) }] }, 'pairs[0].first.shape');
  bad(C, '5-d maps', { pairs: [{ first: tensor([1, 1, 2, 2, 1]), second: tensor([1, 1, 2, 2, 1]) }] }, 'pairs[0].first.shape');
  bad(C, 'a 100000-d shape', { pairs: [{ first: { dtype: 'DATA_TYPE_FLOAT32', shape: Array(100_000).fill(1), data: floats(1) }, second: tensor([1, 2, 2, 1]) }] }, 'pairs[0].first.shape');
  bad(C, 'data one float short', { pairs: [{ first: tensor([1, 2, 2, 1], 3), second: tensor([1, 2, 2, 1]) }] }, 'pairs[0].first.data');
  bad(C, 'data one float long', { pairs: [{ first: tensor([1, 2, 2, 1], 5), second: tensor([1, 2, 2, 1]) }] }, 'pairs[0].first.data');
  bad(C, 'data of 3 bytes', { pairs: [{ first: { dtype: 'DATA_TYPE_FLOAT32', shape: [1, 1, 1, 1], data: Buffer.from([1, 2, 3]) }, second: tensor([1, 1, 1, 1]) }] }, 'pairs[0].first.data');
  bad(C, 'float16 data of odd bytes', { pairs: [{ first: { dtype: 'DATA_TYPE_FLOAT16', shape: [1, 1, 1, 1], data: Buffer.from([1]) }, second: tensor([1, 1, 1, 1]) }] }, 'pairs[0].first.data');
  bad(C, 'batch mismatch in a pair', { pairs: [{ first: tensor([2, 2, 2, 1]), second: tensor([3, 2, 2, 1]), layout: 'LAYOUT_NHWC' }] }, 'pairs[0].second.shape');
  bad(C, 'both data and shared memory', { pairs: [{ first: { ...tensor([1, 1, 1, 1]), sharedMemory: { region, offset: 0 } }, second: tensor([1, 1, 1, 1]) }] }, 'pairs[0].first');
  add(C, 'shared memory at offset 2 (read, so any offset)', [{ pairs: [{ first: { dtype: 'DATA_TYPE_FLOAT32', shape: [1, 1, 1, 1], sharedMemory: { region, offset: 2 } }, second: tensor([1, 1, 1, 1]) }] }], OK);
  bad(C, 'shared memory past the region', { pairs: [{ first: { dtype: 'DATA_TYPE_FLOAT32', shape: [1, 1, 1, 1], sharedMemory: { region, offset: FIXTURES.regionBytes } }, second: tensor([1, 1, 1, 1]) }] }, 'pairs[0].first.shared_memory.offset');
  bad(C, 'shared memory offset 2^64-4', { pairs: [{ first: { dtype: 'DATA_TYPE_FLOAT32', shape: [1, 1, 1, 1], sharedMemory: { region, offset: '18446744073709551612' } }, second: tensor([1, 1, 1, 1]) }] }, 'pairs[0].first.shared_memory.offset');
  bad(C, 'shared memory larger than the region', { pairs: [{ first: { dtype: 'DATA_TYPE_FLOAT32', shape: [1, 64, 64, 1], sharedMemory: { region, offset: 0 } }, second: tensor([1, 1, 1, 1]) }] }, 'pairs[0].first.shared_memory.offset');
  bad(C, 'FSP matrices over 2^32-1 elements', { pairs: [{ first: tensor([1, 1, 1, 65537]), second: tensor([1, 1, 1, 65537]), layout: 'LAYOUT_NHWC' }] }, 'pairs[0]');
  add(C, 'a 40000 × 40000 output from 640 KB (over --max-output-elements)', [{ pairs: [{ first: tensor([1, 1, 1, 40000]), second: tensor([1, 1, 1, 40000]), layout: 'LAYOUT_NHWC' }] }], RESOURCE_EXHAUSTED, { reason: 'LIMIT_EXCEEDED' });
  add(C, 'NaN maps (NaN in, NaN out)', [{ pairs: [pair(1, 2, 2, 2, 2, NaN)] }], OK);
  add(C, 'Inf maps', [{ pairs: [pair(1, 2, 2, 2, 2, Infinity)] }], OK);
  add(C, 'maps of different h×w (pooled)', [{ pairs: [{ first: tensor([1, 4, 4, 2]), second: tensor([1, 2, 2, 3]), layout: 'LAYOUT_NHWC' }] }], OK);

  const L = 'FspService/FspLoss';
  const s1 = pair(2, 2, 2, 2, 3);
  bad(L, 'no student', { teacher: [s1] }, 'student');
  bad(L, 'no teacher', { student: [s1] }, 'teacher');
  bad(L, 'teacher pairs and matrices', { student: [s1], teacher: [s1], teacherMatrices: [tensor([2, 2, 3])] }, 'teacher');
  bad(L, 'student pairs of batch 2 and 3', { student: [s1, pair(3, 2, 2, 2, 3)], teacher: [s1, pair(3, 2, 2, 2, 3)] }, 'student[1].first.shape');
  bad(L, 'teacher batch differs', { student: [s1], teacher: [pair(3, 2, 2, 2, 3)] }, 'teacher[0].first.shape');
  bad(L, 'teacher channels differ', { student: [s1], teacher: [pair(2, 2, 2, 3, 2)] }, 'teacher[0]');
  bad(L, 'two teacher pairs for one student pair', { student: [s1], teacher: [s1, s1] }, 'teacher');
  bad(L, 'teacher matrices of the wrong count', { student: [s1], teacherMatrices: [tensor([2, 2, 3]), tensor([2, 2, 3])] }, 'teacher_matrices');
  bad(L, 'teacher matrices transposed', { student: [s1], teacherMatrices: [tensor([2, 3, 2])] }, 'teacher_matrices[0].shape');
  bad(L, 'teacher matrices of the wrong size', { student: [s1], teacherMatrices: [tensor([2, 2, 2])] }, 'teacher_matrices[0]');
  bad(L, 'weights NaN', { student: [s1], teacher: [s1], weights: [NaN] }, 'weights[0]');
  bad(L, 'weights Inf', { student: [s1], teacher: [s1], weights: [Infinity] }, 'weights[0]');
  bad(L, 'weights -Inf', { student: [s1], teacher: [s1], weights: [-Infinity] }, 'weights[0]');
  bad(L, 'weights negative', { student: [s1], teacher: [s1], weights: [-1] }, 'weights[0]');
  bad(L, 'two weights for one pair', { student: [s1], teacher: [s1], weights: [1, 1] }, 'weights');
  bad(L, 'reduction number 5', { student: [s1], teacher: [s1], reduction: 5 }, 'reduction');
  bad(L, 'pooling number -1', { student: [s1], teacher: [s1], pooling: -1 }, 'pooling');
  bad(L, 'a student layout mismatch', { student: [{ ...s1, layout: 99 }], teacher: [s1] }, 'student[0].layout');
  bad(L, 'gradients_to without return_gradients', { student: [s1], teacher: [s1], gradientsTo: { region, offset: 0 } }, 'gradients_to');
  bad(L, 'gradients_to an unknown region', { student: [s1], teacher: [s1], returnGradients: true, gradientsTo: { region: HUGE, offset: 0 } }, 'gradients_to.region');
  bad(L, 'gradients_to past the region', { student: [s1], teacher: [s1], returnGradients: true, gradientsTo: { region, offset: FIXTURES.regionBytes - 8 } }, 'gradients_to.offset');
  add(L, 'gradients_to at offset 3 (packed from 4)', [{ student: [s1], teacher: [s1], returnGradients: true, gradientsTo: { region, offset: 3 } }], OK);
  bad(L, 'student FSP matrices over 2^32-1 elements', { student: [pair(1, 1, 1, 65537, 65537)], teacherMatrices: [tensor([1, 1, 1])] }, 'student[0]');
  add(L, 'a 40000 × 40000 output from 640 KB (over --max-output-elements)', [{ student: [pair(1, 1, 1, 40000, 40000)], teacher: [pair(1, 1, 1, 40000, 40000)] }], RESOURCE_EXHAUSTED, { reason: 'LIMIT_EXCEEDED' });
  add(L, 'NaN maps', [{ student: [pair(2, 2, 2, 2, 3, NaN)], teacher: [s1] }], OK);
  add(L, 'zero weights', [{ student: [s1], teacher: [s1], weights: [0] }], OK);

  const T = 'FspService/TeacherFsp';
  bad(T, 'no images, no ids', { modelId: teacher }, 'images');
  bad(T, 'images of the wrong h×w', { modelId: teacher, images: images(1, [4, 4, 3]) }, 'images.shape');
  bad(T, 'images of batch 0', { modelId: teacher, images: tensor([0, ...FIXTURES.input]) }, 'images.shape');
  bad(T, '3-d images', { modelId: teacher, images: tensor([...FIXTURES.input]) }, 'images.shape');
  bad(T, 'more ids than images', { modelId: teacher, images: images(1), sampleIds: ['a', 'b'] }, 'sample_ids');
  bad(T, 'a tap index out of range', { modelId: teacher, images: images(1), pairs: [{ first: 0, second: 99 }] }, 'pairs[0].second');
  bad(T, 'a tap index of 2^32-1', { modelId: teacher, images: images(1), pairs: [{ first: 4294967295, second: 0 }] }, 'pairs[0].first');
  bad(T, 'matrices_dtype uint8', { modelId: teacher, images: images(1), matricesDtype: 'DATA_TYPE_UINT8' }, 'matrices_dtype');
  bad(T, 'matrices_dtype number 42', { modelId: teacher, images: images(1), matricesDtype: 42 }, 'matrices_dtype');
  bad(T, 'pooling number 3', { modelId: teacher, images: images(1), pooling: 3 }, 'pooling');
  add(T, 'ids only, not cached', [{ modelId: teacher, sampleIds: ['never-seen-0', 'never-seen-1'] }], FAILED_PRECONDITION, { reason: 'SAMPLES_NOT_CACHED' });
  add(T, '100 KiB sample ids, not cached', [{ modelId: teacher, sampleIds: [HUGE] }], FAILED_PRECONDITION, { reason: 'SAMPLES_NOT_CACHED' });
  add(T, 'a batch of 1025 (over --max-batch)', [{ modelId: teacher, images: images(1025) }], RESOURCE_EXHAUSTED, { reason: 'LIMIT_EXCEEDED' });
  add(T, 'NaN images', [{ modelId: teacher, images: images(1, undefined, NaN) }], OK);

  // ---- ModelService ----
  const CM = 'ModelService/CreateModel';
  bad(CM, 'no architecture', { modelId: 'fz-new' }, 'architecture');
  for (const depth of [0, 7, 9, 1208, 4294967295]) bad(CM, `depth ${depth}`, { resnet: { depth } }, 'resnet.depth');
  bad(CM, 'width_multiplier 65', { resnet: { depth: 8, widthMultiplier: 65 } }, 'resnet.width_multiplier');
  bad(CM, 'num_classes 2^32-1', { resnet: { depth: 8, numClasses: 4294967295 } }, 'resnet.num_classes');
  bad(CM, 'input_shape of 2 dims', { resnet: { depth: 8, inputShape: [8, 8] } }, 'resnet.input_shape');
  bad(CM, 'input_shape of 10000 dims', { resnet: { depth: 8, inputShape: Array(10_000).fill(8) } }, 'resnet.input_shape');
  bad(CM, 'input_shape with 0', { resnet: { depth: 8, inputShape: [8, 0, 3] } }, 'resnet.input_shape[1]');
  bad(CM, 'input_shape negative', { resnet: { depth: 8, inputShape: [8, -8, 3] } }, 'resnet.input_shape[1]');
  bad(CM, 'input_shape 2^40', { resnet: { depth: 8, inputShape: [8, 2 ** 40, 3] } }, 'resnet.input_shape[1]');
  add(CM, 'an id that is taken', [{ modelId: student, resnet: { depth: 8, inputShape: [...FIXTURES.input] } }], ALREADY_EXISTS, { reason: 'ALREADY_EXISTS' });

  const U = 'ModelService/UploadModel';
  add(U, 'an empty stream', [], INVALID_ARGUMENT, { field: 'header' });
  add(U, 'a chunk first', [{ weightsChunk: Buffer.from([1, 2, 3]) }], INVALID_ARGUMENT, { field: 'header' });
  add(U, 'an empty message first', [{}], INVALID_ARGUMENT, { field: 'header' });
  add(U, 'two headers', [{ header: { modelJson: '{}', weightsSize: 0 } }, { header: { modelJson: '{}', weightsSize: 0 } }], INVALID_ARGUMENT, { field: 'weights_chunk' });
  add(U, 'weights past weights_size', [{ header: { modelJson: '{}', weightsSize: 2 } }, { weightsChunk: Buffer.from([1, 2, 3]) }], INVALID_ARGUMENT, { field: 'weights_chunk' });
  add(U, 'weights short of weights_size', [{ header: { modelJson: '{}', weightsSize: 8 } }, { weightsChunk: Buffer.from([1, 2, 3]) }], INVALID_ARGUMENT, { field: 'weights_chunk' });
  add(U, 'weights_size 2^64-1', [{ header: { modelJson: '{}', weightsSize: '18446744073709551615' } }], INVALID_ARGUMENT, { field: 'header.weights_size' });
  add(U, 'model_json not JSON', [{ header: { modelJson: '{not json', weightsSize: 0 } }], INVALID_ARGUMENT, { field: 'header.model_json' });
  add(U, 'model_json 100 KiB of garbage', [{ header: { modelJson: HUGE, weightsSize: 0 } }], INVALID_ARGUMENT, { field: 'header.model_json' });
  add(U, 'model_json null', [{ header: { modelJson: 'null', weightsSize: 0 } }], INVALID_ARGUMENT, { field: 'header.model_json' });
  add(U, 'model_json without a topology', [{ header: { modelJson: '{"format":"layers-model"}', weightsSize: 0 } }], INVALID_ARGUMENT, { field: 'header.model_json' });
  add(U, 'model_json with a bogus topology', [{ header: { modelJson: JSON.stringify({ modelTopology: { class_name: 'Bogus' + HUGE.slice(0, 5000) } }), weightsSize: 0 } }], INVALID_ARGUMENT, { field: 'header.model_json' });
  add(U, 'taps without pairs', [{ header: { modelJson: '{"modelTopology":{}}', taps: ['a'], weightsSize: 0 } }], INVALID_ARGUMENT, { field: 'header.pairs' });
  add(U, 'pairs without taps', [{ header: { modelJson: '{"modelTopology":{}}', pairs: [{ first: 0, second: 1 }], weightsSize: 0 } }], INVALID_ARGUMENT, { field: 'header.pairs' });
  add(U, 'an id that is taken', [{ header: { modelId: student, modelJson: '{"modelTopology":{}}', weightsSize: 0 } }], ALREADY_EXISTS, { reason: 'ALREADY_EXISTS' });

  const E = 'ModelService/ExportModel';
  bad(E, 'chunk_size 2^32-1', { modelId: student, chunkSize: 4294967295 }, 'chunk_size');
  add('ModelService/DeleteModel', 'a model a session uses', [{ modelId: student }], FAILED_PRECONDITION, { reason: 'IN_USE' });
  add('ModelService/ListModels', 'unknown fields only', [Buffer.from([...tag(99, 2), 2, 7, 7])], OK);

  // ---- TrainingService ----
  const CS = 'TrainingService/CreateSession';
  const spec = (extra: object = {}) => ({ spec: { studentModelId: student, teacherModelId: teacher, ...extra } });
  bad(CS, 'no spec', {}, 'spec');
  bad(CS, 'no student', { spec: { teacherModelId: teacher } }, 'spec.student_model_id');
  bad(CS, 'teacher = student', { spec: { studentModelId: teacher, teacherModelId: teacher } }, 'spec.teacher_model_id');
  bad(CS, 'a pair tap out of range', spec({ pairs: [{ student: { first: 0, second: 1 }, teacher: { first: 0, second: 999 } }] }), 'spec.pairs[0].teacher.second');
  bad(CS, 'a pair without its teacher taps', spec({ pairs: [{ student: { first: 0, second: 1 } }] }), 'spec.pairs[0].teacher');
  bad(CS, 'weights NaN', spec({ weights: [NaN, 1, 1] }), 'spec.weights[0]');
  bad(CS, 'weights Inf', spec({ weights: [1, Infinity, 1] }), 'spec.weights[1]');
  bad(CS, 'weights of the wrong count', spec({ weights: [1] }), 'spec.weights');
  bad(CS, 'weights without a teacher', { spec: { studentModelId: other, weights: [1] } }, 'spec.weights');
  bad(CS, 'reduction number 8', spec({ reduction: 8 }), 'spec.reduction');
  bad(CS, 'pooling number 8', spec({ pooling: 8 }), 'spec.pooling');
  bad(CS, 'optimizer ADAM', spec({ optimizer: { kind: 'OPTIMIZER_KIND_ADAM' } }), 'spec.optimizer.kind');
  bad(CS, 'optimizer number 77', spec({ optimizer: { kind: 77 } }), 'spec.optimizer.kind');
  bad(CS, 'momentum 1', spec({ optimizer: { momentum: 1 } }), 'spec.optimizer.momentum');
  bad(CS, 'momentum NaN', spec({ optimizer: { momentum: NaN } }), 'spec.optimizer.momentum');
  bad(CS, 'weight_decay -Inf', spec({ optimizer: { weightDecay: -Infinity } }), 'spec.optimizer.weight_decay');
  bad(CS, 'weight_decay NaN', spec({ optimizer: { weightDecay: NaN } }), 'spec.optimizer.weight_decay');
  bad(CS, 'no learning rates', spec({ fspSchedule: { learningRates: [], untilSteps: [] } }), 'spec.fsp_schedule.learning_rates');
  bad(CS, 'a learning rate of 0', spec({ fspSchedule: { learningRates: [0], untilSteps: [10] } }), 'spec.fsp_schedule.learning_rates[0]');
  bad(CS, 'a learning rate of NaN', spec({ crossEntropySchedule: { learningRates: [NaN], untilSteps: [10] } }), 'spec.cross_entropy_schedule.learning_rates[0]');
  bad(CS, 'a learning rate of Inf', spec({ fspSchedule: { learningRates: [Infinity], untilSteps: [10] } }), 'spec.fsp_schedule.learning_rates[0]');
  bad(CS, 'until_steps decreasing', spec({ fspSchedule: { learningRates: [1, 1], untilSteps: [10, 5] } }), 'spec.fsp_schedule.until_steps[1]');
  bad(CS, 'until_steps 0', spec({ fspSchedule: { learningRates: [1], untilSteps: [0] } }), 'spec.fsp_schedule.until_steps[0]');
  bad(CS, 'until_steps 2^64-1', spec({ fspSchedule: { learningRates: [1], untilSteps: ['18446744073709551615'] } }), 'spec.fsp_schedule.until_steps[0]');
  bad(CS, 'until_steps of the wrong count', spec({ fspSchedule: { learningRates: [1, 1], untilSteps: [10] } }), 'spec.fsp_schedule.until_steps');
  bad(CS, 'until_steps of 10000 entries', spec({ fspSchedule: { learningRates: [1], untilSteps: Array(10_000).fill(5) } }), 'spec.fsp_schedule.until_steps');
  bad(CS, 'stage number 9', { ...spec(), stage: 9 }, 'stage');
  add(CS, 'STAGE_FSP without a teacher', [{ sessionId: 'fz-nt', spec: { studentModelId: other }, stage: 'STAGE_FSP' }], FAILED_PRECONDITION, { reason: 'WRONG_STAGE' });
  add(CS, 'a student another session trains', [{ spec: { studentModelId: student, teacherModelId: teacher } }], FAILED_PRECONDITION, { reason: 'IN_USE' });
  add(CS, 'a session id that is taken', [{ sessionId: session, spec: { studentModelId: other } }], ALREADY_EXISTS, { reason: 'ALREADY_EXISTS' });

  const TS = 'TrainingService/TrainStep';
  bad(TS, 'no batch', { sessionId: session }, 'batch');
  bad(TS, 'no images', { sessionId: session, batch: { labels: labels([0]) } }, 'batch.images');
  bad(TS, 'images of the wrong h×w', { sessionId: session, batch: { images: images(2, [4, 4, 3]), labels: labels([0, 1]) } }, 'batch.images.shape');
  bad(TS, 'images of the wrong channels', { sessionId: session, batch: { images: images(2, [8, 8, 1]), labels: labels([0, 1]) } }, 'batch.images.shape');
  bad(TS, 'images of batch 0', { sessionId: session, batch: { images: tensor([0, 8, 8, 3]), labels: labels([]) } }, 'batch.images.shape');
  bad(TS, 'NaN images', { sessionId: session, batch: batch(2, { images: images(2, undefined, NaN) }) }, 'batch.images.data');
  add(TS, 'a batch of 1025 (over --max-batch)', [{ sessionId: session, batch: batch(1025) }], RESOURCE_EXHAUSTED, { reason: 'LIMIT_EXCEEDED' });
  bad(TS, 'Inf images', { sessionId: session, batch: batch(2, { images: images(2, undefined, Infinity) }) }, 'batch.images.data');
  bad(TS, 'a label past the classes', { sessionId: session, batch: batch(2, { labels: labels([0, 10]) }) }, 'batch.labels[1]');
  bad(TS, 'a negative label', { sessionId: session, batch: batch(2, { labels: labels([-1, 0]) }) }, 'batch.labels[0]');
  bad(TS, 'labels of the wrong count', { sessionId: session, batch: batch(2, { labels: labels([0, 1, 2]) }) }, 'batch.labels.shape');
  bad(TS, 'labels as float32', { sessionId: session, batch: batch(2, { labels: tensor([2]) }) }, 'batch.labels.dtype');
  bad(TS, 'labels 2-d', { sessionId: session, batch: batch(2, { labels: { dtype: 'DATA_TYPE_INT32', shape: [2, 1], data: Buffer.alloc(8) } }) }, 'batch.labels.shape');
  bad(TS, 'labels data short', { sessionId: session, batch: batch(2, { labels: { dtype: 'DATA_TYPE_INT32', shape: [2], data: Buffer.alloc(7) } }) }, 'batch.labels.data');
  bad(TS, 'sample ids of the wrong count', { sessionId: session, batch: batch(2, { sampleIds: ['a'] }) }, 'batch.sample_ids');
  bad(TS, 'shared-memory images', { sessionId: session, batch: batch(2, { images: { dtype: 'DATA_TYPE_FLOAT32', shape: [2, 8, 8, 3], sharedMemory: { region, offset: 0 } } }) }, 'batch.images.shared_memory');

  const TR = 'TrainingService/Train';
  add(TR, 'an empty stream', [], OK);
  add(TR, 'no session id in the first message', [{ batch: batch(2) }], INVALID_ARGUMENT, { field: 'session_id' });
  add(TR, 'a bad batch first', [{ sessionId: session, batch: { images: images(1, [4, 4, 3]) } }], INVALID_ARGUMENT, { field: 'batch.images.shape' });
  add(TR, 'a bad batch second', [{ sessionId: session, batch: batch(1) }, { batch: { images: images(1, [4, 4, 3]) } }], INVALID_ARGUMENT, { field: 'batch.images.shape' });
  add(TR, 'an empty batch first', [{ sessionId: session, batch: {} }], INVALID_ARGUMENT, { field: 'batch.images' });
  add(TR, 'a 100 KiB session id in the second message', [{ sessionId: session, batch: batch(1) }, { sessionId: HUGE, batch: batch(1) }], INVALID_ARGUMENT, { field: 'session_id' });
  add(TR, 'malformed bytes second', [{ sessionId: session, batch: batch(1) }, MALFORMED_BYTES[0]![1]], INVALID_ARGUMENT, { reason: 'MALFORMED_REQUEST' });

  const R = 'TrainingService/Run';
  bad(R, 'no dataset', { sessionId: session }, 'dataset');
  bad(R, 'dataset name number 99', { sessionId: session, dataset: { name: 99 } }, 'dataset.name');
  bad(R, 'dataset name unspecified', { sessionId: session, dataset: {} }, 'dataset.name');
  bad(R, 'split number 5', { sessionId: session, dataset: { name: 'DATASET_NAME_MNIST', split: 5 } }, 'dataset.split');
  bad(R, 'MNIST for an 8×8×3 model', { sessionId: session, dataset: { name: 'DATASET_NAME_MNIST' } }, 'dataset');
  bad(R, 'CIFAR without a path', { sessionId: session, dataset: { name: 'DATASET_NAME_CIFAR10' } }, 'dataset.path');
  bad(R, 'CIFAR at an absolute path', { sessionId: session, dataset: { name: 'DATASET_NAME_CIFAR10', path: '/etc' } }, 'dataset.path');
  bad(R, 'CIFAR above the data directory', { sessionId: session, dataset: { name: 'DATASET_NAME_CIFAR100', path: '../../..' } }, 'dataset.path');
  bad(R, 'CIFAR at a 100 KiB path', { sessionId: session, dataset: { name: 'DATASET_NAME_CIFAR10', path: '../' + HUGE } }, 'dataset.path');
  add(R, 'CIFAR where there is none', [{ sessionId: session, dataset: { name: 'DATASET_NAME_CIFAR10', path: 'no-such-dir' } }], NOT_FOUND, { reason: 'NOT_FOUND' });
  add(R, 'batch_size 2^32-1 (over --max-batch)', [{ sessionId: session, dataset: { name: 'DATASET_NAME_MNIST' }, batchSize: 4294967295 }], RESOURCE_EXHAUSTED, { reason: 'LIMIT_EXCEEDED' });
  bad(R, 'steps 2^64-1', { sessionId: session, dataset: { name: 'DATASET_NAME_MNIST' }, steps: '18446744073709551615' }, 'steps');

  const EV = 'TrainingService/Evaluate';
  bad(EV, 'no target', { batch: batch(2) }, 'target');
  bad(EV, 'no data', { sessionId: session }, 'data');
  add(EV, 'batch_size 2^32-1 (over --max-batch)', [{ sessionId: session, batch: batch(2), batchSize: 4294967295 }], RESOURCE_EXHAUSTED, { reason: 'LIMIT_EXCEEDED' });
  bad(EV, 'a batch without labels', { modelId: student, batch: { images: images(2) } }, 'batch.labels');
  bad(EV, 'NaN images', { modelId: student, batch: batch(2, { images: images(2, undefined, NaN) }) }, 'batch.images.data');
  bad(EV, 'images of the wrong h×w', { modelId: student, batch: batch(2, { images: images(2, [9, 9, 3]) }) }, 'batch.images.shape');
  bad(EV, 'labels past the classes', { modelId: teacher, batch: batch(1, { labels: labels([2 ** 31 - 1]) }) }, 'batch.labels[0]');

  const SS = 'TrainingService/SetStage';
  bad(SS, 'stage unspecified', { sessionId: session }, 'stage');
  bad(SS, 'stage number 3', { sessionId: session, stage: 3 }, 'stage');
  bad(SS, 'stage_step 2^64-1', { sessionId: session, stage: 'STAGE_FSP', stageStep: '18446744073709551615' }, 'stage_step');

  add('TrainingService/RestoreCheckpoint', 'no checkpoints yet', [{ sessionId: session }], NOT_FOUND, { reason: 'NOT_FOUND' });
  add('TrainingService/ListSessions', 'unknown fields only', [Buffer.from([...tag(5, 0), 1])], OK);

  // ---- SharedMemoryService ----
  const RS = 'SharedMemoryService/RegisterSharedMemory';
  bad(RS, 'no name', { path: FIXTURES.regionFile, byteSize: 16 }, 'name');
  bad(RS, 'no path', { name: 'fz-new', byteSize: 16 }, 'path');
  bad(RS, 'path "."', { name: 'fz-new', path: '.', byteSize: 16 }, 'path');
  bad(RS, 'path "..', { name: 'fz-new', path: '..', byteSize: 16 }, 'path');
  bad(RS, 'a path with a slash', { name: 'fz-new', path: 'a/b', byteSize: 16 }, 'path');
  bad(RS, 'a missing file', { name: 'fz-new', path: 'missing.bin', byteSize: 16 }, 'path');
  bad(RS, 'byte_size 0', { name: 'fz-new', path: FIXTURES.regionFile, byteSize: 0 }, 'byte_size');
  bad(RS, 'byte_size past the file', { name: 'fz-new', path: FIXTURES.regionFile, byteSize: FIXTURES.regionBytes + 1 }, 'byte_size');
  bad(RS, 'byte_size 2^64-1', { name: 'fz-new', path: FIXTURES.regionFile, byteSize: '18446744073709551615' }, 'byte_size');
  bad(RS, 'a 129-character name', { name: 'n'.repeat(129), path: FIXTURES.regionFile, byteSize: 16 }, 'name');
  add(RS, 'a name that is taken', [{ name: region, path: FIXTURES.regionFile, byteSize: 16 }], ALREADY_EXISTS, { reason: 'ALREADY_EXISTS' });

  return cases;
}
