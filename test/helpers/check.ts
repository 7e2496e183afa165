// Comparison helpers for tests.

/** Normwise relative error max|a − ref| / max|ref| (absolute when ref is all zero). NaN anywhere gives NaN. */
export function relErr(a: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (a.length !== ref.length) throw new Error(`length ${a.length} != reference length ${ref.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - ref[i]!);
    if (Number.isNaN(d)) return NaN;
    diff = Math.max(diff, d);
    scale = Math.max(scale, Math.abs(ref[i]!));
  }
  return scale === 0 ? diff : diff / scale;
}

/** Central finite differences of f at x (float64): (f(x + eps·e_k) − f(x − eps·e_k)) / 2eps for every k. */
export function finiteDifferences(f: (x: Float64Array) => number, x: ArrayLike<number>, eps = 1e-6): Float64Array {
  const probe = Float64Array.from(x);
  const grad = new Float64Array(probe.length);
  for (let k = 0; k < probe.length; k++) {
    const v = probe[k]!;
    probe[k] = v + eps;
    const up = f(probe);
    probe[k] = v - eps;
    const down = f(probe);
    probe[k] = v;
    grad[k] = (up - down) / (2 * eps);
  }
  return grad;
}

/** Throws unless relErr(actual, ref) <= tol; the message names `what` and the error (NaN fails). */
export function assertClose(actual: ArrayLike<number>, ref: ArrayLike<number>, tol: number, what: string): void {
  const err = relErr(actual, ref);
  if (!(err <= tol)) throw new Error(`${what}: normwise relative error ${err} > ${tol}`);
}
