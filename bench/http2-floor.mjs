// The floor under bench:rpc's inline path: raw Node HTTP/2 over loopback (no gRPC, no protobuf) moving
// 16 MiB up and 8 MiB down per request, with Node's default flow-control window and frames and with
// larger ones. Run: node bench/http2-floor.mjs
import http2 from 'node:http2';
const body = Buffer.alloc(16 << 20, 1);
async function run(settings, label) {
  const server = http2.createServer({ settings });
  server.on('stream', (stream) => {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => { const b = Buffer.concat(chunks); stream.respond({ ':status': 200 }); stream.end(b.subarray(0, 8 << 20)); });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const client = http2.connect(`http://127.0.0.1:${server.address().port}`, { settings });
  if (settings.initialWindowSize) client.on('connect', () => client.setLocalWindowSize(settings.initialWindowSize));
  server.on('session', (s) => settings.initialWindowSize && s.setLocalWindowSize(settings.initialWindowSize));
  const once = () => new Promise((res) => {
    const req = client.request({ ':method': 'POST', ':path': '/' });
    let n = 0; req.on('data', (c) => (n += c.length)); req.on('end', () => res(n));
    req.end(body);
  });
  await once();
  const t0 = performance.now();
  for (let i = 0; i < 5; i++) await once();
  console.log(label, ((performance.now() - t0) / 5).toFixed(1), 'ms per 16 MiB up + 8 MiB down');
  client.close(); server.close();
}
await run({}, 'default (64 KiB window, 16 KiB frames)');
await run({ initialWindowSize: 16 << 20 }, '16 MiB window');
await run({ initialWindowSize: 16 << 20, maxFrameSize: (1 << 24) - 1 }, '16 MiB window + 16 MiB frames');
