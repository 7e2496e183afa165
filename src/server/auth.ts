// Bearer-token auth as a server interceptor: every call but health checks needs
// `authorization: Bearer <token>`, else UNAUTHENTICATED. Compared in constant time (both sides hashed
// first, so neither the content nor the length of the token leaks through timing).
import { createHash, timingSafeEqual } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';

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
            if (problem) intercepted.sendStatus({ code: grpc.status.UNAUTHENTICATED, details: problem });
            else nextMetadata(metadata);
          },
        }),
    });
    return intercepted;
  };
}

/** Why the call is refused, or undefined when its token matches. */
function check(metadata: grpc.Metadata, expected: Buffer): string | undefined {
  const [header] = metadata.get('authorization');
  if (typeof header !== 'string') return 'missing authorization metadata: send `authorization: Bearer <token>`';
  const m = /^Bearer\s+(.+)$/i.exec(header);
  if (!m || !timingSafeEqual(digest(m[1]!), expected)) return 'invalid bearer token';
  return undefined;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
