// Admission of compute calls (ComputeFsp, FspLoss, TeacherFsp, TrainStep, Evaluate): the request's bytes
// are reserved at once, the call waits for a slot in the kernel queue, its estimated working memory is
// reserved when it starts, and everything is given back when it ends, whichever way it ends.
import type { Limits } from './limits.js';
import type { KernelQueue } from './kernel-queue.js';
import type { MemoryBudget, ReservationKind } from './memory-budget.js';
import type { AnyCall } from './rpc.js';

export interface ComputeCost {
  /** Bytes of the decoded request held while the call waits and runs. */
  request: number;
  /** Estimated working memory while it runs (work-estimates.ts). */
  work: number;
  /** Where the working memory lives: tfjs tensors or other buffers. */
  kind: ReservationKind;
}

export class Admission {
  constructor(
    readonly limits: Limits,
    readonly memory: MemoryBudget,
    readonly queue: KernelQueue,
  ) {}

  async compute<T>(call: AnyCall | undefined, what: string, cost: ComputeCost, work: () => Promise<T> | T): Promise<T> {
    const request = this.memory.reserve(cost.request, `${what} (its request)`, 'host');
    try {
      const release = await this.queue.acquire(call);
      try {
        const working = this.memory.reserve(cost.work, `${what} (estimated working memory)`, cost.kind);
        try {
          return await work();
        } finally {
          working.release();
        }
      } finally {
        release();
      }
    } finally {
      request.release();
    }
  }
}
