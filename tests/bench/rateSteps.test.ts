import { describe, expect, it } from "vitest";
import { DEFAULT_STEP_RULES, RateStep, capacity, ladderRateAfter, nextRate, stackSizing, stepSeconds, stopReason } from "../../bench/rateSteps";
import { LatencySummary } from "../../bench/vegeta";

const rules = DEFAULT_STEP_RULES;

function latency(p99: number, errors = 0): LatencySummary {
  return { requests: 20_000, p50: p99 / 4, p90: p99 / 2, p99, p999: p99 * 2, max: p99 * 3, non200: errors, transportErrors: 0, errors };
}

/** A step as the bench records it: the stop reason from the same rule the bench applies. */
function step(ratePerSecond: number, p99: number, errors = 0, refinement = false): RateStep {
  const l = latency(p99, errors);
  return { ratePerSecond, durationSeconds: 20, sentPerSecond: ratePerSecond, latencyMs: l, refinement, stopReason: refinement ? undefined : stopReason(ratePerSecond, ratePerSecond, l, rules) };
}

/** Drives nextRate with a fake server whose p99 at each rate is given: the rates the bench would measure. */
function schedule(p99At: (rate: number) => number, errorsAt: (rate: number) => number = () => 0): number[] {
  const steps: RateStep[] = [];
  for (let next = nextRate(steps, rules); next && steps.length < 50; next = nextRate(steps, rules)) {
    steps.push(step(next.ratePerSecond, p99At(next.ratePerSecond), errorsAt(next.ratePerSecond), next.refinement));
  }
  return steps.map((s) => s.ratePerSecond);
}

describe("rate steps", () => {
  it("climbs 250, 500, 1000, 2000, 4000, then doubles", () => {
    expect([undefined, 250, 500, 1000, 2000, 4000, 8000].map(ladderRateAfter)).toEqual([250, 500, 1000, 2000, 4000, 8000, 16000]);
  });

  it("stops at the first step with p99 over 50 ms, then measures once between the capacity and the next rate", () => {
    // p99 ≤ 5 ms up to 4000 req/s, 20 ms at 8000, 80 ms at 16000.
    const p99 = (rate: number) => (rate <= 6000 ? 2 : rate <= 8000 ? 20 : 80);
    expect(schedule(p99)).toEqual([250, 500, 1000, 2000, 4000, 8000, 16000, 6000]);
  });

  it("stops at the first step with errors, even when its p99 is low", () => {
    expect(schedule(() => 1, (rate) => (rate >= 2000 ? 3 : 0))).toEqual([250, 500, 1000, 2000, 1500]);
  });

  it("stops at maxRate when nothing else stops it", () => {
    const rates = schedule(() => 1);
    expect(rates[rates.length - 1]).toBe(128_000);
    expect(rates).toEqual([250, 500, 1000, 2000, 4000, 8000, 16000, 32000, 64000, 128_000]);
  });

  it("does not refine when even the first rate is over the capacity limit", () => {
    expect(schedule(() => 70)).toEqual([250]);
  });

  it("says why a step ends the ladder", () => {
    expect(stopReason(1000, 1000, latency(3), rules)).toBeUndefined();
    expect(stopReason(1000, 1000, latency(50), rules)).toBeUndefined();
    expect(stopReason(1000, 1000, latency(50.5), rules)).toBe("p99 50.5 ms > 50 ms");
    expect(stopReason(1000, 1000, latency(3, 2), rules)).toBe("2 errors (2 non-200, 0 without an answer)");
    expect(stopReason(16000, 9000, latency(3), rules)).toBe("vegeta sent 9000 of 16000 req/s");
  });

  it("lasts 20 s, or longer where 20 s would hold fewer than 10,000 requests", () => {
    expect([250, 400, 500, 1000, 8000].map((r) => stepSeconds(r, rules))).toEqual([40, 25, 20, 20, 20]);
  });
});

describe("capacity", () => {
  it("is the highest rate with p99 at or under 5 ms and no errors, with every lower rate within too", () => {
    const steps = [step(250, 1), step(500, 1.5), step(1000, 5), step(2000, 9), step(4000, 60), step(1500, 4, 0, true)];
    expect(capacity(steps, rules, 1)).toEqual({ requestsPerSecond: 1500, evaluationsPerSecond: 1500, p99Ms: 4, nextRatePerSecond: 2000, nextP99Ms: 9 });
  });

  it("does not count a rate above one that failed, even if it looked better", () => {
    const steps = [step(250, 1), step(500, 7), step(1000, 4), step(2000, 60)];
    expect(capacity(steps, rules, 1).requestsPerSecond).toBe(250);
  });

  it("counts the evaluations in a batch", () => {
    expect(capacity([step(250, 2), step(500, 30)], rules, 10)).toMatchObject({ requestsPerSecond: 250, evaluationsPerSecond: 2500 });
  });

  it("has none when the first rate is already over the limit, and names that rate", () => {
    expect(capacity([step(250, 12), step(500, 70)], rules, 10)).toEqual({
      requestsPerSecond: undefined,
      evaluationsPerSecond: undefined,
      p99Ms: undefined,
      nextRatePerSecond: 250,
      nextP99Ms: 12,
    });
  });
});

describe("sizing", () => {
  const assumptions = { peakEvaluationsPerSecond: 10_000, plannedUtilisation: 0.5 };

  it("scales the per-core capacity by the CPU limit and plans pods at half of it", () => {
    // 4000/s per core: a 500m pod serves 2000/s, planned at 1000/s: 10 pods for 10,000/s.
    expect(stackSizing("dev", 500, 1, 4000, assumptions)).toEqual({ stack: "dev", cpuLimitMillicores: 500, evaluationsPerSecondPerPod: 2000, replicasForPeak: 10, configuredReplicas: 1 });
    expect(stackSizing("prod", 1000, 2, 4000, assumptions).replicasForPeak).toBe(5);
  });

  it("never plans fewer pods than the stack runs", () => {
    expect(stackSizing("prod", 1000, 2, 100_000, assumptions).replicasForPeak).toBe(2);
  });

  it("refuses to size from no capacity", () => {
    expect(() => stackSizing("prod", 1000, 2, 0, assumptions)).toThrow("no capacity to size prod from");
  });
});
