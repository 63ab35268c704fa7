import { describe, expect, it } from "vitest";
import { describeInterference, disturbanceMillicores, interference, parseProcStat, stealShare } from "../../../bench/lib/cpuShare";

// Columns: user nice system idle iowait irq softirq steal guest guest_nice.
const before = ["cpu  259948 0 50029 102958 1158 0 3754 315 0 0", "cpu0 130307 5 23121 53682 211 7 2011 168 0 0", "cpu1 129641 0 26908 49276 946 0 1743 146 0 0", "intr 1"].join("\n");
// 20 s later at 100 ticks/s: cpu0 1400 busy ticks (Flipt's 12 s = 1200, others 200), 260 steal; cpu1 40 steal.
const after = ["cpu  262348 0 50029 103558 1158 0 3754 615 0 0", "cpu0 131707 5 23121 53722 211 7 2011 428 0 0", "cpu1 130641 0 26908 49496 946 0 1743 186 0 0"].join("\n");
const cores = { flipt: 0, generator: 1 };

describe("steal and others on Flipt's core, from /proc/stat", () => {
  it("reads every cpu line: busy (idle, iowait and steal left out), steal and the total of all states", () => {
    const stat = parseProcStat(before);
    expect(stat.cpus[0]).toEqual({ busy: 130307 + 5 + 23121 + 7 + 2011, steal: 168, total: 130307 + 5 + 23121 + 53682 + 211 + 7 + 2011 + 168 });
    expect(stat.cpus[1].steal).toBe(146);
    expect(stat.all.steal).toBe(315);
    expect(() => interference({ before: stat, after: stat, wallSeconds: 1, ticksPerSecond: 100 }, { flipt: 2, generator: 1 }, 0)).toThrow("no cpu2 line");
    expect(() => parseProcStat("intr 1")).toThrow("no cpu line");
  });

  it("turns the ticks between two samples into millicores per core: others and steal on Flipt's, steal on the generator's", () => {
    const window = { before: parseProcStat(before), after: parseProcStat(after), wallSeconds: 20, ticksPerSecond: 100 };
    const result = interference(window, cores, 12);
    expect(result.fliptMillicores).toBe(600);
    expect(result.othersMillicores).toBeCloseTo(100);
    expect(result.stealMillicores).toBeCloseTo(130);
    expect(result.generatorStealMillicores).toBeCloseTo(20);
    expect(disturbanceMillicores(result)).toBeCloseTo(230);
  });

  it("never reports less than nothing when tick rounding puts Flipt above the core", () => {
    const window = { before: parseProcStat(before), after: parseProcStat(before.replace("cpu0 130307", "cpu0 132297")), wallSeconds: 20, ticksPerSecond: 100 };
    expect(interference(window, cores, 20).othersMillicores).toBe(0);
  });

  it("gives the run's steal share as steal over all CPU time between the aggregate lines", () => {
    // 3300 ticks passed in all: 2400 user, 600 idle, 300 steal.
    const share = stealShare(parseProcStat(before).all, parseProcStat(after).all);
    expect(share).toBeCloseTo(300 / (2400 + 600 + 300));
    expect(stealShare(parseProcStat(before).all, parseProcStat(before).all)).toBe(0);
  });

  it("describes a disturbance per core, rounded to millicores", () => {
    expect(describeInterference({ othersMillicores: 40.4, stealMillicores: 12.6, generatorStealMillicores: 3, fliptMillicores: 500 }, { flipt: "0", generator: "1" })).toBe(
      "others 40m + steal 13m on CPU 0, steal 3m on CPU 1",
    );
    expect(describeInterference({ othersMillicores: 0, stealMillicores: 0, fliptMillicores: 500 }, { flipt: "0", generator: "1" })).toBe("others 0m + steal 0m on CPU 0");
  });
});
