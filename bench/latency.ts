/**
 * Latency at the rate services really send: open-loop steps of constant arrival rate (vegeta)
 * against one Flipt pinned to one core, for each request kind and storage, until p99 passes 50 ms
 * or errors appear, each step measured again while other processes or the hypervisor took Flipt's
 * core (every attempt kept); the ladders repeated `repeats` times; the capacity per core read from
 * the steps; and, at 1,000 requests/s, the answers while a commit is synced, while the Git server
 * is down and while an invalid commit is polled.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { LocalFlipt, repositoryFlagsDir, stackSettings } from "../scripts/lib/localFlipt";
import { requireEnvironment } from "../scripts/flags/environments";
import { Supervisor, sleep } from "../scripts/lib/processes";
import { ToolchainPaths } from "../scripts/toolchain/paths";
import { quantityValue } from "../settings/validators";
import { GIT_SYNC_ERRORS, metricValue } from "../tests/e2e/harness/metrics";
import { killSwitches, withFlagEnabled } from "../tests/e2e/harness/flagFiles";
import { PinnedCores, describeInterference, disturbanceMillicores, withInterference } from "./cpuShare";
import { FlagRef } from "./load";
import {
  Capacity,
  NextStep,
  RateStep,
  SIZING_ASSUMPTIONS,
  SizingAssumptions,
  StackSizing,
  StepMeasurement,
  StepRules,
  capacity,
  measureStep,
  nextRate,
  rateStep,
  stackSizing,
  stepSeconds,
} from "./rateSteps";
import { errorMessage } from "./results";
import { KindSpread, kindSpreads } from "./repeats";
import { FliptTarget, Storage, TargetSpec, checkServesFlags, describeTarget, servedFlags, startTarget } from "./targets";
import {
  LatencySummary,
  OFREP_FLAG_PATH,
  OFREP_NAMESPACE_HEADER,
  REQUEST_KINDS,
  RequestKind,
  VegetaResult,
  runVegeta,
  sentRate,
  summarizeResults,
  vegetaTarget,
  vegetaTargetLines,
  readVegetaVersion,
} from "./vegeta";

export interface LatencySettings {
  readonly rules: StepRules;
  /** An unmeasured run at the first rate before each kind's steps. */
  readonly warmupSeconds: number;
  /** Distinct pre-generated requests per kind (random entities), sent round-robin. */
  readonly targetsPerKind: number;
  readonly batchSize: number;
  readonly timeoutSeconds: number;
  /** Arrival rate of the change and fault windows. */
  readonly faultRatePerSecond: number;
  /** Ladders per request kind and storage (`--repeat`): their medians and ranges are reported. */
  readonly repeats: number;
}

export interface CpuPinning {
  /** taskset CPU list Flipt runs on: one core, so every figure is per core. */
  readonly flipt: string;
  /** vegeta, this harness and the loopback Git server. */
  readonly generator: string;
}

export interface KindRun {
  readonly storage: Storage;
  readonly kind: RequestKind;
  readonly target: string;
  readonly flagsPerRequest: number;
  /** Which of the `repeats` ladders this is, from 1. */
  readonly round: number;
  /** Flipt's allowed CPUs as the kernel reports them (/proc/<pid>/status). */
  readonly fliptCpusAllowed: string;
  readonly steps: readonly RateStep[];
  readonly capacity: Capacity;
}

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

export interface LatencyResults {
  readonly method: {
    readonly tool: string;
    readonly description: string;
    readonly pinning: CpuPinning;
    readonly rules: StepRules;
    readonly warmupSeconds: number;
    readonly timeoutSeconds: number;
    readonly targetsPerKind: number;
    readonly batchSize: number;
    readonly flags: number;
    readonly entities: string;
    readonly repeats: number;
  };
  /** 1-, 5- and 15-minute load averages when the section started: other work on the machine. */
  readonly loadAverageAtStart: readonly number[];
  /** Every ladder, `repeats` per request kind and storage. */
  readonly runs: readonly KindRun[];
  /** From a run with repeats > 1: per step, the median and range across the ladders. */
  readonly spreads?: readonly KindSpread[];
  readonly sizing: { readonly assumptions: SizingAssumptions; readonly storage: Storage; readonly byKind: Partial<Record<RequestKind, readonly StackSizing[]>> };
  readonly changeAndFault?: ChangeAndFaultResults;
  readonly changeAndFaultError?: string;
  /** The latency-vs-rate chart, relative to the project directory. */
  readonly chart?: string;
  readonly chartError?: string;
}

/** After a step that overloaded Flipt, time for its queues to drain before the next one. */
const SETTLE_AFTER_STOP_MS = 5000;
/** Bounds every ladder whatever nextRate says (FIRST_RATES, doublings up to maxRate, one refinement). */
const MAX_STEPS = 16;

/** The CPUs a process may run on, as the kernel lists them. */
export function cpusAllowed(pid: number | "self"): string {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /^Cpus_allowed_list:\s*(\S+)/m.exec(status);
  if (!match) throw new Error(`/proc/${pid}/status has no Cpus_allowed_list line`);
  return match[1];
}

/** Moves every thread of a running process onto `cpus`. */
export function pinProcess(pid: number, cpus: string): void {
  execFileSync("taskset", ["-a", "-p", "-c", cpus, String(pid)], { stdio: "ignore" });
}

/**
 * Runs `fn` with this process on `cpus`, and so what it starts meanwhile (the Git server, the load
 * generators), then moves it back to the CPUs it had.
 */
export async function onCpus<T>(cpus: string, fn: () => Promise<T>): Promise<T> {
  const own = cpusAllowed("self");
  pinProcess(process.pid, cpus);
  try {
    return await fn();
  } finally {
    pinProcess(process.pid, own);
  }
}

/**
 * A Flipt command that starts on `cpus` only: Go sizes GOMAXPROCS from the CPUs it may use at
 * start-up, as it does from a pod's CPU limit, so pinning before exec (not after) matters.
 */
export function pinnedFliptTools(supervisor: Supervisor, tools: ToolchainPaths, cpus: string): ToolchainPaths {
  const dir = supervisor.tempDir("flipt-pinned");
  const wrapper = path.join(dir, "flipt");
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  fs.writeFileSync(wrapper, `#!/bin/sh\nexec taskset -c ${quote(cpus)} ${quote(tools.fliptBin)} "$@"\n`, { mode: 0o755 });
  return { ...tools, fliptBin: wrapper };
}

/** The flags the stack's own environment folder holds: what its Flipt serves. */
export function stackFlagsDir(spec: TargetSpec): string {
  return repositoryFlagsDir(requireEnvironment(spec.stack, "stack"));
}

/** Every flag answers over OFREP too: a load run against a missing flag would measure 404s. */
async function checkServesOfrep(target: FliptTarget, flags: readonly FlagRef[]): Promise<void> {
  for (const flag of flags) {
    const request = vegetaTarget(target.url, "ofrep", flags, flags.indexOf(flag), "bench-check", 1);
    const response = await fetch(request.url, {
      method: "POST",
      headers: { "Content-Type": "application/json", [OFREP_NAMESPACE_HEADER]: flag.namespace },
      body: Buffer.from(request.body, "base64"),
      signal: AbortSignal.timeout(5000),
    });
    if (!response.ok) throw new Error(`${target.spec.name}: POST ${OFREP_FLAG_PATH}${flag.key} answered ${response.status}: ${await response.text()}`);
  }
}

interface KindContext {
  readonly supervisor: Supervisor;
  readonly tools: ToolchainPaths;
  readonly target: FliptTarget;
  readonly settings: LatencySettings;
  readonly pinning: CpuPinning;
  readonly log: (line: string) => void;
}

/** vegeta on the generator's CPU at a constant rate. */
function attack(context: KindContext, targetsFile: string, name: string, ratePerSecond: number, durationSeconds: number): Promise<VegetaResult[]> {
  const { supervisor, tools, target, settings, pinning } = context;
  return runVegeta(supervisor, tools.vegetaBin, {
    name,
    targetsFile,
    ratePerSecond,
    durationSeconds,
    timeoutSeconds: settings.timeoutSeconds,
    keepBodies: false,
    cpus: pinning.generator,
    workDir: target.local.dir,
  });
}

function pinnedCores(pinning: CpuPinning): PinnedCores {
  return { flipt: Number(pinning.flipt), generator: Number(pinning.generator) };
}

function stepLogLine(label: string, step: RateStep, pinning: CpuPinning): string {
  const l = step.latencyMs;
  const counted = step.attempts.length > 1 ? `; attempt ${step.attempts.find((a) => a.counted)!.number} of ${step.attempts.length} counts` : "";
  return (
    `latency: ${label} @ ${step.ratePerSecond} req/s (${step.durationSeconds} s${step.refinement ? ", refinement" : ""}): ` +
    `p50 ${l.p50.toFixed(2)} · p99 ${l.p99.toFixed(2)} · p99.9 ${l.p999.toFixed(2)} · max ${l.max.toFixed(1)} ms, ${l.errors} errors; ` +
    `${describeInterference(step.interference, pinning)}${counted}${step.stopReason ? ` — ${step.stopReason}` : ""}`
  );
}

/** One step by the re-measure rule (measureStep): the attack, as often as it was disturbed. */
async function measureRate(context: KindContext, kind: RequestKind, targetsFile: string, next: NextStep, label: string): Promise<RateStep> {
  const { target, settings, pinning, log } = context;
  const rate = next.ratePerSecond;
  const durationSeconds = stepSeconds(rate, settings.rules);
  const measureOnce = async (): Promise<StepMeasurement> => {
    const { value, interference } = await withInterference(pinnedCores(pinning), target.pid, () => attack(context, targetsFile, `${kind}-${rate}`, rate, durationSeconds));
    return { sentPerSecond: sentRate(value), latencyMs: summarizeResults(value), interference };
  };
  const onDisturbed = (attempt: number, m: StepMeasurement) =>
    log(`latency: ${label} @ ${rate} req/s, attempt ${attempt}: disturbed, ${Math.round(disturbanceMillicores(m.interference))}m (${describeInterference(m.interference, pinning)}); measuring again`);
  const attempts = await measureStep(measureOnce, settings.rules, onDisturbed);
  return rateStep({ ratePerSecond: rate, durationSeconds, refinement: next.refinement }, attempts, settings.rules);
}

async function measureKind(context: KindContext, kind: RequestKind, flags: readonly FlagRef[], round: number): Promise<KindRun> {
  const { target, settings, pinning, log } = context;
  const flagsPerRequest = kind === "batch" ? settings.batchSize : 1;
  const targetsFile = path.join(target.local.dir, `vegeta-${kind}.jsonl`);
  fs.writeFileSync(targetsFile, vegetaTargetLines(target.url, kind, flags, settings.targetsPerKind, settings.batchSize));
  const label = `${target.spec.storage} ${kind}${settings.repeats > 1 ? ` (round ${round} of ${settings.repeats})` : ""}`;
  if (settings.warmupSeconds > 0) await attack(context, targetsFile, `${kind}-warmup`, nextRate([], settings.rules)!.ratePerSecond, settings.warmupSeconds);
  const steps: RateStep[] = [];
  for (let next = nextRate(steps, settings.rules); next !== undefined && steps.length < MAX_STEPS; next = nextRate(steps, settings.rules)) {
    const step = await measureRate(context, kind, targetsFile, next, label);
    steps.push(step);
    log(stepLogLine(label, step, pinning));
    if (step.stopReason) await sleep(SETTLE_AFTER_STOP_MS);
  }
  return {
    storage: target.spec.storage,
    kind,
    target: target.spec.name,
    flagsPerRequest,
    round,
    fliptCpusAllowed: cpusAllowed(target.pid),
    steps,
    capacity: capacity(steps, settings.rules, flagsPerRequest),
  };
}

/** Starts one pinned Flipt for `spec` and measures every request kind against it. */
async function measureStorage(
  supervisor: Supervisor,
  tools: ToolchainPaths,
  spec: TargetSpec,
  flags: readonly FlagRef[],
  settings: LatencySettings,
  pinning: CpuPinning,
  log: (line: string) => void,
): Promise<KindRun[]> {
  log(`latency: starting ${spec.name} (${describeTarget(spec)}) on CPU ${pinning.flipt}`);
  const target = await startTarget(supervisor, pinnedFliptTools(supervisor, tools, pinning.flipt), spec, stackFlagsDir(spec));
  try {
    await checkServesFlags(target, flags);
    await checkServesOfrep(target, flags);
    const context = { supervisor, tools, target, settings, pinning, log };
    const runs: KindRun[] = [];
    // Round by round rather than ladder after ladder: a disturbance lasting minutes touches one round of each kind.
    for (let round = 1; round <= settings.repeats; round++) {
      for (const kind of REQUEST_KINDS) runs.push(await measureKind(context, kind, flags, round));
    }
    return runs;
  } finally {
    await target.local.flipt.stop();
  }
}

/** Per-pod throughput and replicas at dev's and prod's CPU limits, from the per-core capacity (the median across rounds). */
export function sizingFor(runs: readonly KindRun[], storage: Storage, assumptions: SizingAssumptions): LatencyResults["sizing"] {
  const byKind: Partial<Record<RequestKind, StackSizing[]>> = {};
  for (const spread of kindSpreads(runs).filter((s) => s.storage === storage)) {
    const perCore = spread.capacityRequestsPerSecond.median * spread.flagsPerRequest;
    if (!(perCore > 0)) continue;
    byKind[spread.kind] = ["dev", "prod"].map((stack) => {
      const settings = stackSettings(stack);
      const cpuLimit = quantityValue(settings.resources.limits.cpu);
      if (cpuLimit === undefined) throw new Error(`${stack} cpuLimit ${JSON.stringify(settings.resources.limits.cpu)} is not a Kubernetes quantity`);
      return stackSizing(stack, cpuLimit * 1000, settings.replicas, perCore, assumptions);
    });
  }
  return { assumptions, storage, byKind };
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
async function measureChangeAndFault(
  supervisor: Supervisor,
  tools: ToolchainPaths,
  spec: TargetSpec,
  settings: LatencySettings,
  pinning: CpuPinning,
  log: (line: string) => void,
): Promise<ChangeAndFaultResults> {
  log(`latency: change and fault windows at ${settings.faultRatePerSecond} req/s against ${spec.name}`);
  const target = await startTarget(supervisor, pinnedFliptTools(supervisor, tools, pinning.flipt), spec, stackFlagsDir(spec));
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


export interface LatencyTargets {
  readonly git: TargetSpec;
  readonly database: TargetSpec;
}

/**
 * The whole section. This process (and so the Git server and every child it starts) moves to the
 * generator's CPU for the duration, and back afterwards.
 */
export async function measureLatency(
  supervisor: Supervisor,
  tools: ToolchainPaths,
  specs: LatencyTargets,
  settings: LatencySettings,
  pinning: CpuPinning,
  log: (line: string) => void,
): Promise<Omit<LatencyResults, "chart" | "chartError">> {
  const loadAverageAtStart = readLoadAverage();
  const flags = servedFlags(stackFlagsDir(specs.git));
  const vegetaVersion = readVegetaVersion(tools.vegetaBin);
  return onCpus(pinning.generator, async () => {
    const runs: KindRun[] = [];
    for (const spec of [specs.git, specs.database]) runs.push(...(await measureStorage(supervisor, tools, spec, flags, settings, pinning, log)));
    let changeAndFault: ChangeAndFaultResults | undefined;
    let changeAndFaultError: string | undefined;
    try {
      changeAndFault = await measureChangeAndFault(supervisor, tools, { ...specs.git, name: `${specs.git.name}-faults` }, settings, pinning, log);
    } catch (error) {
      changeAndFaultError = errorMessage(error);
      log(`latency: change and fault windows failed: ${changeAndFaultError}`);
    }
    return {
      method: {
        tool: `vegeta ${vegetaVersion}`,
        description: `open loop: constant arrival rate, each step at least ${settings.rules.minSeconds} s${settings.rules.minRequests > 0 ? ` and ${settings.rules.minRequests.toLocaleString("en-US")} requests` : ""}`,
        pinning,
        rules: settings.rules,
        warmupSeconds: settings.warmupSeconds,
        timeoutSeconds: settings.timeoutSeconds,
        targetsPerKind: settings.targetsPerKind,
        batchSize: settings.batchSize,
        flags: flags.length,
        entities: `${settings.targetsPerKind.toLocaleString("en-US")} pre-generated requests per kind, entity ids org-1…org-100000 at random`,
        repeats: settings.repeats,
      },
      loadAverageAtStart,
      runs,
      spreads: settings.repeats > 1 ? kindSpreads(runs) : undefined,
      sizing: sizingFor(runs, "git", SIZING_ASSUMPTIONS),
      changeAndFault,
      changeAndFaultError,
    };
  });
}

export function readLoadAverage(): number[] {
  return fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).map(Number);
}
