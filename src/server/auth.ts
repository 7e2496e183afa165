// Bearer-token auth as a server interceptor: every call but health checks needs
// `authorization: Bearer <token>`, else UNAUTHENTICATED (reason MISSING_TOKEN or INVALID_TOKEN). Compared in constant time (both sides hashed
// first, so neither the content nor the length of the token leaks through timing).
import { createHash, timingSafeEqual } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { RpcError, statusOf } from './status.js';

const HEALTH_PREFIX = '/grpc.health.v1.Health/';

export function authInterceptor(token: string): grpc.ServerInterceptor {
  const expected = digest(token);
  return (method, call) => {
    if (method.path.startsWith(HEALTH_PREFIX)) return new grpc.ServerInterceptingCall(call);
    const intercepted: grpc.ServerInterceptingCall = new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, nextMetadata) => {
            const problem = check(metadata, expected);
            if (problem) intercepted.sendStatus(statusOf(problem));
            else nextMetadata(metadata);
          },
        }),
    });
    return intercepted;
  };
}

/** Why the call is refused, or undefined when its token matches. */
function check(metadata: grpc.Metadata, expected: Buffer): RpcError | undefined {
  const [header] = metadata.get('authorization');
  if (typeof header !== 'string') return new RpcError(grpc.status.UNAUTHENTICATED, 'missing authorization metadata: send `authorization: Bearer <token>`', { reason: 'MISSING_TOKEN' });
  const m = /^Bearer\s+(.+)$/i.exec(header);
  if (!m || !timingSafeEqual(digest(m[1]!), expected)) return new RpcError(grpc.status.UNAUTHENTICATED, 'invalid bearer token', { reason: 'INVALID_TOKEN' });
  return undefined;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
