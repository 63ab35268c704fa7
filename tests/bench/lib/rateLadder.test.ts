import { describe, expect, it } from "vitest";
import { LadderLoad, LadderSettings, MAX_STEPS, adaptiveRates, climbLadders, fixedRates } from "../../../bench/lib/rateLadder";
import { DEFAULT_STEP_RULES, StepRules } from "../../../bench/lib/rateSteps";
import { interferenceOf, latency, step } from "../steps";

/** No attempt counts as disturbed, whatever else runs on this machine: the ladder's order is what is tested. */
const rules: StepRules = { ...DEFAULT_STEP_RULES, maxDisturbanceMillicores: Infinity };

/** A load whose p99 at each rate is given; every attack it is asked for is recorded in `attacks`. */
function load(name: string, attacks: string[], p99At: (rate: number) => number = () => 1): LadderLoad {
  return {
    name,
    attack: async (attackName, ratePerSecond) => {
      attacks.push(attackName);
      return { sentPerSecond: ratePerSecond, latencyMs: latency(p99At(ratePerSecond)) };
    },
  };
}

function settings(plan: LadderSettings["plan"], warmupSeconds = 5): LadderSettings {
  return { rules, plan, warmupSeconds, pinning: { flipt: "0", generator: "0" }, fliptPid: process.pid, settleMs: 0 };
}

describe("the rate ladder", () => {
  it("warms every load up at the first rate, then has them take turns at each rate", async () => {
    const attacks: string[] = [];
    const steps = await climbLadders([load("http", attacks), load("grpc", attacks)], settings(fixedRates([250, 500], rules)));
    expect(attacks).toEqual(["http-warmup", "grpc-warmup", "http-250-1", "grpc-250-1", "http-500-1", "grpc-500-1"]);
    expect(steps.map((s) => s.map((x) => x.ratePerSecond))).toEqual([[250, 500], [250, 500]]);
  });

  it("leaves a load at the step that stops it while the others climb on", async () => {
    const attacks: string[] = [];
    const slow = load("ofrep", attacks, (rate) => (rate >= 500 ? 60 : 1));
    const steps = await climbLadders([load("http", attacks), slow], settings(fixedRates([250, 500, 1000], rules), 0));
    expect(attacks).toEqual(["http-250-1", "ofrep-250-1", "http-500-1", "ofrep-500-1", "http-1000-1"]);
    expect(steps[1].map((s) => s.stopReason)).toEqual([undefined, "p99 60.0 ms > 50 ms"]);
  });

  it("climbs the latency section's ladder: first rates, doubling until a step stops it, then refinement steps of 500 req/s", async () => {
    const attacks: string[] = [];
    const [steps] = await climbLadders([load("boolean", attacks, (rate) => (rate >= 4000 ? 80 : rate >= 2000 ? 8 : 2))], settings(adaptiveRates(rules), 0));
    expect(steps.map((s) => [s.ratePerSecond, s.refinement])).toEqual([
      [250, false], [500, false], [1000, false], [2000, false], [4000, false], [1500, true],
    ]);
    expect(steps.map((s) => s.durationSeconds)).toEqual([40, 20, 20, 20, 20, 20]);
    expect(attacks[0]).toBe("boolean-250-1");
  });

  it("refines a fixed list in steps of 500 req/s from the capacity, each load on its own, until a step fails", async () => {
    const attacks: string[] = [];
    const http = load("http", attacks, (rate) => (rate >= 3000 ? 8 : 2));
    const grpc = load("grpc", attacks, (rate) => (rate >= 1000 ? 8 : 2));
    const steps = await climbLadders([http, grpc], settings(fixedRates([250, 500, 1000, 2000, 4000], rules), 0));
    expect(steps.map((s) => s.map((x) => [x.ratePerSecond, x.refinement]))).toEqual([
      [[250, false], [500, false], [1000, false], [2000, false], [4000, false], [2500, true], [3000, true]],
      [[250, false], [500, false], [1000, false], [2000, false], [4000, false]],
    ]);
  });

  it("ends every ladder after MAX_STEPS steps whatever the plan says", async () => {
    const rates = Array.from({ length: MAX_STEPS + 4 }, (_, i) => 100 * (i + 1));
    const [steps] = await climbLadders([load("http", [])], settings(fixedRates(rates, rules), 0));
    expect(steps).toHaveLength(MAX_STEPS);
  });
});

describe("the ladder plans", () => {
  const strict = DEFAULT_STEP_RULES;

  it("a fixed list goes on past a stopping step the host disturbed, and ends at one it did not", () => {
    const plan = fixedRates([250, 500, 1000], strict);
    const disturbed = step(500, 60, { interference: interferenceOf(400) });
    const undisturbed = step(500, 60);
    expect(plan.next([step(250, 2), disturbed])).toEqual({ ratePerSecond: 1000, refinement: false });
    expect(plan.stopsClimb(disturbed)).toBe(false);
    expect(plan.next([step(250, 2), undisturbed])).toBeUndefined();
    expect(plan.stopsClimb(undisturbed)).toBe(true);
    expect(plan.next([step(250, 2), step(500, 2), step(1000, 2)])).toBeUndefined();
  });

  it("the adaptive climb ends at any stopping step, disturbed or not, and lets Flipt drain after it", () => {
    const plan = adaptiveRates(strict);
    expect(plan.next([])).toEqual({ ratePerSecond: 250, refinement: false });
    expect(plan.stopsClimb(step(500, 60, { interference: interferenceOf(400) }))).toBe(true);
    expect(plan.stopsClimb(step(500, 4))).toBe(false);
  });
});
