// The HTTP/2 flow-control windows of the server's connections: how many bytes a client may send before the
// server acknowledges them. HTTP/2's default is 64 KiB for each stream and for the connection, so a 16 MiB
// request waits for 256 WINDOW_UPDATEs. With 1 MiB windows here and in fspd's Node client, FspLoss round
// trips over loopback took 0.78–0.90× the time at 16 MiB and 0.31–0.39× at 1 MiB (docs/BENCHMARKS.md,
// bench:rpc); a 48 MiB one from the Python client, 0.75–0.93×.
//
// grpc-js (1.14) reads no server option for it (its client takes `grpc-node.flow_control_window`; the same
// option on the server is grpc/grpc-node pull request 3058, open). Until it does, two of its private fields
// are used: the options it creates each listener's HTTP/2 server with (the stream window, sent in every
// new session's SETTINGS) and its listeners (each new session raises its connection window). If they are
// not there, the afterBind it returns says so and startServer logs a warning; test/server-http2-window.test.ts
// checks the windows a client sees.
//
// The stream window is also what a compute request waiting at the receive gate (receive-gate.ts) leaves in
// the server before it is read, each (Node acknowledges a connection's bytes as they arrive, a stream's as
// they are read): with many large calls waiting, calls × window bytes.
import type * as http2 from 'node:http2';
import type * as grpc from '@grpc/grpc-js';

/** HTTP/2's own window (RFC 9113 §6.9.2): 0 or this keeps it. */
export const HTTP2_DEFAULT_WINDOW = 65_535;
/** The largest window HTTP/2 allows. */
export const HTTP2_MAX_WINDOW = 2 ** 31 - 1;

/** The grpc-js server fields used (private in grpc-js 1.14). */
interface GrpcServerInternals {
  commonServerOptions?: { settings?: http2.Settings };
  http2Servers?: Map<http2.Http2Server | http2.Http2SecureServer, unknown>;
}

/** The server option grpc-js will read for it (see the header): set too, so it holds once grpc-js reads it. */
export function http2WindowOptions(window: number): grpc.ServerOptions {
  return window > HTTP2_DEFAULT_WINDOW ? { 'grpc-node.flow_control_window': window } : {};
}

/**
 * Gives `server`'s HTTP/2 sessions `window` bytes of flow-control window per stream and per connection.
 * Call before binding; it returns `afterBind`, to call once the server listens (grpc-js creates its
 * listeners' HTTP/2 servers while binding, and the connection window is raised per session). `afterBind`
 * is false when grpc-js's fields were not found: the windows then stay HTTP/2's default.
 */
export function applyHttp2Window(server: grpc.Server, window: number): () => boolean {
  if (window <= HTTP2_DEFAULT_WINDOW) return () => true;
  const internals = server as unknown as GrpcServerInternals;
  const options = internals.commonServerOptions;
  if (typeof options !== 'object' || options === null) return () => false;
  options.settings = { ...options.settings, initialWindowSize: window };
  const raised = new WeakSet<object>();
  return () => {
    const listeners = internals.http2Servers;
    if (!(listeners instanceof Map)) return false;
    for (const listener of listeners.keys()) {
      if (raised.has(listener)) continue;
      raised.add(listener);
      listener.on('session', (session: http2.ServerHttp2Session) => {
        if (!session.destroyed) session.setLocalWindowSize(window);
      });
    }
    return true;
  };
}
