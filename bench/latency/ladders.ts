/**
 * The latency section's ladders: one Flipt per storage pinned to its core, every request kind
 * climbed on it (the one rate ladder, lib/rateLadder.ts, with the adaptive climb), round by round.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { FlagRef } from "../../scripts/lib/flagFiles";
import { Supervisor } from "../../scripts/lib/processes";
import { ToolchainPaths } from "../../scripts/toolchain/paths";
import { describeInterference, disturbanceMillicores } from "../lib/cpuShare";
import { OFREP_FLAG_PATH, OFREP_NAMESPACE_HEADER } from "../lib/evaluationRequests";
import { CpuPinning, cpusAllowed } from "../lib/pinning";
import { LadderLoad, adaptiveRates, climbLadders } from "../lib/rateLadder";
import { Capacity, RateStep, capacity } from "../lib/rateSteps";
import { FliptTarget, Storage, TargetSpec, checkServesFlags, describeTarget, stackFlagsDir, startPinnedTarget } from "../lib/targets";
import { REQUEST_KINDS, RequestKind, runVegeta, sentRate, summarizeResults, vegetaTarget, vegetaTargetLines } from "../load/vegeta";
import type { LatencySettings } from "./settings";

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

function stepLogLine(label: string, step: RateStep, pinning: CpuPinning): string {
  const l = step.latencyMs;
  const counted = step.attempts.length > 1 ? `; attempt ${step.attempts.find((a) => a.counted)!.number} of ${step.attempts.length} counts` : "";
  return (
    `latency: ${label} @ ${step.ratePerSecond} req/s (${step.durationSeconds} s${step.refinement ? ", refinement" : ""}): ` +
    `p50 ${l.p50.toFixed(2)} · p99 ${l.p99.toFixed(2)} · p99.9 ${l.p999.toFixed(2)} · max ${l.max.toFixed(1)} ms, ${l.errors} errors; ` +
    `${describeInterference(step.interference, pinning)}${counted}${step.stopReason ? ` — ${step.stopReason}` : ""}`
  );
}

/** One request kind as a load of the ladder: vegeta on the generator's CPU at a constant rate. */
function kindLoad(context: KindContext, kind: RequestKind, targetsFile: string, label: string): LadderLoad {
  const { supervisor, tools, target, settings, pinning, log } = context;
  return {
    name: kind,
    attack: async (name, ratePerSecond, durationSeconds) => {
      const results = await runVegeta(supervisor, tools.vegetaBin, {
        name,
        targetsFile,
        ratePerSecond,
        durationSeconds,
        timeoutSeconds: settings.timeoutSeconds,
        keepBodies: false,
        cpus: pinning.generator,
        workDir: target.local.dir,
      });
      return { sentPerSecond: sentRate(results), latencyMs: summarizeResults(results) };
    },
    onStep: (step) => log(stepLogLine(label, step, pinning)),
    onDisturbed: (rate, attempt, m) =>
      log(`latency: ${label} @ ${rate} req/s, attempt ${attempt}: disturbed, ${Math.round(disturbanceMillicores(m.interference))}m (${describeInterference(m.interference, pinning)}); measuring again`),
  };
}

async function measureKind(context: KindContext, kind: RequestKind, flags: readonly FlagRef[], round: number): Promise<KindRun> {
  const { target, settings, pinning } = context;
  const flagsPerRequest = kind === "batch" ? settings.batchSize : 1;
  const targetsFile = path.join(target.local.dir, `vegeta-${kind}.jsonl`);
  fs.writeFileSync(targetsFile, vegetaTargetLines(target.url, kind, flags, settings.targetsPerKind, settings.batchSize));
  const label = `${target.spec.storage} ${kind}${settings.repeats > 1 ? ` (round ${round} of ${settings.repeats})` : ""}`;
  const [steps] = await climbLadders([kindLoad(context, kind, targetsFile, label)], {
    rules: settings.rules,
    plan: adaptiveRates(settings.rules),
    warmupSeconds: settings.warmupSeconds,
    pinning,
    fliptPid: target.pid,
  });
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

/** Starts one pinned Flipt for `spec` and measures every request kind against it, `repeats` rounds. */
export async function measureStorage(
  supervisor: Supervisor,
  tools: ToolchainPaths,
  spec: TargetSpec,
  flags: readonly FlagRef[],
  settings: LatencySettings,
  pinning: CpuPinning,
  log: (line: string) => void,
): Promise<KindRun[]> {
  log(`latency: starting ${spec.name} (${describeTarget(spec)}) on CPU ${pinning.flipt}`);
  const target = await startPinnedTarget(supervisor, tools, spec, pinning, stackFlagsDir(spec));
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
