// KeptArrays (src/server/kept-arrays.ts): arrays given back are taken again by length, newest first, and
// idle arrays are kept only up to the byte limit.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeptArrays } from '../src/server/kept-arrays.js';

describe('KeptArrays', () => {
  it('takes a given-back array of the same length before making one, and makes one otherwise', () => {
    const made: number[] = [];
    const kept = new KeptArrays((n) => (made.push(n), new Float32Array(n)), 1024);
    const a = kept.take(8);
    const b = kept.take(8);
    kept.give([a, b]);
    assert.equal(kept.bytes, 64);
    assert.equal(kept.take(8), b, 'the last given back first');
    assert.equal(kept.take(8), a);
    assert.notEqual(kept.take(16), a, 'another length: a new array');
    assert.deepEqual(made, [8, 8, 16]);
    assert.equal(kept.bytes, 0);
  });

  it('keeps idle arrays up to its byte limit and leaves the rest to the collector', () => {
    const kept = new KeptArrays((n) => new Float32Array(n), 100);
    const arrays = [kept.take(10), kept.take(10), kept.take(10)]; // 40 bytes each
    kept.give(arrays);
    assert.equal(kept.bytes, 80, 'two of three kept');
    assert.equal(kept.take(10), arrays[1]);
    assert.equal(kept.take(10), arrays[0]);
    assert.notEqual(kept.take(10), arrays[2], 'the third was not kept');
  });
});
