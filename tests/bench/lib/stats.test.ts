import { describe, expect, it } from "vitest";
import { millicores, percentile, pollingFloor, ratio, spread, summarize } from "../../../bench/lib/stats";

describe("bench statistics", () => {
  const tenChanges = [5200, 900, 9800, 4100, 7600, 300, 6100, 2500, 8700, 3300];

  it.each([
    [50, 4100],
    [95, 9800],
    [99, 9800],
    [100, 9800],
    [0, 300],
    [10, 300],
    [11, 900],
  ])("the p%s of ten propagation times is the nearest-rank sample %s ms", (p, expected) => {
    expect(percentile(tenChanges, p)).toBe(expected);
  });

  it("summarizes samples without reordering the caller's array", () => {
    const samples = [...tenChanges];
    expect(summarize(samples)).toEqual({ n: 10, min: 300, median: 4100, p95: 9800, p99: 9800, max: 9800, mean: 4850 });
    expect(samples).toEqual(tenChanges);
  });

  it("summarizes more samples than a spread argument list could hold", () => {
    const many = Array.from({ length: 300_000 }, (_, i) => i);
    expect(summarize(many)).toMatchObject({ n: 300_000, min: 0, median: 149_999, max: 299_999 });
  });

  it("refuses a percentile of nothing or outside 0..100", () => {
    expect(() => percentile([], 50)).toThrow("no samples");
    expect(() => percentile([1], 101)).toThrow("outside 0..100");
  });

  it("puts the floor of a polling design at half, 95% of and the whole interval", () => {
    expect(pollingFloor(10_000)).toEqual({ median: 5000, p95: 9500, max: 10_000 });
  });

  it("turns CPU seconds over a window into millicores", () => {
    expect(millicores(7.5, 5)).toBe(1500);
    expect(millicores(0.02, 10)).toBe(2);
    expect(millicores(1, 0)).toBe(0);
  });

  it("has no ratio to zero", () => {
    expect(ratio(9000, 3000)).toBe(3);
    expect(ratio(9000, 0)).toBeUndefined();
  });
});

describe("percentiles of many samples", () => {
  it("puts the p99.9 of 1000 samples at rank 999, not one above from float error", () => {
    const samples = Array.from({ length: 1000 }, (_, i) => i + 1);
    expect(percentile(samples, 99.9)).toBe(999);
    expect(percentile(samples, 99)).toBe(990);
  });
});

describe("spread across repeated runs", () => {
  it("is the middle value of an odd count and the range, whatever the order", () => {
    expect(spread([2.6, 1.3, 8.2])).toEqual({ median: 2.6, min: 1.3, max: 8.2 });
  });

  it("is the mean of the two middle values of an even count, not the better run", () => {
    expect(spread([1.6, 1.2])).toEqual({ median: 1.4, min: 1.2, max: 1.6 });
    expect(spread([4, 1, 3, 2]).median).toBe(2.5);
  });

  it("has no range for one run, and refuses none", () => {
    expect(spread([1.3])).toEqual({ median: 1.3, min: 1.3, max: 1.3 });
    expect(() => spread([])).toThrow("spread of no values");
  });
});
