/**
 * Go's GC trace (GODEBUG=gctrace=1): one stderr line per GC cycle, e.g.
 * `gc 4 @1.854s 2%: 0.13+16+0.006 ms clock, 0.13+1.4/3.7/4.1+0.006 ms cpu, 9->10->7 MB, 11 MB goal, 0 MB stacks, 0 MB globals, 1 P`.
 * A cycle's GC CPU is its cpu phases without the idle-time marking (the `4.1` above): sweep
 * termination + mark assist + background mark + mark termination, as Go's own `2%` (the share of
 * CPU spent in GC since the process started) counts it. The section reads the cycles that
 * finished within a window and sets them against Flipt's own CPU over it.
 */

export interface GcCycle {
  readonly number: number;
  /** Seconds since the process started. */
  readonly atSeconds: number;
  /** Go's figure: the share of the process's CPU capacity spent in GC since it started (%). */
  readonly cumulativePercent: number;
  /** GC CPU of this cycle (ms), idle-time marking excluded. */
  readonly cpuMs: number;
  /** Idle-time marking (ms): CPU the GC took only because nothing else wanted it. */
  readonly idleCpuMs: number;
  /** Live heap after the cycle and the next cycle's goal (MB). */
  readonly heapAfterMB: number;
  readonly heapGoalMB: number;
  readonly forced: boolean;
}

const GC_LINE = /^gc (\d+) @([\d.]+)s (\d+)%: [\d.+]+ ms clock, ([\d.]+)\+([\d.]+)\/([\d.]+)\/([\d.]+)\+([\d.]+) ms cpu, \d+->\d+->(\d+) MB, (\d+) MB goal.* P( \(forced\))?$/;

/** Every GC line of `text` in order; other lines (Flipt's own output) are skipped. */
export function parseGcTrace(text: string): GcCycle[] {
  const cycles: GcCycle[] = [];
  for (const line of text.split("\n")) {
    const m = GC_LINE.exec(line.trim());
    if (!m) continue;
    const [stw1, assist, background, idle, stw2] = [m[4], m[5], m[6], m[7], m[8]].map(Number);
    cycles.push({
      number: Number(m[1]),
      atSeconds: Number(m[2]),
      cumulativePercent: Number(m[3]),
      cpuMs: stw1 + assist + background + stw2,
      idleCpuMs: idle,
      heapAfterMB: Number(m[9]),
      heapGoalMB: Number(m[10]),
      forced: m[11] !== undefined,
    });
  }
  return cycles;
}

/**
 * The last process's cycles: the log holds `flipt migrate`'s before the server's, and each process
 * numbers its cycles from 1.
 */
export function lastProcessCycles(cycles: readonly GcCycle[]): GcCycle[] {
  let start = 0;
  cycles.forEach((c, i) => {
    if (i > 0 && c.number <= cycles[i - 1].number) start = i;
  });
  return cycles.slice(start);
}

export interface GcWindow {
  /** Cycles that finished in the window. */
  readonly cycles: number;
  readonly gcCpuSeconds: number;
  /** Flipt's own CPU over the window (/proc), and the window's length. */
  readonly fliptCpuSeconds: number;
  readonly wallSeconds: number;
  /** gcCpuSeconds ÷ fliptCpuSeconds: the share of Flipt's work that was GC. */
  readonly shareOfFliptCpu: number;
  /** gcCpuSeconds ÷ wallSeconds: the share of its one core (GOMAXPROCS 1) that GC took. */
  readonly shareOfCore: number;
}

/** The cycles in `after` (the log read at the window's end) that `before` (read at its start) did not have. */
export function gcWindow(before: readonly GcCycle[], after: readonly GcCycle[], fliptCpuSeconds: number, wallSeconds: number): GcWindow {
  const last = before.length > 0 ? before[before.length - 1].number : 0;
  const inWindow = after.filter((c) => c.number > last);
  const gcCpuSeconds = inWindow.reduce((sum, c) => sum + c.cpuMs, 0) / 1000;
  return {
    cycles: inWindow.length,
    gcCpuSeconds,
    fliptCpuSeconds,
    wallSeconds,
    shareOfFliptCpu: fliptCpuSeconds > 0 ? gcCpuSeconds / fliptCpuSeconds : 0,
    shareOfCore: wallSeconds > 0 ? gcCpuSeconds / wallSeconds : 0,
  };
}
