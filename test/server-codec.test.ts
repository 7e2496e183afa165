// The tensor codec: exact widening of float16 / bfloat16 / uint8 bit patterns, zero-copy float32 views
// when aligned, copies when not, and errors naming the field.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeFloatTensor, encodeFloat32 } from '../src/server/codec.js';
import { RpcError } from '../src/server/status.js';

const halves = (...bits: number[]) => Buffer.from(new Uint16Array(bits).buffer);

describe('decodeFloatTensor', () => {
  it('float16: normal, subnormal, largest, zero, infinities, NaN', () => {
    const bits = [0x3c00, 0xc000, 0x3555, 0x0001, 0x03ff, 0x7bff, 0x8000, 0x7c00, 0xfc00, 0x7e00];
    const { data } = decodeFloatTensor({ dtype: 'DATA_TYPE_FLOAT16', shape: [bits.length], data: halves(...bits) }, 't');
    const expected = [1, -2, 0.333251953125, 2 ** -24, 1023 * 2 ** -24, 65504, -0, Infinity, -Infinity, NaN];
    expected.forEach((v, i) => assert.ok(Object.is(data[i], v), `float16 0x${bits[i]!.toString(16)}: ${data[i]} !== ${v}`));
  });

  it('bfloat16: the upper half of a float32', () => {
    const { data } = decodeFloatTensor({ dtype: 'DATA_TYPE_BFLOAT16', shape: [4], data: halves(0x3f80, 0xc040, 0x3eab, 0xff80) }, 't');
    assert.deepEqual([...data], [1, -3, 0.333984375, -Infinity], 'bfloat16 values');
  });

  it('uint8: the byte values, unscaled', () => {
    const { data } = decodeFloatTensor({ dtype: 'DATA_TYPE_UINT8', shape: [1, 3], data: Buffer.from([0, 7, 255]) }, 't');
    assert.deepEqual([...data], [0, 7, 255], 'uint8 values');
  });

  it('float32 at an aligned offset is a view of the request bytes; misaligned is copied', () => {
    const source = new Float32Array([1.5, -2.25, 3]);
    const backing = Buffer.alloc(16);
    const aligned = backing.subarray(4);
    Buffer.from(source.buffer).copy(aligned);
    const view = decodeFloatTensor({ dtype: 'DATA_TYPE_FLOAT32', shape: [3], data: aligned.subarray(0, 12) }, 't').data;
    assert.equal(view.buffer, backing.buffer, 'aligned float32 shares the request buffer');
    assert.deepEqual([...view], [...source], 'aligned values');

    const odd = Buffer.alloc(13).subarray(1);
    Buffer.from(source.buffer).copy(odd);
    const copy = decodeFloatTensor({ dtype: 'DATA_TYPE_FLOAT32', shape: [3], data: odd }, 't').data;
    assert.notEqual(copy.buffer, odd.buffer, 'misaligned float32 is copied');
    assert.deepEqual([...copy], [...source], 'misaligned values');
  });

  it('misaligned float16 decodes too', () => {
    const odd = Buffer.alloc(5).subarray(1);
    halves(0x3c00, 0xc000).copy(odd);
    assert.deepEqual([...decodeFloatTensor({ dtype: 'DATA_TYPE_FLOAT16', shape: [2], data: odd }, 't').data], [1, -2], 'values');
  });

  it('errors are INVALID_ARGUMENT naming the field', () => {
    const bad = (tensor: Parameters<typeof decodeFloatTensor>[0], message: RegExp) =>
      assert.throws(() => decodeFloatTensor(tensor, 'student[1].second'), (err: RpcError) => {
        assert.ok(err instanceof RpcError, `RpcError, got ${String(err)}`);
        assert.equal(err.code, 3, 'INVALID_ARGUMENT');
        assert.match(err.message, message, 'message');
        return true;
      });
    bad(null, /^student\[1\]\.second: missing$/);
    bad({ dtype: 'DATA_TYPE_INT32', shape: [1], data: Buffer.alloc(4) }, /^student\[1\]\.second\.dtype: .*got DATA_TYPE_INT32$/);
    bad({ dtype: 'DATA_TYPE_FLOAT16', shape: [3], data: Buffer.alloc(4) }, /^student\[1\]\.second\.data: 4 bytes, but shape \[3\] of DATA_TYPE_FLOAT16 needs 6$/);
    bad({ dtype: 'DATA_TYPE_UINT8', shape: [1.5], data: Buffer.alloc(1) }, /^student\[1\]\.second\.shape\[0\]: expected an integer >= 0, got 1.5$/);
  });
});

describe('encodeFloat32', () => {
  it('views the array without copying', () => {
    const data = new Float32Array([1, 2, 3, 4]).subarray(1);
    const t = encodeFloat32(data, [3]);
    assert.equal(t.dtype, 'DATA_TYPE_FLOAT32', 'dtype');
    assert.deepEqual(t.shape, [3], 'shape');
    const bytes = t.data as Buffer;
    assert.equal(bytes.buffer, data.buffer, 'same memory');
    assert.equal(bytes.byteOffset, 4, 'offset');
    assert.equal(bytes.byteLength, 12, 'length');
  });
});
