// The plaintext health-only port (--health-address) beside a main port with TLS, a token and a unix
// socket, as in the Kubernetes sidecar: probes get the server's statuses without TLS or token, nothing
// but grpc.health.v1 is served there, and it closes after the main server at shutdown. Also `fspd health`.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { checkHealth, healthTarget } from '../src/cli/health.js';
import type { FspLossRequest } from '../src/generated/fspd/v1/FspLossRequest.js';
import type { FspdServer } from '../src/server/server.js';
import { dims, randomMap, seededRandom } from './helpers/random.js';
import { expectStatus, fspClient, pairMessage, startTestServer } from './helpers/server.js';
import { makeTestPki, tlsSkipReason, type TestPki } from './helpers/tls.js';

const root = path.resolve(import.meta.dirname, '..');
const TOKEN = 'probe-test-token';

function lossRequest(seed = 1): FspLossRequest {
  const rng = seededRandom(seed);
  const pair = () => pairMessage(randomMap(rng, dims(2, 4, 4, 3), 'NHWC'), randomMap(rng, dims(2, 4, 4, 5), 'NHWC'));
  return { student: [pair()], teacher: [pair()] };
}

/** Runs `fspd health ARGS`; resolves with its exit code and output. */
function fspdHealth(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, ['bin/fspd.js', 'health', ...args], { cwd: root, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    ),
  );
}

describe('health port beside a TLS + token main port', { skip: tlsSkipReason() }, () => {
  const socket = path.join(os.tmpdir(), `fspd-health-test-${process.pid}.sock`);
  let pki: TestPki;
  let server: FspdServer;
  before(async () => {
    pki = makeTestPki();
    fs.rmSync(socket, { force: true });
    server = await startTestServer({
      addresses: ['127.0.0.1:0', `unix:${socket}`],
      healthAddress: '127.0.0.1:0',
      token: TOKEN,
      tls: { cert: pki.file('server.pem'), key: pki.file('server.key') },
    });
  });
  after(async () => {
    await server?.shutdown();
    fs.rmSync(socket, { force: true });
    pki.remove();
  });

  it('binds the health port on its own, with a real port', () => {
    assert.match(server.healthAddress ?? '', /^127\.0\.0\.1:[1-9]\d*$/, `health address ${server.healthAddress}`);
    assert.ok(!server.addresses.includes(server.healthAddress!), 'not one of the main addresses');
  });

  it('answers SERVING in plaintext without a token, per service too', async () => {
    assert.equal(await checkHealth(server.healthAddress!, '', 5000), 'SERVING', 'overall');
    assert.equal(await checkHealth(server.healthAddress!, 'fspd.v1.TrainingService', 5000), 'SERVING', 'TrainingService');
    await expectStatus(checkHealth(server.healthAddress!, 'fspd.v1.NoSuchService', 5000), grpc.status.NOT_FOUND, /NoSuchService/);
  });

  it('the main port still needs TLS and the token', async () => {
    await expectStatus(checkHealth(server.addresses[0]!, '', 5000), grpc.status.UNAVAILABLE, /./);
    const tls = () => grpc.credentials.createSsl(fs.readFileSync(pki.file('ca.pem')));
    const anonymous = fspClient(server.addresses[0]!, { credentials: tls(), serverName: 'localhost' });
    await expectStatus(anonymous.fspLoss(lossRequest()), grpc.status.UNAUTHENTICATED, /authorization/);
    anonymous.close();
    // The sidecar's case: TLS and the token over the unix socket (grpc-js names it `localhost`).
    const trainer = fspClient(`unix:${socket}`, { credentials: tls(), token: TOKEN });
    assert.ok((await trainer.fspLoss(lossRequest(2))).loss > 0, 'loss over TLS on the unix socket');
    trainer.close();
  });

  it('serves nothing but health: other RPCs are UNIMPLEMENTED, token or not', async () => {
    const c = fspClient(server.healthAddress!, { token: TOKEN });
    await expectStatus(c.fspLoss(lossRequest()), grpc.status.UNIMPLEMENTED, /./);
    c.close();
  });

  it('`fspd health` exits 0 on the health port and 1 on the TLS port', async () => {
    const ok = await fspdHealth('--address', server.healthAddress!, '--timeout', '10');
    assert.equal(ok.code, 0, `exit code; stderr: ${ok.stderr}`);
    assert.equal(ok.stdout.trim(), 'SERVING', 'prints the status');
    const tls = await fspdHealth('--address', server.addresses[0]!, '--timeout', '10');
    assert.equal(tls.code, 1, `exit code against TLS; stdout: ${tls.stdout}`);
    assert.match(tls.stderr, /UNAVAILABLE/, 'names the failure');
    const usage = await fspdHealth('--timeout', '0');
    assert.equal(usage.code, 2, `a bad --timeout is a usage error: ${usage.stderr}`);
  });
});

describe('health port at shutdown', () => {
  it('says NOT_SERVING while the main server drains and sessions close, then closes after it', async () => {
    const server = await startTestServer({ healthAddress: '127.0.0.1:0' });
    const health = server.healthAddress!;
    const main = server.addresses[0]!;
    assert.equal(await checkHealth(health, '', 5000), 'SERVING', 'before');
    const seen: string[] = [];
    // Hooks run after the main server has stopped and sessions were checkpointed.
    server.onShutdown(async () => {
      seen.push(`health ${await checkHealth(health, '', 5000)}`);
      const late = fspClient(main, { ownConnection: true });
      await expectStatus(late.fspLoss(lossRequest()), grpc.status.UNAVAILABLE, /./);
      late.close();
      seen.push('main closed');
    });
    await server.shutdown();
    assert.deepEqual(seen, ['health NOT_SERVING', 'main closed'], 'the health port outlived the main server');
    await expectStatus(checkHealth(health, '', 5000), grpc.status.UNAVAILABLE, /./);
  });

  it('`fspd health` targets: flag, FSPD_HEALTH_ADDRESS, FSPD_ADDRESS, wildcard hosts as loopback', () => {
    assert.equal(healthTarget('10.0.0.1:1', { FSPD_HEALTH_ADDRESS: '0.0.0.0:2' }), '10.0.0.1:1', 'flag first');
    assert.equal(healthTarget(undefined, { FSPD_HEALTH_ADDRESS: '0.0.0.0:8081', FSPD_ADDRESS: 'unix:/s' }), '127.0.0.1:8081', 'health address, wildcard → loopback');
    assert.equal(healthTarget(undefined, { FSPD_ADDRESS: '[::]:7000, unix:/s' }), '[::1]:7000', 'first main address');
    assert.equal(healthTarget(undefined, { FSPD_ADDRESS: 'unix:/var/run/fspd/fspd.sock' }), 'unix:/var/run/fspd/fspd.sock', 'a unix socket as is');
    assert.equal(healthTarget(undefined, {}), '127.0.0.1:50051', 'default');
  });
});
