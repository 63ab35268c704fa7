import { describe, expect, it } from "vitest";
import { Supervisor, launcherChain, procStat } from "../../scripts/lib/processes";

type Stat = NonNullable<ReturnType<typeof procStat>>;

/** A process tree: pid → [parent, command]. */
function tree(entries: Record<number, [number, string]>): (pid: number) => Stat | undefined {
  return (pid) => (pid in entries ? { state: "S", ppid: entries[pid][0], pgrp: pid, startTime: String(pid * 10), command: entries[pid][1] } : undefined);
}

describe("launcherChain: the processes whose loss means nobody would stop ours", () => {
  it("runs up to the nearest npm (npm run → sh -c → tsx → this node)", () => {
    const stat = tree({ 50: [40, "node"], 40: [30, "node"], 30: [20, "sh"], 20: [10, "npm run deploy"], 10: [1, "bash"] });
    expect(launcherChain(stat, 50).map((p) => p.pid)).toEqual([40, 30, 20]);
  });

  it("without npm, runs through the node processes (tsx) to the first other one", () => {
    const stat = tree({ 50: [40, "node"], 40: [10, "node"], 10: [5, "bash"], 5: [1, "tmux: server"] });
    expect(launcherChain(stat, 50).map((p) => p.pid)).toEqual([40, 10]);
  });

  it("records each launcher's start time, so a reused pid is not taken for it", () => {
    const stat = tree({ 50: [20, "node"], 20: [1, "npm"] });
    expect(launcherChain(stat, 50)).toEqual([{ pid: 20, startTime: "200", command: "npm" }]);
  });
});

describe("procStat", () => {
  it("reads this process: its parent, group and a start time", () => {
    const me = procStat(process.pid);
    expect(me?.ppid).toBe(process.ppid);
    expect(me?.startTime).toMatch(/^\d+$/);
  });

  it("is undefined for a process that does not exist", () => {
    expect(procStat(2 ** 22 + 1)).toBeUndefined();
  });
});

describe("exitedOrKilledAfter: a bounded run", () => {
  it("gives the exit status of a run that ends in time, and kills one that does not", async () => {
    const supervisor = new Supervisor();
    try {
      expect(await supervisor.spawn("quick", "sh", ["-c", "exit 3"]).exitedOrKilledAfter(5000)).toMatchObject({ code: 3 });
      const started = Date.now();
      expect(await supervisor.spawn("slow", "sleep", ["30"]).exitedOrKilledAfter(200)).toMatchObject({ code: null, signal: "SIGKILL" });
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await supervisor.stopAll();
    }
  });
});
