import { describe, expect, it } from "vitest";
import { gcWindow, lastProcessCycles, parseGcTrace } from "../../../bench/goruntime/gcTrace";

const migrate = [
  "gc 1 @0.066s 1%: 0.013+2.5+0.003 ms clock, 0.013+1.3/0/0+0.003 ms cpu, 3->4->2 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 1 P",
  "gc 2 @0.073s 3%: 0.016+6.0+0.003 ms clock, 0.016+0.56/1.1/0+0.003 ms cpu, 4->5->4 MB, 5 MB goal, 0 MB stacks, 0 MB globals, 1 P",
];
const server = [
  '{"L":"INFO","M":"starting flipt"}',
  "gc 1 @0.070s 2%: 0.020+3.0+0.004 ms clock, 0.020+1.0/0.5/0+0.004 ms cpu, 3->4->2 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 1 P",
  "gc 2 @1.854s 0%: 0.13+16+0.006 ms clock, 0.13+1.4/3.7/4.1+0.006 ms cpu, 9->10->7 MB, 11 MB goal, 0 MB stacks, 0 MB globals, 1 P",
  "gc 3 @9.000s 4%: 0.2+20+0.01 ms clock, 0.2+10/30/0+0.01 ms cpu, 200->210->150 MB, 300 MB goal, 0 MB stacks, 0 MB globals, 1 P (forced)",
];

describe("Go's GC trace", () => {
  it("reads each cycle's GC CPU without the idle-time marking, Go's cumulative share and the heap", () => {
    const [, second, third] = parseGcTrace(server.join("\n"));
    expect(second).toEqual({ number: 2, atSeconds: 1.854, cumulativePercent: 0, cpuMs: 0.13 + 1.4 + 3.7 + 0.006, idleCpuMs: 4.1, heapAfterMB: 7, heapGoalMB: 11, forced: false });
    expect(third).toMatchObject({ number: 3, cumulativePercent: 4, cpuMs: 0.2 + 10 + 30 + 0.01, heapAfterMB: 150, heapGoalMB: 300, forced: true });
  });

  it("keeps the server's cycles only: flipt migrate's come first in the same log, numbered from 1 too", () => {
    const cycles = lastProcessCycles(parseGcTrace([...migrate, ...server].join("\n")));
    expect(cycles.map((c) => [c.number, c.atSeconds])).toEqual([[1, 0.07], [2, 1.854], [3, 9]]);
  });

  it("counts the cycles that finished in a window, against Flipt's own CPU and the wall time", () => {
    const all = lastProcessCycles(parseGcTrace(server.join("\n")));
    const window = gcWindow(all.slice(0, 1), all, 0.5, 10);
    expect(window.cycles).toBe(2);
    expect(window.gcCpuSeconds).toBeCloseTo((5.236 + 40.21) / 1000, 6);
    expect(window.shareOfFliptCpu).toBeCloseTo(0.0909, 3);
    expect(window.shareOfCore).toBeCloseTo(0.00454, 4);
    expect(gcWindow(all, all, 0.5, 10)).toMatchObject({ cycles: 0, gcCpuSeconds: 0, shareOfFliptCpu: 0 });
  });
});
