/** Pure arithmetic on measured samples: percentiles and the summaries the report prints. */

/**
 * The p-th percentile (0–100) of `samples` by the nearest-rank method: the smallest sample such
 * that at least p% of the samples are at or below it. With 10 samples, p95 is the largest.
 */
export function percentile(samples: readonly number[], p: number): number {
  return percentileOfSorted([...samples].sort((a, b) => a - b), p);
}

export function percentileOfSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new Error("percentile of no samples");
  if (!(p >= 0 && p <= 100)) throw new Error(`percentile ${p} is outside 0..100`);
  // The epsilon keeps float error from bumping an exact rank up one (99.9 / 100 × 1000 is 999.0000000000001).
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length - 1e-9));
  return sorted[rank - 1];
}

export interface Summary {
  readonly n: number;
  readonly min: number;
  readonly median: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: sorted.length,
    min: percentileOfSorted(sorted, 0),
    median: percentileOfSorted(sorted, 50),
    p95: percentileOfSorted(sorted, 95),
    p99: percentileOfSorted(sorted, 99),
    max: sorted[sorted.length - 1],
    mean: sorted.reduce((sum, x) => sum + x, 0) / sorted.length,
  };
}

/** The median and range of a few figures, one per repeated run. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/**
 * Across repeated runs the median is the middle value, or the mean of the two middle ones: with
 * two runs the nearest-rank median would report the better run as typical.
 */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new Error("spread of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

/**
 * What a polling design alone costs: a change lands at a uniformly random point of the poll cycle
 * and waits for the next poll, so the wait is uniform on [0, interval).
 */
export function pollingFloor(intervalMs: number): Pick<Summary, "median" | "p95" | "max"> {
  return { median: intervalMs * 0.5, p95: intervalMs * 0.95, max: intervalMs };
}

/** CPU use over a window, in millicores (1000 = one core busy all the time). */
export function millicores(cpuSeconds: number, wallSeconds: number): number {
  return wallSeconds > 0 ? (cpuSeconds / wallSeconds) * 1000 : 0;
}

/** a / b, or undefined when b is zero (a ratio to a run that did nothing means nothing). */
export function ratio(a: number, b: number): number | undefined {
  return b === 0 ? undefined : a / b;
}

export function round(value: number, digits = 0): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
