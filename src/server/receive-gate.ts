// At most `maxReceiving` compute requests are read from the network at once, server-wide; the others wait
// before grpc-js starts reading their stream, so HTTP/2 flow control holds their bytes back in the client
// (all but the stream's first window: --http2-window, http2-window.ts).
//
// Why: grpc-js joins each request's frames into one buffer in its data handler. Concurrent uploads are
// interleaved by HTTP/2, so they end together, in the same socket reads, and are joined back to back
// before any other work runs: 16 concurrent 16 MiB FspLoss requests stalled the event loop for
// 194–321 ms; read one at a time, 29–47 ms (docs/BENCHMARKS.md, bench:rpc). It also bounds the request
// bytes held before admission (admission.ts) sees them. A request still arriving `holdLimitMs` after its
// read began (a slow or stalled client) stops counting, so it holds the others back no longer than that.
import * as grpc from '@grpc/grpc-js';

/** The calls whose requests carry tensors inline (the compute calls): only these pass the gate. */
export const COMPUTE_METHODS: ReadonlySet<string> = new Set([
  '/fspd.v1.FspService/ComputeFsp',
  '/fspd.v1.FspService/FspLoss',
  '/fspd.v1.FspService/TeacherFsp',
  '/fspd.v1.TrainingService/TrainStep',
  '/fspd.v1.TrainingService/Evaluate',
]);

/** How long one request may hold its slot while it arrives. */
export const RECEIVE_HOLD_LIMIT_MS = 250;

export class ReceiveGate {
  private receiving = 0;
  private readonly waiting: (() => void)[] = [];

  /** `maxReceiving` 0 = no limit. */
  constructor(
    readonly maxReceiving: number,
    readonly holdLimitMs = RECEIVE_HOLD_LIMIT_MS,
  ) {}

  stats(): { receiving: number; waiting: number } {
    return { receiving: this.receiving, waiting: this.waiting.length };
  }

  /**
   * Calls `read` once a slot is free (at once if one is). Returns `done`, to call when the request has
   * arrived or the call has ended: it gives the slot back, or leaves the queue if the call still waits.
   * Calling it again does nothing.
   */
  enter(read: () => void): () => void {
    if (this.maxReceiving === 0) {
      read();
      return () => {};
    }
    let state: 'waiting' | 'reading' | 'done' = 'waiting';
    let timer: NodeJS.Timeout | undefined;
    const start = () => {
      state = 'reading';
      this.receiving++;
      timer = setTimeout(done, this.holdLimitMs);
      timer.unref();
      read();
    };
    const done = () => {
      if (state === 'waiting') this.waiting.splice(this.waiting.indexOf(start), 1);
      if (state === 'reading') {
        clearTimeout(timer);
        this.receiving--;
        this.admit();
      }
      state = 'done';
    };
    this.waiting.push(start);
    this.admit();
    return done;
  }

  private admit(): void {
    while (this.receiving < this.maxReceiving && this.waiting.length > 0) this.waiting.shift()!();
  }
}

/** Passes compute calls' first read through `gate`; the slot is given back when the request has arrived. */
export function receiveGateInterceptor(gate: ReceiveGate): grpc.ServerInterceptor {
  return (method, call) => {
    if (!COMPUTE_METHODS.has(method.path)) return new grpc.ServerInterceptingCall(call);
    let done: (() => void) | undefined;
    let ended = false;
    // The request has arrived, or the call is over: either way it no longer waits or reads.
    const release = () => {
      ended = true;
      done?.();
    };
    return new GatedReadCall(
      call,
      {
        start: (next) =>
          next({
            onReceiveMessage: (message, nextMessage) => {
              release();
              nextMessage(message);
            },
            onReceiveHalfClose: (nextHalfClose) => {
              release();
              nextHalfClose();
            },
            onCancel: release,
          }),
      },
      (read) => {
        if (ended) read();
        else done = gate.enter(read);
      },
    );
  };
}

/** A call whose first startRead (grpc-js's unary handlers ask on the metadata) goes through `gate`. */
class GatedReadCall extends grpc.ServerInterceptingCall {
  private asked = false;

  constructor(
    next: grpc.ServerInterceptingCallInterface,
    responder: grpc.Responder,
    private readonly gate: (read: () => void) => void,
  ) {
    super(next, responder);
  }

  override startRead(): void {
    if (this.asked) return super.startRead();
    this.asked = true;
    this.gate(() => super.startRead());
  }
}
