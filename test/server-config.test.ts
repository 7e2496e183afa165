// Server config: flags > FSPD_* environment > defaults, validation naming the source, secrets masked.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fs from 'node:fs';
import { Command } from 'commander';
import { serveOptions } from '../src/cli/flags.js';
import { DEFAULT_CONFIG, loadConfig, maskConfig, maskEnv, SERVER_OPTIONS } from '../src/server/config.js';
import { DOC, withTable } from '../scripts/options-table.js';

describe('loadConfig', () => {
  it('defaults', () => {
    assert.deepEqual(loadConfig({}, {}), DEFAULT_CONFIG, 'defaults');
    assert.deepEqual(DEFAULT_CONFIG.addresses, ['127.0.0.1:50051'], 'address');
    assert.equal(DEFAULT_CONFIG.metricsAddress, '127.0.0.1:9464', 'metrics address');
    assert.equal(DEFAULT_CONFIG.maxMessageSize, 64 * 1024 * 1024, '64 MiB');
  });

  it('environment over defaults, flags over environment', () => {
    const env = {
      FSPD_ADDRESS: '0.0.0.0:7000, unix:/tmp/fspd.sock',
      FSPD_METRICS_ADDRESS: '[::1]:9000',
      FSPD_MAX_MESSAGE_SIZE: '16MiB',
      FSPD_TOKEN: 'from-env',
      FSPD_LOG_LEVEL: 'debug',
      FSPD_SHUTDOWN_GRACE: '2.5',
    };
    const fromEnv = loadConfig({}, env);
    assert.deepEqual(fromEnv.addresses, ['0.0.0.0:7000', 'unix:/tmp/fspd.sock'], 'FSPD_ADDRESS, comma-separated');
    assert.equal(fromEnv.metricsAddress, '[::1]:9000', 'IPv6 metrics address');
    assert.equal(fromEnv.maxMessageSize, 16 * 1024 * 1024, 'MiB');
    assert.equal(fromEnv.token, 'from-env', 'token');
    assert.equal(fromEnv.logLevel, 'debug', 'log level');
    assert.equal(fromEnv.shutdownGraceMs, 2500, 'grace in seconds');

    const fromFlags = loadConfig({ address: ['127.0.0.1:1', '127.0.0.1:2'], maxMessageSize: '1048576', token: 'from-flag' }, env);
    assert.deepEqual(fromFlags.addresses, ['127.0.0.1:1', '127.0.0.1:2'], 'repeated --address');
    assert.equal(fromFlags.maxMessageSize, 1048576, 'plain bytes');
    assert.equal(fromFlags.token, 'from-flag', 'flag wins');
    assert.equal(fromFlags.metricsAddress, '[::1]:9000', 'unset flag falls back to the environment');
  });

  it('TLS paths: cert and key together, CA optional', () => {
    assert.deepEqual(loadConfig({ tlsCert: 'c.pem', tlsKey: 'k.pem' }, { FSPD_TLS_CA: 'ca.pem' }).tls, { cert: 'c.pem', key: 'k.pem', ca: 'ca.pem' }, 'tls');
    assert.throws(() => loadConfig({ tlsCert: 'c.pem' }, {}), /--tls-cert: TLS needs both a certificate \(--tls-cert\) and its key \(--tls-key\)/, 'key missing');
  });

  it('health address: FSPD_HEALTH_ADDRESS or --health-address, HOST:PORT only, unset by default', () => {
    assert.equal(loadConfig({}, {}).healthAddress, undefined, 'no health port by default');
    assert.equal('healthAddress' in DEFAULT_CONFIG, false, 'not in the defaults');
    assert.equal(loadConfig({}, { FSPD_HEALTH_ADDRESS: '0.0.0.0:8081' }).healthAddress, '0.0.0.0:8081', 'from the environment');
    assert.equal(loadConfig({ healthAddress: '[::]:9000' }, { FSPD_HEALTH_ADDRESS: '0.0.0.0:8081' }).healthAddress, '[::]:9000', 'flag wins');
    assert.equal(loadConfig({}, { FSPD_HEALTH_ADDRESS: '' }).healthAddress, undefined, 'empty = unset');
    assert.throws(() => loadConfig({ healthAddress: 'unix:/tmp/h.sock' }, {}), /--health-address: expected HOST:PORT/, 'probes need TCP');
    assert.throws(() => loadConfig({}, { FSPD_HEALTH_ADDRESS: 'h:65536' }), /FSPD_HEALTH_ADDRESS: expected HOST:PORT/, 'port range');
  });

  it('health stall limit and shared-memory directory: at least 1 s, off by default', () => {
    assert.equal(loadConfig({}, {}).healthStallLimitMs, 60_000, 'a minute by default');
    assert.equal(loadConfig({ healthStallLimit: '2.5' }, { FSPD_HEALTH_STALL_LIMIT: '9' }).healthStallLimitMs, 2500, 'flag wins, seconds to ms');
    assert.equal(loadConfig({ healthStallLimit: '1' }, {}).healthStallLimitMs, 1000, 'the least: 4 heartbeats');
    assert.throws(() => loadConfig({}, { FSPD_HEALTH_STALL_LIMIT: '0' }), /^RangeError: FSPD_HEALTH_STALL_LIMIT: expected seconds >= 1 \(the main thread's heartbeat comes every 250 ms; a shorter limit flaps between SERVING and NOT_SERVING\), got '0'$/);
    // Near the 250 ms heartbeat an idle server's health would flap.
    assert.throws(() => loadConfig({ healthStallLimit: '0.25' }, {}), /^RangeError: --health-stall-limit: expected seconds >= 1 .*got '0\.25'$/);
    assert.throws(() => loadConfig({ healthStallLimit: '0.999' }, {}), /--health-stall-limit: expected seconds >= 1/);
    assert.equal(loadConfig({}, {}).sharedMemoryDir, undefined, 'shared memory off by default');
    assert.equal(loadConfig({}, { FSPD_SHARED_MEMORY_DIR: '/dev/shm/fspd' }).sharedMemoryDir, '/dev/shm/fspd', 'from the environment');
  });

  it('bad values name their source', () => {
    const bad = (flags: Parameters<typeof loadConfig>[0], env: NodeJS.ProcessEnv, message: RegExp) => assert.throws(() => loadConfig(flags, env), message, String(message));
    bad({ address: ['localhost'] }, {}, /^RangeError: --address: expected HOST:PORT \(port 0\.\.65535\) or unix:\/path, got 'localhost'/);
    bad({}, { FSPD_ADDRESS: 'unix:' }, /FSPD_ADDRESS: expected HOST:PORT/);
    bad({ metricsAddress: 'unix:/x' }, {}, /--metrics-address: expected HOST:PORT/);
    bad({}, { FSPD_METRICS_ADDRESS: 'h:70000' }, /FSPD_METRICS_ADDRESS/);
    bad({}, { FSPD_MAX_MESSAGE_SIZE: '64MB' }, /FSPD_MAX_MESSAGE_SIZE: expected a size in bytes/);
    bad({ maxMessageSize: '4GiB' }, {}, /--max-message-size/);
    bad({ logLevel: 'loud' }, {}, /--log-level: expected one of/);
    bad({}, { FSPD_SHUTDOWN_GRACE: '-1' }, /FSPD_SHUTDOWN_GRACE: expected seconds/);
  });

  it('shutdown grace: at most 2147483 s, past which setTimeout would fire at once', () => {
    assert.equal(loadConfig({ shutdownGrace: '2147483' }, {}).shutdownGraceMs, 2147483000, 'the longest grace');
    assert.ok(loadConfig({ shutdownGrace: '2147483' }, {}).shutdownGraceMs <= 2 ** 31 - 1, 'fits a timer');
    assert.equal(loadConfig({ shutdownGrace: '0' }, {}).shutdownGraceMs, 0, 'no grace');
    assert.throws(() => loadConfig({ shutdownGrace: '2147484' }, {}), /^RangeError: --shutdown-grace: expected seconds <= 2147483 \(about 24\.8 days, the longest timer\), got '2147484'$/);
    assert.throws(() => loadConfig({}, { FSPD_SHUTDOWN_GRACE: '3000000' }), /^RangeError: FSPD_SHUTDOWN_GRACE: expected seconds <= 2147483/);
  });

  it('an empty token is refused, not read as "no authentication"', () => {
    const empty = /the token is empty; give a token, or leave both --token and FSPD_TOKEN unset to run without authentication$/;
    // The flag beats the variable: `--token "$UNSET"` must not turn off the token in FSPD_TOKEN.
    assert.throws(() => loadConfig({ token: '' }, { FSPD_TOKEN: 'secret' }), new RegExp(`^RangeError: --token: ${empty.source}`), 'empty --token');
    assert.throws(() => loadConfig({ token: ' \t' }, {}), /^RangeError: --token: the token is empty/, 'whitespace-only --token');
    assert.throws(() => loadConfig({}, { FSPD_TOKEN: '' }), new RegExp(`^RangeError: FSPD_TOKEN: ${empty.source}`), 'set but empty FSPD_TOKEN');
    assert.throws(() => loadConfig({}, { FSPD_TOKEN: '  ' }), /^RangeError: FSPD_TOKEN: the token is empty/, 'whitespace-only FSPD_TOKEN');
    assert.equal(loadConfig({}, {}).token, undefined, 'neither given: no token (no authentication), as documented');
    assert.equal(loadConfig({}, { FSPD_LOGDIR: '' }).logdir, undefined, 'other empty variables are still unset');
  });

  it('maskConfig hides the token', () => {
    const masked = maskConfig(loadConfig({ token: 'hunter2' }, {}));
    assert.equal(masked.token, '***', 'masked');
    assert.doesNotMatch(JSON.stringify(masked), /hunter2/, 'no secret left');
    assert.equal('token' in maskConfig(DEFAULT_CONFIG), false, 'no token, nothing to mask');
  });

  it('maskEnv hides the secret variables (fspd doctor)', () => {
    assert.deepEqual(maskEnv({ FSPD_TOKEN: 'hunter2', FSPD_LOG_LEVEL: 'debug', FSPD_TOKEN_FILE: '/etc/fspd/tokens' }), { FSPD_TOKEN: '***', FSPD_LOG_LEVEL: 'debug', FSPD_TOKEN_FILE: '/etc/fspd/tokens' });
    assert.deepEqual(maskEnv({ FSPD_TOKEN: '' }), { FSPD_TOKEN: '' }, 'an empty one shown as empty (serve refuses it)');
  });

  it('admission limits: defaults, flags and variables, bad values named', () => {
    const d = loadConfig({}, {});
    assert.deepEqual(
      { maxOutputElements: d.maxOutputElements, maxBatch: d.maxBatch, maxModelSize: d.maxModelSize, maxInflightKernels: d.maxInflightKernels, maxQueued: d.maxQueued, maxReceiving: d.maxReceiving },
      { maxOutputElements: 64 * 1024 ** 2, maxBatch: 1024, maxModelSize: 1024 ** 3, maxInflightKernels: 8, maxQueued: 256, maxReceiving: 1 },
    );
    const c = loadConfig({ maxOutputElements: '1000', maxModelSize: '2MiB', maxQueued: '0' }, { FSPD_MAX_BATCH: '32', FSPD_MAX_INFLIGHT_KERNELS: '2', FSPD_MAX_OUTPUT_ELEMENTS: '5', FSPD_MAX_RECEIVING: '0' });
    assert.deepEqual([c.maxOutputElements, c.maxBatch, c.maxModelSize, c.maxInflightKernels, c.maxQueued, c.maxReceiving], [1000, 32, 2 * 1024 ** 2, 2, 0, 0]);
    assert.throws(() => loadConfig({}, { FSPD_MAX_BATCH: '0' }), /^RangeError: FSPD_MAX_BATCH: expected an integer >= 1, got '0'/);
    assert.throws(() => loadConfig({ maxInflightKernels: 'many' }, {}), /--max-inflight-kernels: expected an integer >= 1/);
    assert.throws(() => loadConfig({ maxModelSize: '1TB' }, {}), /--max-model-size: expected a size in bytes/);
  });

  it('HTTP/2 window: 1 MiB by default, 0 for HTTP/2\'s own, else at least 65535 bytes and below 2 GiB', () => {
    assert.equal(loadConfig({}, {}).http2Window, 1024 ** 2);
    assert.equal(loadConfig({ http2Window: '4MiB' }, {}).http2Window, 4 * 1024 ** 2);
    assert.equal(loadConfig({}, { FSPD_HTTP2_WINDOW: '0' }).http2Window, 0);
    assert.equal(loadConfig({}, { FSPD_HTTP2_WINDOW: '65535' }).http2Window, 65535);
    assert.throws(() => loadConfig({ http2Window: '32KiB' }, {}), /^RangeError: --http2-window: expected 0 or a window of at least 65535 bytes/);
    assert.throws(() => loadConfig({}, { FSPD_HTTP2_WINDOW: '2GiB' }), /^RangeError: FSPD_HTTP2_WINDOW: expected a size in bytes of 0 or from 64KiB-1/);
  });
});

describe('the table of options', () => {
  it('gives every option one flag and one variable, and `fspd serve` exactly those flags', () => {
    const flags = SERVER_OPTIONS.map((o) => o.flag);
    const envs = SERVER_OPTIONS.map((o) => o.env);
    assert.equal(new Set(flags).size, flags.length, 'flags unique');
    assert.equal(new Set(envs).size, envs.length, 'variables unique');
    for (const o of SERVER_OPTIONS) assert.equal(o.env, `FSPD_${o.flag.toUpperCase().replace(/-/g, '_')}`, `--${o.flag} and its variable`);
    const cli = serveOptions(new Command('serve')).options.map((o) => o.long);
    assert.deepEqual(cli, flags.map((f) => `--${f}`));
  });

  it('docs/DEPLOY.md holds the current table (regenerate: node --import tsx scripts/options-table.ts)', () => {
    const doc = fs.readFileSync(DOC, 'utf8');
    assert.equal(doc, withTable(doc));
  });
});

