import { describe, expect, it } from "vitest";
import { kindSpreads } from "../../../bench/latency/repeats";
import { kindRun, step } from "../steps";

// Three rounds of Git boolean: the second disturbed at 1000 req/s, the third measuring a refinement at 1500.
const rounds = [
  kindRun("git", "boolean", [step(250, 1.3, { p50: 0.33 }), step(500, 1.3, { p50: 0.31 }), step(1000, 1.4, { p50: 0.31 }), step(2000, 9)], 1),
  kindRun("git", "boolean", [step(250, 1.2, { p50: 0.35 }), step(500, 1.6, { p50: 0.3 }), step(1000, 8.2, { p50: 0.9 })], 2),
  kindRun("git", "boolean", [step(250, 1.5, { p50: 0.32 }), step(500, 1.4, { p50: 0.34 }), step(1000, 2.1, { p50: 0.4 }), step(2000, 7), step(1500, 4, { refinement: true })], 3),
];

describe("figures across repeated ladders", () => {
  it("gives per rate the median and range of p50 and p99 over the rounds that measured it", () => {
    const [git] = kindSpreads(rounds);
    expect(git).toMatchObject({ storage: "git", kind: "boolean", rounds: 3 });
    expect(git.steps.map((s) => [s.ratePerSecond, s.rounds])).toEqual([
      [250, 3],
      [500, 3],
      [1000, 3],
      [1500, 1],
      [2000, 2],
    ]);
    expect(git.steps[0]).toEqual({ ratePerSecond: 250, rounds: 3, p50Ms: { median: 0.33, min: 0.32, max: 0.35 }, p99Ms: { median: 1.3, min: 1.2, max: 1.5 } });
    expect(git.steps[2].p99Ms).toEqual({ median: 2.1, min: 1.4, max: 8.2 });
    expect(git.steps[4].p99Ms).toEqual({ median: 8, min: 7, max: 9 });
  });

  it("gives the capacity's median and range, a round without one counting as 0", () => {
    expect(kindSpreads(rounds)[0].capacityRequestsPerSecond).toEqual({ median: 1000, min: 500, max: 1500 });
    const none = kindRun("database", "batch", [step(250, 12), step(500, 70)]);
    expect(kindSpreads([none, kindRun("database", "batch", [step(250, 4), step(500, 70)], 2)])[0].capacityRequestsPerSecond).toEqual({ median: 125, min: 0, max: 250 });
  });

  it("keeps storages and kinds apart, in the order measured", () => {
    const spreads = kindSpreads([kindRun("git", "ofrep", [step(250, 1)]), kindRun("database", "ofrep", [step(250, 2)]), kindRun("git", "ofrep", [step(250, 3)], 2)]);
    expect(spreads.map((s) => [s.storage, s.kind, s.rounds])).toEqual([
      ["git", "ofrep", 2],
      ["database", "ofrep", 1],
    ]);
  });
});
