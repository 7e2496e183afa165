// --http2-window (http2-window.ts): the windows a client is given, per stream (SETTINGS) and per connection
// (WINDOW_UPDATE). That a request waiting at the receive gate still stays in the client with the default
// window is test/server-receive-gate.test.ts's.
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { after, before, describe, it } from 'node:test';
import type { FspdServer } from '../src/server/server.js';
import { addonSkip } from './helpers/addon.js';
import { startTestServer } from './helpers/server.js';

/** The stream window the server advertises and the connection window it grants, as a raw client sees them. */
async function windowsSeen(address: string): Promise<{ stream: number; connection: number }> {
  const session = http2.connect(`http://${address}`);
  try {
    const settings = await new Promise<http2.Settings>((resolve) => session.once('remoteSettings', resolve));
    // The server sends its WINDOW_UPDATE on seeing the session, before it can answer a ping sent after it.
    await new Promise<void>((resolve, reject) => session.ping((err) => (err ? reject(err) : resolve())));
    return { stream: settings.initialWindowSize!, connection: session.state.remoteWindowSize! };
  } finally {
    session.close();
  }
}

describe('--http2-window', { skip: addonSkip }, () => {
  let windowed: FspdServer;
  let plain: FspdServer;
  before(async () => {
    windowed = await startTestServer({ http2Window: 4 * 1024 ** 2 });
    plain = await startTestServer({ http2Window: 0 });
  });
  after(async () => {
    await Promise.all([windowed.shutdown(), plain.shutdown()]);
  });

  it("gives each stream and each connection the window; 0 keeps HTTP/2's 64 KiB", async () => {
    assert.deepEqual(await windowsSeen(windowed.addresses[0]!), { stream: 4 * 1024 ** 2, connection: 4 * 1024 ** 2 });
    assert.deepEqual(await windowsSeen(plain.addresses[0]!), { stream: 65_535, connection: 65_535 });
  });
});
