// Access control (src/server/access.ts): the role each RPC needs, tokens with roles from a token file beside
// the shared --token (admin), each role boundary over real gRPC (unary and streaming calls), --model-control
// none, and the TeacherFsp cache namespaced by caller (token name, mTLS subject) unless it is shared.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { FspdClient, toTensor, type FspdError } from '../src/client/index.js';
import { AccessPolicy, loadTokens, parseTokenFile, requiredRole, type Role } from '../src/server/access.js';
import { loadConfig, type ServerConfig } from '../src/server/config.js';
import { loadFspdDefinition } from '../src/proto/index.js';
import type { FspdServer } from '../src/server/server.js';
import { expectStatus, startTestServer } from './helpers/server.js';
import { makeTestPki, tlsSkipReason, type TestPki } from './helpers/tls.js';

const TINY = { depth: 8, inputShape: [8, 8, 1] };

function images(n: number, seed = 1) {
  let s = seed;
  return toTensor(Float32Array.from({ length: n * 64 }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1), [n, 8, 8, 1]);
}

const pair = () => {
  const map = toTensor(Float32Array.from({ length: 2 * 3 * 3 * 2 }, (_, i) => Math.sin(i)), [2, 3, 3, 2]);
  return { first: map, second: map, layout: 'LAYOUT_NHWC' as const };
};

describe('roles', () => {
  it('every RPC of every service needs the role the docs give it', () => {
    const expected: Record<string, Role> = {
      'fspd.v1.FspService/ComputeFsp': 'compute',
      'fspd.v1.FspService/FspLoss': 'compute',
      'fspd.v1.FspService/TeacherFsp': 'compute',
      'fspd.v1.SharedMemoryService/RegisterSharedMemory': 'compute',
      'fspd.v1.SharedMemoryService/UnregisterSharedMemory': 'compute',
      'fspd.v1.SharedMemoryService/ListSharedMemory': 'compute',
      'fspd.v1.ModelService/GetModel': 'compute',
      'fspd.v1.ModelService/ListModels': 'compute',
      'fspd.v1.ModelService/CreateModel': 'admin',
      'fspd.v1.ModelService/UploadModel': 'admin',
      'fspd.v1.ModelService/DeleteModel': 'admin',
      'fspd.v1.ModelService/ExportModel': 'admin',
      ...Object.fromEntries(
        ['CreateSession', 'GetSession', 'ListSessions', 'DeleteSession', 'TrainStep', 'Train', 'Run', 'Evaluate', 'SetStage', 'SaveCheckpoint', 'RestoreCheckpoint'].map((m) => [
          `fspd.v1.TrainingService/${m}`,
          'train' as Role,
        ]),
      ),
    };
    const definition = loadFspdDefinition();
    const paths = Object.entries(definition)
      .filter(([name]) => name.startsWith('fspd.v1.') && name.endsWith('Service'))
      .flatMap(([, methods]) => Object.values(methods as Record<string, { path: string }>).map((m) => m.path));
    assert.equal(paths.length, 23, 'every RPC of the four services');
    assert.deepEqual(Object.fromEntries(paths.map((p) => [p.slice(1), requiredRole(p)])), expected);
    assert.equal(requiredRole('/grpc.reflection.v1.ServerReflection/ServerReflectionInfo'), 'compute');
    assert.equal(requiredRole('/some.Unknown/Method'), 'admin', 'unknown methods need the most');
  });

  it('token files: `<token> <role> [name]` lines, comments and blank lines; errors name the line', () => {
    const entries = parseTokenFile('# tokens\n\nc0mpute compute trainer-a\nt0ken train   # the trainers\na0 admin\n', 'tokens.txt');
    assert.deepEqual(entries.map((e) => [e.role, e.name]), [['compute', 'trainer-a'], ['train', 'train-4'], ['admin', 'admin-5']]);
    assert.throws(() => parseTokenFile('tok reader\n', 'f'), /^Error: f: line 1, column 2: expected a role \(compute, train, admin\) after the token$/);
    assert.throws(() => parseTokenFile('tok\n', 'f'), /^Error: f: line 1: expected '<token> <role> \[name\]', got 1 field\(s\)$/);
    assert.throws(() => parseTokenFile('a compute x y\n', 'f'), /got 4 field\(s\)/);
    assert.throws(() => parseTokenFile('a compute\na admin\n', 'f'), /^Error: f: line 2: the same token as an earlier line$/);
    assert.throws(() => parseTokenFile('a compute bad/name\n', 'f'), /^Error: f: line 1, column 3: expected a name of 1\.\.64 characters of \[A-Za-z0-9\._-\]$/);
    assert.throws(() => parseTokenFile('# nothing\n', 'f'), /^Error: f: no tokens/);
    assert.doesNotThrow(() => parseTokenFile('a compute same\nb train same\n', 'f'), 'names may repeat (rotation)');
  });

  it('a token-file error never quotes a field: swapped columns put the token where the role or name goes', () => {
    const token = '9f2c4e1d0b8a7f6e5d4c3b2a1f0e9d8c';
    const message = (text: string) => {
      try {
        parseTokenFile(text, 'tokens');
      } catch (err) {
        return (err as Error).message;
      }
      assert.fail(`no error for ${JSON.stringify(text)}`);
    };
    const roleFirst = message(`admin ${token}\n`);
    assert.equal(roleFirst, 'tokens: line 1, column 2: expected a role (compute, train, admin) after the token');
    const nameLast = message(`ops admin ${token}+/=\n`);
    assert.equal(nameLast, 'tokens: line 1, column 3: expected a name of 1..64 characters of [A-Za-z0-9._-]');
    for (const m of [roleFirst, nameLast]) assert.ok(!m.includes(token.slice(0, 8)), `the token leaked: ${m}`);
  });

  it('an empty --token is an error, not "no authentication"', () => {
    assert.throws(() => loadTokens('', undefined), /^Error: --token \(FSPD_TOKEN\): the token is empty$/);
    assert.throws(() => loadTokens('  ', undefined), /the token is empty/);
    assert.equal(new AccessPolicy(loadTokens(undefined, undefined)).authenticates, false, 'no token at all: no authentication');
    assert.equal(new AccessPolicy(loadTokens('t0ken', undefined)).authenticates, true);
  });

  it('`fspd serve` with a bad token file exits 1 naming the file and the line', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fspd-access-'));
    const file = path.join(dir, 'tokens');
    fs.writeFileSync(file, 'good compute\nbad reader\n');
    const r = spawnSync(process.execPath, ['bin/fspd.js', 'serve', '--address', '127.0.0.1:0', '--metrics-address', '127.0.0.1:0', '--token-file', file], {
      cwd: path.resolve(import.meta.dirname, '..'),
      encoding: 'utf8',
      timeout: 60_000,
    });
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr.trim(), `fspd serve: --token-file ${file}: line 2, column 2: expected a role (compute, train, admin) after the token`);
  });

  it('flags and FSPD_* variables: --token-file, --model-control, --teacher-cache-namespace', () => {
    const defaults = loadConfig({}, {});
    assert.equal(defaults.modelControl, 'explicit');
    assert.equal(defaults.teacherCacheNamespace, 'caller');
    assert.equal('tokenFile' in defaults, false);
    const env = { FSPD_TOKEN_FILE: '/etc/fspd/tokens', FSPD_MODEL_CONTROL: 'none', FSPD_TEACHER_CACHE_NAMESPACE: 'shared' };
    const fromEnv = loadConfig({}, env);
    assert.deepEqual([fromEnv.tokenFile, fromEnv.modelControl, fromEnv.teacherCacheNamespace], ['/etc/fspd/tokens', 'none', 'shared']);
    const fromFlags = loadConfig({ tokenFile: 'tokens', modelControl: 'EXPLICIT', teacherCacheNamespace: 'caller' }, env);
    assert.deepEqual([fromFlags.tokenFile, fromFlags.modelControl, fromFlags.teacherCacheNamespace], ['tokens', 'explicit', 'caller']);
    assert.throws(() => loadConfig({ modelControl: 'poll' }, {}), /^RangeError: --model-control: expected none or explicit, got 'poll'$/);
    assert.throws(() => loadConfig({}, { FSPD_TEACHER_CACHE_NAMESPACE: 'global' }), /^RangeError: FSPD_TEACHER_CACHE_NAMESPACE: expected caller or shared, got 'global'$/);
  });
});

describe('tokens with roles', () => {
  let server: FspdServer;
  let dir: string;
  const clients: Record<'compute' | 'train' | 'admin' | 'shared' | 'none' | 'wrong', FspdClient> = {} as never;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fspd-access-'));
    const tokenFile = path.join(dir, 'tokens');
    fs.writeFileSync(tokenFile, 'tok-compute compute student-a\ntok-train train trainer\ntok-admin admin ops\n');
    server = await startTestServer({ token: 'tok-shared', tokenFile });
    const address = server.addresses[0]!;
    const make = (token?: string) => new FspdClient({ address, deadlineMs: 30_000, ...(token ? { token } : {}) });
    Object.assign(clients, { compute: make('tok-compute'), train: make('tok-train'), admin: make('tok-admin'), shared: make('tok-shared'), none: make(), wrong: make('tok-nope') });
    await clients.admin.createModel({ modelId: 'teacher', resnet: { ...TINY, seed: 1 } });
    await clients.admin.createModel({ modelId: 'student', resnet: { ...TINY, seed: 2 } });
  });

  after(async () => {
    for (const c of Object.values(clients)) c.close();
    await server.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('no token or an unknown one: UNAUTHENTICATED', async () => {
    await expectStatus(clients.none.computeFsp({ pairs: [pair()] }), grpc.status.UNAUTHENTICATED, /^missing authorization metadata/);
    await expectStatus(clients.wrong.listModels(), grpc.status.UNAUTHENTICATED, /^invalid bearer token$/);
    await assert.rejects(clients.none.listModels(), (err: FspdError) => err.reason === 'MISSING_TOKEN');
    await assert.rejects(clients.wrong.listModels(), (err: FspdError) => err.reason === 'INVALID_TOKEN');
  });

  it('compute: FspService, shared memory and reading models; not sessions, not model management', async () => {
    const c = clients.compute;
    assert.equal((await c.computeFsp({ pairs: [pair()] })).matrices.length, 1);
    await c.teacherFsp({ modelId: 'teacher', images: images(2) });
    assert.deepEqual(await c.listSharedMemory(), []);
    assert.deepEqual((await c.listModels()).map((m) => m.modelId), ['teacher', 'student']);
    assert.equal((await c.getModel('teacher')).modelId, 'teacher');
    const denied = (role: Role) => new RegExp(`needs role ${role}; caller token:student-a has role compute$`);
    await expectStatus(c.listSessions(), grpc.status.PERMISSION_DENIED, /^fspd\.v1\.TrainingService\/ListSessions needs role train; caller token:student-a has role compute$/);
    await expectStatus(c.createSession({ spec: { studentModelId: 'student' } }), grpc.status.PERMISSION_DENIED, denied('train'));
    await expectStatus(c.createModel({ resnet: TINY }), grpc.status.PERMISSION_DENIED, denied('admin'));
    await assert.rejects(c.createModel({ resnet: TINY }), (err: FspdError) => {
      assert.equal(err.reason, 'PERMISSION_DENIED');
      assert.deepEqual(err.errorMetadata, { required_role: 'admin', role: 'compute' });
      return true;
    });
    await expectStatus(c.deleteModel('teacher'), grpc.status.PERMISSION_DENIED, denied('admin'));
    await expectStatus(c.exportModel('teacher'), grpc.status.PERMISSION_DENIED, denied('admin')); // server stream
    await expectStatus(c.uploadModel({ modelJson: {}, weights: new Uint8Array(4) }), grpc.status.PERMISSION_DENIED, denied('admin')); // client stream
    await expectStatus((async () => {
      for await (const _ of c.run({ sessionId: 'x', steps: 1 }));
    })(), grpc.status.PERMISSION_DENIED, denied('train'));
    assert.ok(await clients.admin.getModel('teacher'), 'nothing was deleted');
  });

  it('train: sessions and everything compute may; not model management', async () => {
    const c = clients.train;
    await c.createSession({ sessionId: 'by-trainer', spec: { studentModelId: 'student', teacherModelId: 'teacher', seed: 1 } });
    assert.equal((await c.getSession('by-trainer')).step, 0);
    await c.saveCheckpoint('by-trainer');
    assert.equal((await c.computeFsp({ pairs: [pair()] })).matrices.length, 1);
    assert.equal((await c.listModels()).length, 2);
    const denied = /needs role admin; caller token:trainer has role train$/;
    await expectStatus(c.createModel({ resnet: TINY }), grpc.status.PERMISSION_DENIED, denied);
    await expectStatus(c.uploadModel({ modelJson: {}, weights: new Uint8Array(4) }), grpc.status.PERMISSION_DENIED, denied);
    await expectStatus(c.exportModel('student'), grpc.status.PERMISSION_DENIED, denied);
    await expectStatus(c.deleteModel('student'), grpc.status.PERMISSION_DENIED, denied);
    await c.deleteSession('by-trainer');
  });

  it('admin (from the file, and the shared --token): model management and everything else', async () => {
    for (const c of [clients.admin, clients.shared]) {
      const m = await c.createModel({ resnet: TINY });
      const exported = await c.exportModel(m.modelId);
      const copy = await c.uploadModel(exported);
      await c.createSession({ sessionId: 'by-admin', spec: { studentModelId: copy.modelId } });
      await c.deleteSession('by-admin');
      await c.deleteModel(copy.modelId);
      await c.deleteModel(m.modelId);
      assert.equal((await c.computeFsp({ pairs: [pair()] })).matrices.length, 1);
    }
  });

  it('the TeacherFsp cache is per caller: one caller\'s sample ids never return another\'s matrices', async () => {
    const ids = ['s1', 's2'];
    const a = clients.compute;
    const b = clients.train;
    assert.equal((await a.teacherFsp({ modelId: 'teacher', images: images(2, 5), sampleIds: ids })).cacheHits, 0);
    assert.equal((await a.teacherFsp({ modelId: 'teacher', sampleIds: ids })).cacheHits, 2, 'the same caller hits its entries');
    await expectStatus(b.teacherFsp({ modelId: 'teacher', sampleIds: ids }), grpc.status.FAILED_PRECONDITION, /2 of 2 samples are not cached/);
    // Another caller's images under the same ids are its own entries.
    const other = await b.teacherFsp({ modelId: 'teacher', images: images(2, 6), sampleIds: ids });
    assert.equal(other.cacheHits, 0, 'computed, not served from the first caller');
    const first = await a.teacherFsp({ modelId: 'teacher', sampleIds: ids });
    assert.notDeepEqual(Buffer.from(first.matrices[0]!.data), Buffer.from(other.matrices[0]!.data), 'each caller keeps its own matrices');
  });
});

describe('--teacher-cache-namespace shared', () => {
  it('callers share entries: one caller\'s sample ids are another\'s hits', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fspd-access-'));
    const tokenFile = path.join(dir, 'tokens');
    fs.writeFileSync(tokenFile, 'tok-a compute a\ntok-b compute b\ntok-admin admin\n');
    const server = await startTestServer({ tokenFile, teacherCacheNamespace: 'shared' });
    const [a, b, admin] = ['tok-a', 'tok-b', 'tok-admin'].map((token) => new FspdClient({ address: server.addresses[0]!, token, deadlineMs: 30_000 })) as [FspdClient, FspdClient, FspdClient];
    try {
      await admin.createModel({ modelId: 'teacher', resnet: { ...TINY, seed: 1 } });
      await a.teacherFsp({ modelId: 'teacher', images: images(2), sampleIds: ['x', 'y'] });
      assert.equal((await b.teacherFsp({ modelId: 'teacher', sampleIds: ['x', 'y'] })).cacheHits, 2);
    } finally {
      for (const c of [a, b, admin]) c.close();
      await server.shutdown();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('mTLS without tokens: the certificate subject names the caller', { skip: tlsSkipReason() }, () => {
  let pki: TestPki;
  before(() => (pki = makeTestPki()));
  after(() => pki.remove());

  it('two client certificates have two cache namespaces', async () => {
    const server = await startTestServer({ tls: { cert: pki.file('server.pem'), key: pki.file('server.key'), ca: pki.file('ca.pem') } });
    const make = (name: string) =>
      new FspdClient({
        address: server.addresses[0]!,
        deadlineMs: 30_000,
        tls: { ca: pki.file('ca.pem'), cert: pki.file(`${name}.pem`), key: pki.file(`${name}.key`), serverName: 'localhost' },
        channelOptions: { 'grpc.use_local_subchannel_pool': 1 },
      });
    const one = make('client');
    const two = make('client2');
    try {
      await one.createModel({ modelId: 'teacher', resnet: { ...TINY, seed: 1 } }); // no tokens: every caller is admin
      await one.teacherFsp({ modelId: 'teacher', images: images(1), sampleIds: ['k'] });
      assert.equal((await one.teacherFsp({ modelId: 'teacher', sampleIds: ['k'] })).cacheHits, 1);
      await expectStatus(two.teacherFsp({ modelId: 'teacher', sampleIds: ['k'] }), grpc.status.FAILED_PRECONDITION, /1 of 1 samples are not cached/);
    } finally {
      one.close();
      two.close();
      await server.shutdown();
    }
  });
});

describe('--model-control none', () => {
  it('refuses creating, uploading, deleting and exporting models, admins included; the models restored at start serve', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fspd-access-'));
    const start = async (overrides: Partial<ServerConfig>) => {
      const server = await startTestServer({ checkpointDir: dir, ...overrides });
      return { server, client: new FspdClient({ address: server.addresses[0]!, deadlineMs: 30_000 }) };
    };
    try {
      const first = await start({});
      await first.client.createModel({ modelId: 'teacher', resnet: { ...TINY, seed: 1 } });
      const exported = await first.client.exportModel('teacher');
      first.client.close();
      await first.server.shutdown();

      const { server, client } = await start({ modelControl: 'none' });
      try {
        const off = /^model management is off on this server \(--model-control none\): \w+ is refused/;
        await expectStatus(client.createModel({ resnet: TINY }), grpc.status.FAILED_PRECONDITION, off);
        await expectStatus(client.uploadModel(exported, 'copy'), grpc.status.FAILED_PRECONDITION, off);
        await expectStatus(client.deleteModel('teacher'), grpc.status.FAILED_PRECONDITION, off);
        await expectStatus(client.exportModel('teacher'), grpc.status.FAILED_PRECONDITION, off);
        await assert.rejects(client.deleteModel('teacher'), (err: FspdError) => {
          assert.equal(err.reason, 'FEATURE_DISABLED');
          assert.deepEqual(err.errorMetadata, { flag: '--model-control' });
          return true;
        });
        assert.deepEqual((await client.listModels()).map((m) => m.modelId), ['teacher'], 'restored, and nothing changed');
        assert.equal((await client.teacherFsp({ modelId: 'teacher', images: images(1) })).matrices.length, 3, 'it serves');
      } finally {
        client.close();
        await server.shutdown();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
