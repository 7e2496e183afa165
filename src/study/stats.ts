// Summary statistics for a study: mean, sample standard deviation and a two-sided Student-t confidence
// interval (the seeds are few, so the normal 1.96 would be too narrow: with 5 seeds t(0.975, 4) = 2.776).
// The t quantile is found by bisection on the t CDF, which is the regularised incomplete beta function
// evaluated by its continued fraction (Numerical Recipes §6.4) — no tables, any degrees of freedom.

export interface Interval {
  /** Samples. */
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1 in the denominator); NaN when n < 2. */
  sd: number;
  /** Half-width of the interval: t(1 − (1 − level)/2, n − 1) · sd / √n; NaN when n < 2. */
  half: number;
  lo: number;
  hi: number;
  level: number;
}

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('mean: no values');
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function sampleSd(xs: readonly number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; about 15 significant digits). */
function lnGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  x -= 1;
  let a = c[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** The regularised incomplete beta function I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betaContinuedFraction(a, b, x)) / a : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`df: expected > 0, got ${df}`);
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t with `df` degrees of freedom (bisection to 1e-12). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`p: expected a probability in (0, 1), got ${p}`);
  if (!(df > 0)) throw new RangeError(`df: expected > 0, got ${df}`);
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * Math.max(1, hi); i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Mean ± the two-sided Student-t interval at `level` (default 95 %). */
export function tInterval(xs: readonly number[], level = 0.95): Interval {
  if (!(level > 0 && level < 1)) throw new RangeError(`level: expected a probability in (0, 1), got ${level}`);
  for (const [i, x] of xs.entries()) if (!Number.isFinite(x)) throw new RangeError(`values[${i}]: expected a finite number, got ${x}`);
  const n = xs.length;
  const m = mean(xs);
  const sd = sampleSd(xs);
  const half = n < 2 ? NaN : (studentTQuantile(1 - (1 - level) / 2, n - 1) * sd) / Math.sqrt(n);
  return { n, mean: m, sd, half, lo: m - half, hi: m + half, level };
}

/** The interval of paired differences a[i] − b[i] (same seed, same initial weights and data order). */
export function pairedInterval(a: readonly number[], b: readonly number[], level = 0.95): Interval {
  if (a.length !== b.length) throw new RangeError(`paired values: ${a.length} vs ${b.length}`);
  return tInterval(a.map((x, i) => x - b[i]!), level);
}
