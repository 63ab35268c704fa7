import { describe, expect, it } from "vitest";
import { utilisationRows } from "../../../bench/latency/report";
import { highestUtilisationWithinCapacity, kindUtilisations } from "../../../bench/latency/utilisation";
import type { Interference } from "../../../bench/lib/cpuShare";
import { kindRun, rules, step } from "../steps";

/** Flipt's own CPU over a step, undisturbed. */
const flipt = (fliptMillicores: number, othersMillicores = 0): Interference => ({ othersMillicores, stealMillicores: 0, generatorStealMillicores: 0, fliptMillicores });

describe("Flipt's CPU utilisation with p99 held", () => {
  it("is the highest Flipt CPU among the steps within capacity, with that step's rate and p99", () => {
    const steps = [step(250, 2, { interference: flipt(90) }), step(1000, 3, { interference: flipt(330) }), step(2000, 4.5, { interference: flipt(610) }), step(4000, 30, { interference: flipt(990) }), step(2500, 7, { refinement: true, interference: flipt(720) })];
    expect(highestUtilisationWithinCapacity(steps, rules)).toEqual({ ratePerSecond: 2000, p99Ms: 4.5, fliptMillicores: 610 });
  });

  it("leaves out steps above the capacity even when they passed, and lower steps that failed while disturbed", () => {
    // 500 failed undisturbed: the capacity is 250, so 1000's pass (and its higher CPU) does not count.
    expect(highestUtilisationWithinCapacity([step(250, 2, { interference: flipt(100) }), step(500, 6, { interference: flipt(200) }), step(1000, 3, { interference: flipt(400) })], rules)).toMatchObject({ ratePerSecond: 250, fliptMillicores: 100 });
    // 500 failed while disturbed: it does not veto 1000, and is not a step at which p99 held.
    const disturbed = [step(250, 2, { interference: flipt(100) }), step(500, 6, { interference: flipt(700, 300) }), step(1000, 3, { interference: flipt(400) })];
    expect(highestUtilisationWithinCapacity(disturbed, rules)).toMatchObject({ ratePerSecond: 1000, fliptMillicores: 400 });
  });

  it("has none when no step is within capacity", () => {
    expect(highestUtilisationWithinCapacity([step(250, 6, { interference: flipt(100) })], rules)).toBeUndefined();
  });

  it("gives each round's reading and the median across rounds, per kind and storage", () => {
    const run = (round: number, millicores: number) => kindRun("git", "boolean", [step(250, 2, { interference: flipt(80) }), step(1000, 3, { interference: flipt(millicores) }), step(2000, 9, { interference: flipt(900) })], round);
    const slow = kindRun("database", "boolean", [step(250, 7, { interference: flipt(300) })]);
    const [git, database] = kindUtilisations([run(1, 300), slow, run(2, 360), run(3, 330)], rules);
    expect(git.rounds.map((r) => r?.fliptMillicores)).toEqual([300, 360, 330]);
    expect(git.fliptMillicores).toEqual({ median: 330, min: 300, max: 360 });
    expect(database).toEqual({ storage: "database", kind: "boolean", rounds: [undefined], fliptMillicores: undefined });
  });

  it("is printed as a share of the core and, for an HPA target, of prod's CPU request", () => {
    const [git] = kindUtilisations([kindRun("git", "boolean", [step(250, 2, { interference: flipt(80) }), step(1000, 3.2, { interference: flipt(620) }), step(2000, 9, { interference: flipt(900) })])], rules);
    const [row] = utilisationRows("5 latency", { byKind: [git], prodCpu: { stack: "prod", requestMillicores: 100, limitMillicores: 1000 } }, rules);
    expect(row).toEqual([
      "5 latency",
      "highest CPU with p99 ≤ 5 ms: boolean (/evaluate/v1/boolean), Git storage (ours)",
      "620m (62 % of its core) at 1,000 req/s, p99 3.2 ms",
      "as an HPA target (a share of the CPU request): 620 % of prod's cpuRequest 100m, 62 % of its cpuLimit 1000m",
    ]);
  });
});
