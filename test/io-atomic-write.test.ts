// src/io/atomic-write.ts: concurrent writers of one file all succeed and leave one whole content, a failed
// write leaves the old content and no temporary file, and the temporaries a killed writer left are removed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { removeStaleTemps, writeFileAtomic } from '../src/io/atomic-write.js';

let dir: string;
before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fspd-atomic-'))));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('twenty concurrent writes of one file all succeed; the file holds one of them whole', async () => {
    const file = path.join(dir, 'state.json');
    const contents = Array.from({ length: 20 }, (_, i) => `${i}:`.padEnd(64 * 1024, String.fromCharCode(97 + i)));
    await Promise.all(contents.map((c) => writeFileAtomic(file, c)));
    assert.ok(contents.includes(fs.readFileSync(file, 'utf8')), 'one whole content');
    assert.deepEqual(fs.readdirSync(dir), ['state.json'], 'no temporary files left');
  });

  it('a write that fails leaves the old content and no temporary file', async () => {
    const file = path.join(dir, 'kept');
    await writeFileAtomic(file, 'old');
    fs.mkdirSync(path.join(dir, 'blocker'));
    // Renaming a file over a directory fails (EISDIR): the temporary file must go.
    await assert.rejects(writeFileAtomic(path.join(dir, 'blocker'), 'new'), /EISDIR/);
    assert.equal(fs.readFileSync(file, 'utf8'), 'old');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['blocker', 'kept', 'state.json']);
    fs.rmdirSync(path.join(dir, 'blocker'));
  });

  it('removeStaleTemps removes hidden *.tmp files only', async () => {
    for (const name of ['.session.json.123.abcdef.tmp', '.x.tmp', 'visible.tmp', 'keep.ckpt']) fs.writeFileSync(path.join(dir, name), '');
    assert.equal(await removeStaleTemps(dir), 2);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['keep.ckpt', 'kept', 'state.json', 'visible.tmp']);
    assert.equal(await removeStaleTemps(path.join(dir, 'missing')), 0, 'a missing directory has none');
  });
});
