import { describe, expect, it } from "vitest";
import { RateStep, StepMeasurement, capacity, ladderRateAfter, measureAgain, measureStep, nextRate, refinementRate, stepSeconds, stopReason } from "../../../bench/lib/rateSteps";
import { interferenceOf, latency, measurement, rules, step, stepOf } from "../steps";

/** Drives nextRate with a fake server whose p99 at each rate is given: the rates the bench would measure. */
function schedule(p99At: (rate: number) => number, errorsAt: (rate: number) => number = () => 0, stepRules = rules): number[] {
  const steps: RateStep[] = [];
  for (let next = nextRate(steps, stepRules); next && steps.length < 50; next = nextRate(steps, stepRules)) {
    steps.push(step(next.ratePerSecond, p99At(next.ratePerSecond), { errors: errorsAt(next.ratePerSecond), refinement: next.refinement }));
  }
  return steps.map((s) => s.ratePerSecond);
}

describe("rate steps", () => {
  it("climbs 250, 500, 1000, 2000, 4000, then doubles", () => {
    expect([undefined, 250, 500, 1000, 2000, 4000, 8000].map(ladderRateAfter)).toEqual([250, 500, 1000, 2000, 4000, 8000, 16000]);
  });

  it("stops at the first step with p99 over 50 ms, then climbs from the capacity in steps of 500 req/s until one fails", () => {
    // p99 ≤ 5 ms up to 6000 req/s, 20 ms up to 8000, 80 ms at 16000.
    const p99 = (rate: number) => (rate <= 6000 ? 2 : rate <= 8000 ? 20 : 80);
    expect(schedule(p99)).toEqual([250, 500, 1000, 2000, 4000, 8000, 16000, 4500, 5000, 5500, 6000, 6500]);
  });

  it("measures every 500 req/s between the capacity and the first failing rate when each passes", () => {
    const p99 = (rate: number) => (rate < 4000 ? 3 : 60);
    expect(schedule(p99)).toEqual([250, 500, 1000, 2000, 4000, 2500, 3000, 3500]);
  });

  it("stops at the first step with errors, even when its p99 is low", () => {
    expect(schedule(() => 1, (rate) => (rate >= 2000 ? 3 : 0))).toEqual([250, 500, 1000, 2000, 1500]);
  });

  it("has nothing to refine between 250 and 500 req/s, nor without a refinement step in the rules", () => {
    expect(schedule((rate) => (rate <= 250 ? 2 : 60))).toEqual([250, 500]);
    const { refinementStepPerSecond: _, ...older } = rules;
    void _;
    expect(schedule((rate) => (rate < 4000 ? 3 : 60), () => 0, older)).toEqual([250, 500, 1000, 2000, 4000]);
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
    const steps = [step(250, 1), step(500, 1.5), step(1000, 5), step(2000, 9), step(4000, 60), step(1500, 4, { refinement: true })];
    expect(capacity(steps, rules, 1)).toEqual({ requestsPerSecond: 1500, evaluationsPerSecond: 1500, p99Ms: 4, nextRatePerSecond: 2000, nextP99Ms: 9, disturbedVetoRates: [] });
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
      disturbedVetoRates: [],
    });
  });
});

describe("capacity on a noisy host", () => {
  // 250 req/s measured while a second bench started: others + steal over 100m in every attempt.
  const disturbedLow = [step(250, 8.2, { interference: interferenceOf(233, 40) }), step(500, 2.6), step(1000, 3.1), step(2000, 9)];

  it("is not vetoed by a lower step that failed only while disturbed, and names that step", () => {
    expect(capacity(disturbedLow, rules, 1)).toEqual({ requestsPerSecond: 1000, evaluationsPerSecond: 1000, p99Ms: 3.1, nextRatePerSecond: 2000, nextP99Ms: 9, disturbedVetoRates: [250] });
  });

  it("is still vetoed by a lower step that failed while not disturbed", () => {
    const quietFailure = [step(250, 8.2, { interference: interferenceOf(60, 30) }), step(500, 2.6), step(1000, 3.1)];
    expect(capacity(quietFailure, rules, 1)).toMatchObject({ requestsPerSecond: undefined, nextRatePerSecond: 250, disturbedVetoRates: [] });
  });

  it("judges a step by its counted attempt: a failure in a disturbed attempt that did not count cannot veto", () => {
    const attempts = [
      { ...measurement(250, 8.2, { interference: interferenceOf(233) }), number: 1, counted: false },
      { ...measurement(250, 1.3, { interference: interferenceOf(10) }), number: 2, counted: true },
    ];
    expect(capacity([stepOf(250, attempts), step(500, 2.6)], rules, 1)).toMatchObject({ requestsPerSecond: 500, disturbedVetoRates: [] });
  });

  it("names no disturbed veto for a disturbed failure above the capacity", () => {
    const steps = [step(250, 1), step(500, 2), step(1000, 9, { interference: interferenceOf(300) }), step(2000, 12)];
    expect(capacity(steps, rules, 1)).toMatchObject({ requestsPerSecond: 500, nextRatePerSecond: 1000, disturbedVetoRates: [] });
  });

  it("refines above the capacity a disturbed low step did not veto", () => {
    expect(nextRate([...disturbedLow.slice(0, 3), step(2000, 9), step(4000, 60)], rules)).toEqual({ ratePerSecond: 1500, refinement: true });
  });

  it("climbs past a refinement step that failed only while disturbed, up to the first undisturbed failure", () => {
    const ladder = [step(250, 1), step(500, 1), step(1000, 2), step(2000, 3), step(4000, 60)];
    const disturbed2500 = step(2500, 9, { refinement: true, interference: interferenceOf(300) });
    expect(refinementRate([...ladder, disturbed2500], rules)).toEqual({ ratePerSecond: 3000, refinement: true });
    const passed3000 = step(3000, 4, { refinement: true });
    expect(capacity([...ladder, disturbed2500, passed3000], rules, 1)).toMatchObject({ requestsPerSecond: 3000, disturbedVetoRates: [2500] });
    expect(refinementRate([...ladder, disturbed2500, passed3000, step(3500, 7, { refinement: true })], rules)).toBeUndefined();
  });

  it("refines up to the highest rate measured when every failure above the capacity was disturbed", () => {
    const steps = [step(250, 1), step(500, 1), step(1000, 2), step(2000, 60, { interference: interferenceOf(400) })];
    expect(refinementRate(steps, rules)).toEqual({ ratePerSecond: 1500, refinement: true });
    expect(refinementRate([...steps, step(1500, 3, { refinement: true })], rules)).toBeUndefined();
  });
});

describe("re-measuring a disturbed step", () => {
  /** measureStep against attempts whose others on Flipt's core are given in turn; p99 is the attempt number. */
  async function measured(othersMillicores: number[]) {
    const calls: number[] = [];
    const disturbedAttempts: number[] = [];
    const attempts = await measureStep(
      async (attempt): Promise<StepMeasurement> => {
        calls.push(attempt);
        return measurement(250, attempt, { interference: interferenceOf(othersMillicores[attempt - 1]) });
      },
      rules,
      (attempt) => disturbedAttempts.push(attempt),
    );
    return { calls, disturbedAttempts, attempts };
  }

  it("measures an undisturbed step once", async () => {
    const { calls, attempts } = await measured([40]);
    expect(calls).toEqual([1]);
    expect(attempts.map((a) => [a.number, a.counted])).toEqual([[1, true]]);
  });

  it("measures again while disturbed, keeps every attempt and counts the first undisturbed one", async () => {
    const { calls, disturbedAttempts, attempts } = await measured([233, 162, 30, 500]);
    expect(calls).toEqual([1, 2, 3]);
    expect(disturbedAttempts).toEqual([1, 2]);
    expect(attempts.map((a) => [a.number, a.latencyMs.p99, a.counted])).toEqual([
      [1, 1, false],
      [2, 2, false],
      [3, 3, true],
    ]);
  });

  it("stops after three more attempts and counts the least disturbed of all four", async () => {
    const { calls, attempts } = await measured([233, 140, 180, 160, 10]);
    expect(calls).toEqual([1, 2, 3, 4]);
    expect(attempts.filter((a) => a.counted).map((a) => a.number)).toEqual([2]);
    expect(stepOf(250, attempts)).toMatchObject({ latencyMs: { p99: 2 }, interference: { othersMillicores: 140 }, attempts });
  });

  it("counts the steal on Flipt's core as disturbance, beside the other processes", () => {
    expect(measureAgain([measurement(250, 1, { interference: interferenceOf(60, 41) })], rules)).toBe(true);
    expect(measureAgain([measurement(250, 1, { interference: interferenceOf(60, 40) })], rules)).toBe(false);
  });

  it("takes the step's figures and stop reason from the counted attempt", () => {
    const attempts = [
      { ...measurement(1000, 80, { interference: interferenceOf(400) }), number: 1, counted: false },
      { ...measurement(1000, 2, { interference: interferenceOf(0) }), number: 2, counted: true },
    ];
    const s: RateStep = stepOf(1000, attempts);
    expect(s.latencyMs).toEqual(latency(2));
    expect(s.stopReason).toBeUndefined();
    expect(s.attempts).toHaveLength(2);
  });
});
