/**
 * The latency section's change and fault windows: one attack at a fixed rate on a kill switch while
 * the served repository changes under it (a commit synced, the Git server down, an invalid commit
 * polled, the fix), each window's answers judged against the values it may serve.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { FlagRef, killSwitches, withFlagEnabled } from "../../scripts/lib/flagFiles";
import { LocalFlipt } from "../../scripts/lib/localFlipt";
import { GIT_SYNC_ERRORS, metricValue } from "../../scripts/lib/metricsExposition";
import { Supervisor, sleep } from "../../scripts/lib/processes";
import { ToolchainPaths } from "../../scripts/toolchain/paths";
import { CpuPinning } from "../lib/pinning";
import { TargetSpec, describeTarget, stackFlagsDir, startPinnedTarget } from "../lib/targets";
import { LatencySummary, VegetaResult, runVegeta, summarizeResults, vegetaTarget, vegetaTargetLines } from "../load/vegeta";
import type { LatencySettings } from "./settings";

export interface FaultWindow {
  readonly name: string;
  readonly description: string;
  readonly seconds: number;
  readonly latencyMs: LatencySummary;
  /** Values the window may serve, and those it must serve at least once (a change that lands). */
  readonly expected: readonly boolean[];
  readonly mustServe?: boolean;
  readonly served: { readonly true: number; readonly false: number };
  /** 200 answers whose value is not one of `expected`, or not a boolean evaluation at all. */
  readonly unexpected: number;
  /** Failed Git syncs Flipt counted during the window. */
  readonly gitSyncErrors?: number;
  /** No errors, no unexpected answer, and the change served when one must be. */
  readonly ok: boolean;
}

export interface ChangeAndFaultResults {
  readonly target: string;
  readonly flag: string;
  readonly ratePerSecond: number;
  readonly pollInterval: string;
  readonly windows: readonly FaultWindow[];
}

export interface WindowPlan {
  readonly name: string;
  readonly description: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly expected: readonly boolean[];
  readonly mustServe?: boolean;
  readonly gitSyncErrors?: number;
}

/** The `enabled` of a boolean evaluation answer, or undefined when the body is not one. */
function servedValue(body: string | undefined): boolean | undefined {
  if (body === undefined) return undefined;
  try {
    const value = (JSON.parse(body) as { enabled?: unknown }).enabled;
    return typeof value === "boolean" ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The requests sent within a window, judged: errors, latency, and whether each answer was allowed. */
export function judgeWindow(results: readonly VegetaResult[], plan: WindowPlan): FaultWindow {
  const inWindow = results.filter((r) => r.sentAtMs >= plan.startMs && r.sentAtMs < plan.endMs);
  if (inWindow.length === 0) throw new Error(`no request was sent during the window "${plan.name}"`);
  const served = { true: 0, false: 0 };
  let unexpected = 0;
  for (const r of inWindow) {
    if (r.code !== 200 || r.error !== "") continue;
    const value = servedValue(r.body);
    if (value === undefined || !plan.expected.includes(value)) unexpected++;
    if (value !== undefined) served[value ? "true" : "false"]++;
  }
  const latencyMs = summarizeResults(inWindow);
  const changeServed = !plan.mustServe || plan.expected.every((v) => served[v ? "true" : "false"] > 0);
  return {
    name: plan.name,
    description: plan.description,
    seconds: (plan.endMs - plan.startMs) / 1000,
    latencyMs,
    expected: plan.expected,
    mustServe: plan.mustServe,
    served,
    unexpected,
    gitSyncErrors: plan.gitSyncErrors,
    ok: latencyMs.errors === 0 && unexpected === 0 && changeServed,
  };
}

/** Not a flag file Flipt can read (YAML with an unclosed flow sequence), as a bad merge might commit. */
const INVALID_FLAG_FILE = `version: "1.4"\nnamespace: broken\nflags:\n  - key: [unclosed\n`;
const INVALID_FILE_NAME = "broken.features.yml";

async function evaluateOnce(url: string, flag: FlagRef): Promise<boolean> {
  const request = vegetaTarget(url, "boolean", [flag], 0, "bench-fault-check", 1);
  const response = await fetch(request.url, { method: "POST", body: Buffer.from(request.body, "base64"), signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`evaluation of ${flag.namespace}/${flag.key} answered ${response.status}`);
  const value = servedValue(await response.text());
  if (value === undefined) throw new Error(`evaluation of ${flag.namespace}/${flag.key} returned no boolean`);
  return value;
}

async function gitSyncErrors(local: LocalFlipt): Promise<number> {
  return metricValue(await local.flipt.metrics(), GIT_SYNC_ERRORS) ?? 0;
}

/**
 * One attack at the fault rate on a kill switch, for random entities, while the served repository
 * changes under it: a baseline, a commit flipping the switch (synced at the next poll), the Git
 * server stopped for two polls, a commit that flips the switch back but adds an invalid flag file
 * (polled twice: nothing of it may be served), and the fix (served at the next poll).
 */
export async function measureChangeAndFault(
  supervisor: Supervisor,
  tools: ToolchainPaths,
  spec: TargetSpec,
  settings: LatencySettings,
  pinning: CpuPinning,
  log: (line: string) => void,
): Promise<ChangeAndFaultResults> {
  log(`latency: change and fault windows at ${settings.faultRatePerSecond} req/s against ${spec.name}`);
  const target = await startPinnedTarget(supervisor, tools, spec, pinning, stackFlagsDir(spec));
  try {
    const { repository, gitServer, settings: stack } = target.local;
    const flagsDir = repository.flagsPath();
    const [killSwitch] = killSwitches(flagsDir);
    if (!killSwitch) throw new Error(`no kill switch among the flags in ${flagsDir}`);
    const flag = { namespace: killSwitch.namespace, key: killSwitch.key };
    const before = await evaluateOnce(target.url, flag);
    const pollMs = stack.git.pollIntervalSeconds * 1000;
    const lengths = { baseline: 5000, sync: pollMs + 5000, down: 2 * pollMs + 2000, invalid: 2 * pollMs + 2000, fix: pollMs + 5000 };
    const totalSeconds = Math.ceil(Object.values(lengths).reduce((a, b) => a + b, 0) / 1000) + 3;
    const targetsFile = path.join(target.local.dir, "vegeta-faults.jsonl");
    fs.writeFileSync(targetsFile, vegetaTargetLines(target.url, "boolean", [flag], settings.targetsPerKind, 1));
    const attack = runVegeta(supervisor, tools.vegetaBin, {
      name: "faults",
      targetsFile,
      ratePerSecond: settings.faultRatePerSecond,
      durationSeconds: totalSeconds,
      timeoutSeconds: settings.timeoutSeconds,
      keepBodies: true,
      cpus: pinning.generator,
      workDir: target.local.dir,
    });
    attack.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
    const plans: WindowPlan[] = [];
    const window = async (name: string, description: string, lengthMs: number, expected: boolean[], action: () => Promise<void> | void, mustServe = false) => {
      const errorsBefore = await gitSyncErrors(target.local);
      const startMs = Date.now();
      await action();
      await sleep(Math.max(0, startMs + lengthMs - Date.now()));
      const endMs = Date.now();
      plans.push({ name, description, startMs, endMs, expected, mustServe, gitSyncErrors: (await gitSyncErrors(target.local)) - errorsBefore });
      log(`latency: window "${name}" done (${Math.round((endMs - startMs) / 1000)} s)`);
    };
    const commitEnabled = (enabled: boolean, extra: Record<string, string | null>, message: string) => {
      const change = withFlagEnabled(flagsDir, flag.namespace, flag.key, enabled);
      repository.writeFlags({ [change.file]: change.content, ...extra });
      repository.commit(message);
    };
    await sleep(1000); // vegeta's start-up
    await window("steady", "no change", lengths.baseline, [before], () => undefined);
    await window("commit synced", `a commit flipping ${flag.key} to ${!before}, until a poll after it`, lengths.sync, [before, !before], () => commitEnabled(!before, {}, "bench: flip the kill switch"), true);
    await window("Git server down", "the Git server stopped for two polls, then started again", lengths.down, [!before], async () => {
      await gitServer.stop();
      await sleep(lengths.down - 500);
      await gitServer.start();
    });
    await window("invalid commit polled", `a commit flipping ${flag.key} back and adding an invalid flag file, polled twice`, lengths.invalid, [!before], () =>
      commitEnabled(before, { [INVALID_FILE_NAME]: INVALID_FLAG_FILE }, "bench: flip back and add an invalid flag file"),
    );
    await window("fix synced", "a commit removing the invalid file, until a poll after it", lengths.fix, [!before, before], () => {
      repository.writeFlags({ [INVALID_FILE_NAME]: null });
      repository.commit("bench: remove the invalid flag file");
    }, true);
    const results = await attack;
    return {
      target: `${spec.name} (${describeTarget(spec)})`,
      flag: `${flag.namespace}/${flag.key}`,
      ratePerSecond: settings.faultRatePerSecond,
      pollInterval: stack.git.pollInterval,
      windows: plans.map((plan) => judgeWindow(results, plan)),
    };
  } finally {
    await target.local.flipt.stop();
  }
}
