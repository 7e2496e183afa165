// Float32Arrays kept from call to call for kernel outputs that a response only borrows until it is encoded
// (FspLoss's inline gradients): taken for a call, given back once the response's bytes have been copied
// (inline-codec.ts's afterEncoding). A new result array per call would be new external memory to V8, which
// answers with full collections (one every 4–5 fused-loss calls returning 48 MiB, docs/BENCHMARKS.md). Idle
// arrays are kept up to a byte limit; past it they are left to the collector (and, from the addon, its pool).
export class KeptArrays {
  private readonly idle = new Map<number, Float32Array[]>();
  private idleBytes = 0;

  /** `make(length)`: a new array for a length with none idle (the addon's outputArray: aligned for the kernels). */
  constructor(
    private readonly make: (length: number) => Float32Array,
    private readonly limitBytes: number,
  ) {}

  take(length: number): Float32Array {
    const array = this.idle.get(length)?.pop();
    if (!array) return this.make(length);
    this.idleBytes -= array.byteLength;
    return array;
  }

  give(arrays: readonly Float32Array[]): void {
    for (const array of arrays) {
      if (this.idleBytes + array.byteLength > this.limitBytes) continue;
      const shelf = this.idle.get(array.length) ?? [];
      shelf.push(array);
      this.idle.set(array.length, shelf);
      this.idleBytes += array.byteLength;
    }
  }

  /** Bytes of the arrays waiting to be taken again. */
  get bytes(): number {
    return this.idleBytes;
  }
}
