// The memory budget (--max-memory) as reservations. Whatever will hold memory for a while takes a
// reservation of its estimated bytes before allocating, and gives it back when done, on every path:
// a model for its life in the registry, a session (optimiser state, teacher-FSP cache) for its life, a
// shared-memory region while registered, an upload while it streams, an in-flight call while it runs.
// Taking a reservation checks and records in one synchronous step, so concurrent creates cannot all pass
// one check and then all allocate.
//
// Used = reserved bytes + live tfjs tensor bytes that no 'tensors' reservation accounts for (tensors of
// something that reserves nothing, or a leak), so the budget never reads lower than what tfjs holds.
import * as tf from '@tensorflow/tfjs';
import { mib, overLimit } from './limits.js';

/** 'tensors': tfjs tensors (counted against tf.memory()); 'host': other memory (buffers, caches, mapped files). */
export type ReservationKind = 'tensors' | 'host';

export class Reservation {
  private released = false;

  constructor(
    private readonly budget: MemoryBudget,
    readonly what: string,
    readonly kind: ReservationKind,
    private size: number,
  ) {}

  get bytes(): number {
    return this.released ? 0 : this.size;
  }

  /** Sets the reservation to what the thing turned out to hold (a shrink, or a growth that may pass the budget). */
  resize(bytes: number): void {
    if (this.released) return;
    this.budget.adjust(this.kind, bytes - this.size);
    this.size = bytes;
  }

  /** Gives the bytes back; later calls do nothing. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.budget.adjust(this.kind, -this.size);
  }
}

export interface BudgetStats {
  max: number;
  reserved: number;
  reservedTensors: number;
  /** Live tfjs bytes beyond the 'tensors' reservations. */
  untracked: number;
  used: number;
}

export class MemoryBudget {
  private reservedBytes = { tensors: 0, host: 0 };

  constructor(
    readonly max: number,
    private readonly tensorBytes: () => number = () => tf.memory().numBytes,
  ) {}

  stats(): BudgetStats {
    const reserved = this.reservedBytes.tensors + this.reservedBytes.host;
    const untracked = Math.max(0, this.tensorBytes() - this.reservedBytes.tensors);
    return { max: this.max, reserved, reservedTensors: this.reservedBytes.tensors, untracked, used: reserved + untracked };
  }

  used(): number {
    return this.stats().used;
  }

  /** Reserves `bytes` for `what`, or RESOURCE_EXHAUSTED naming --max-memory when they would pass the budget. */
  reserve(bytes: number, what: string, kind: ReservationKind = 'host'): Reservation {
    const used = this.used();
    if (used + bytes > this.max) {
      throw overLimit(
        'maxMemory',
        `${what} needs ${mib(bytes)}, and the server holds ${mib(used)} of its ${mib(this.max)} memory budget`,
        'delete models, sessions or shared-memory regions, or retry when in-flight calls have finished',
      );
    }
    return this.hold(bytes, what, kind);
  }

  /** Records `bytes` without checking: for what is already allocated (state restored at start). */
  hold(bytes: number, what: string, kind: ReservationKind = 'host'): Reservation {
    this.adjust(kind, bytes);
    return new Reservation(this, what, kind, bytes);
  }

  /** @internal Reservation's bookkeeping. */
  adjust(kind: ReservationKind, delta: number): void {
    this.reservedBytes[kind] += delta;
  }
}
