/**
 * The latency section's measurement: latency at the rate services really send, open-loop steps of
 * constant arrival rate (vegeta) against one Flipt pinned to one core, for each request kind and
 * storage (ladders.ts), each step measured again while other processes or the hypervisor took
 * Flipt's core (every attempt kept); the ladders repeated `repeats` times; the capacity per core
 * and the sizing read from the steps, Flipt's highest CPU utilisation with p99 held; and, at 1,000 requests/s, the answers while a commit is
 * synced, while the Git server is down and while an invalid commit is polled (changeAndFault.ts).
 */
import { Supervisor } from "../../scripts/lib/processes";
import { ToolchainPaths } from "../../scripts/toolchain/paths";
import { readLoadAverage } from "../lib/host";
import { errorMessage } from "../lib/outcome";
import { CpuPinning, onCpus } from "../lib/pinning";
import { StepRules } from "../lib/rateSteps";
import { LOAD_STACK, TargetSpec, servedFlags, stackFlagsDir } from "../lib/targets";
import { readVegetaVersion } from "../load/vegeta";
import { ChangeAndFaultResults, measureChangeAndFault } from "./changeAndFault";
import { KindRun, measureStorage } from "./ladders";
import { KindSpread, kindSpreads } from "./repeats";
import type { LatencySettings } from "./settings";
import { LatencySizing, SIZING_ASSUMPTIONS, sizingFor } from "./sizing";
import { LatencyUtilisation, kindUtilisations, stackCpu } from "./utilisation";

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
  readonly sizing: LatencySizing;
  /** Flipt's highest CPU utilisation with p99 held, per kind and storage (utilisation.ts); absent in files written before 2026-12-03. */
  readonly utilisation?: LatencyUtilisation;
  readonly changeAndFault?: ChangeAndFaultResults;
  readonly changeAndFaultError?: string;
  /** The latency-vs-rate chart, relative to the project directory. */
  readonly chart?: string;
  readonly chartError?: string;
}

export interface LatencyTargets {
  readonly git: TargetSpec;
  readonly database: TargetSpec;
}

/**
 * The whole measurement. This process (and so the Git server and every child it starts) moves to
 * the generator's CPU for the duration, and back afterwards.
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
      utilisation: { byKind: kindUtilisations(runs, settings.rules), prodCpu: stackCpu(LOAD_STACK) },
      changeAndFault,
      changeAndFaultError,
    };
  });
}
