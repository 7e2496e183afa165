// A bounded queue in front of compute calls: at most `maxRunning` run at once, at most `maxQueued` wait
// (first come, first served); one more is refused at once with RESOURCE_EXHAUSTED and a retry hint. A
// waiting call leaves the queue when its client cancels or its deadline passes.
import * as grpc from '@grpc/grpc-js';
import { overLimit } from './limits.js';
import { RpcError } from './status.js';

/** What the queue needs of a call: whether and when it ends early. */
export interface QueuedCall {
  cancelled: boolean;
  getDeadline(): grpc.Deadline;
  once(event: 'cancelled', listener: () => void): unknown;
  off(event: 'cancelled', listener: () => void): unknown;
}

interface Waiter {
  start(): void;
  fail(err: RpcError): void;
}

export class KernelQueue {
  private running = 0;
  private readonly waiting: Waiter[] = [];

  constructor(
    readonly maxRunning: number,
    readonly maxQueued: number,
  ) {}

  stats(): { running: number; queued: number } {
    return { running: this.running, queued: this.waiting.length };
  }

  /**
   * A slot for `call`: resolves with the function that gives it back (call it exactly once, when the work
   * is done), or rejects with RESOURCE_EXHAUSTED (queue full), CANCELLED or DEADLINE_EXCEEDED.
   */
  acquire(call?: QueuedCall): Promise<() => void> {
    if (call?.cancelled) return Promise.reject(new RpcError(grpc.status.CANCELLED, 'cancelled by the client'));
    if (this.running < this.maxRunning && this.waiting.length === 0) {
      this.running++;
      return Promise.resolve(this.slot());
    }
    if (this.waiting.length >= this.maxQueued) {
      return Promise.reject(
        overLimit(
          'maxQueued',
          `the server is busy: ${this.running} compute calls run (--max-inflight-kernels ${this.maxRunning}) and ${this.waiting.length} wait, the most the queue holds`,
          'retry after a backoff (e.g. 100 ms, doubling)',
          100,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onCancel = () => leave(new RpcError(grpc.status.CANCELLED, 'cancelled by the client while queued for a compute slot'));
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        call?.off('cancelled', onCancel);
      };
      const waiter: Waiter = {
        start: () => {
          cleanup();
          resolve(this.slot());
        },
        fail: (err) => {
          cleanup();
          reject(err);
        },
      };
      const leave = (err: RpcError) => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        waiter.fail(err);
      };
      if (call) {
        call.once('cancelled', onCancel);
        const deadline = call.getDeadline();
        const ms = (deadline instanceof Date ? deadline.getTime() : deadline) - Date.now();
        if (ms < 2 ** 31 - 1) timer = setTimeout(() => leave(new RpcError(grpc.status.DEADLINE_EXCEEDED, 'deadline exceeded while queued for a compute slot')), Math.max(0, ms));
      }
      this.waiting.push(waiter);
    });
  }

  /** A release function that works once; it hands the slot to the next waiter, if any. */
  private slot(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiting.shift();
      if (next) next.start();
      else this.running--;
    };
  }
}
