/**
 * The transport comparison: the same boolean evaluation over three transports at the same
 * open-loop rates, against one Flipt from the prod stack's config pinned to one core: Flipt's REST
 * API and OFREP over HTTP (vegeta), and Flipt's gRPC API (ghz, the method taken from Flipt's server
 * reflection). Each transport's capacity per core is read from its steps by the latency section's
 * rule (p99 ≤ 5 ms, no errors, the rate sent; lib/rateSteps.ts).
 *
 * The transports climb the one rate ladder (lib/rateLadder.ts) at a fixed list of rates, taking
 * turns at each rate, so a disturbance of the shared host that lasts minutes touches all three; a
 * transport whose step stops the ladder (p99 over 50 ms, errors, the rate not sent) is not
 * measured at higher rates (unless the host disturbed that step). After the list, each transport
 * climbs from its capacity in steps of 500 req/s below its first failing rate until one fails, so
 * the three are compared to within 500 req/s.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { FlagRef } from "../../scripts/lib/flagFiles";
import { Supervisor } from "../../scripts/lib/processes";
import { ToolchainPaths } from "../../scripts/toolchain/paths";
import { describeInterference, disturbanceMillicores } from "../lib/cpuShare";
import { EVALUATE_PATHS, OFREP_FLAG_PATH, OFREP_NAMESPACE_HEADER } from "../lib/evaluationRequests";
import { readLoadAverage } from "../lib/host";
import { CpuPinning, cpusAllowed, onCpus } from "../lib/pinning";
import { LadderLoad, climbLadders, fixedRates } from "../lib/rateLadder";
import { Capacity, DEFAULT_STEP_RULES, RateStep, StepRules, capacity } from "../lib/rateSteps";
import { FliptTarget, TargetSpec, checkServesFlags, describeTarget, stackFlagsDir, startPinnedTarget } from "../lib/targets";
import { GRPC_BOOLEAN_METHOD, GhzRunSpec, callRate, distinctErrors, ghzArgs, ghzVersion, grpcCallData, protoset, reflectSchema, runGhz, summarizeCalls } from "../load/ghz";
import { readVegetaVersion, runVegeta, sentRate, summarizeResults, vegetaTargetLines } from "../load/vegeta";

export const TRANSPORTS = ["http", "ofrep", "grpc"] as const;
export type Transport = (typeof TRANSPORTS)[number];

/** What each transport sends, in words (the same flag and entity every time, whichever transport). */
export const TRANSPORT_REQUESTS: Readonly<Record<Transport, string>> = {
  http: `POST ${EVALUATE_PATHS.boolean} (Flipt's REST API)`,
  ofrep: `POST ${OFREP_FLAG_PATH}{key} with the namespace in ${OFREP_NAMESPACE_HEADER}`,
  grpc: `${GRPC_BOOLEAN_METHOD} (Flipt's gRPC API, plaintext HTTP/2)`,
};

/** The Flipt measured: the prod stack's rendered config with Git storage, as the latency section's. */
export const TRANSPORT_TARGET: TargetSpec = { name: "transport-prod", stack: "prod", storage: "git" };

/** Pre-generated requests per transport (random entities), sent round-robin. */
const REQUESTS_PER_TRANSPORT = 10_000;
/** A call without an answer within this long fails, with this as its latency (vegeta) or DeadlineExceeded (ghz). */
const TIMEOUT_SECONDS = 5;
/** An unmeasured run at the first rate before each transport's first step. */
const WARMUP_SECONDS = 5;

export interface TransportRun {
  readonly transport: Transport;
  /** What each request is: the path or the gRPC method. */
  readonly request: string;
  /** The load generator and its version. */
  readonly tool: string;
  /** One per rate measured, in the order of the ladder; rates after a stopping step are absent. */
  readonly steps: readonly RateStep[];
  /** The highest rate with p99 ≤ rules.capacityP99Ms and no errors, every lower rate too (rateSteps.capacity). */
  readonly capacity: Capacity;
}

export interface TransportResults {
  /** The Flipt measured, in words (stack config, storage). */
  readonly target: string;
  /** The CPUs Flipt was allowed as the kernel reported them: one core, so every rate is per core. */
  readonly fliptCpusAllowed: string;
  readonly pinning: CpuPinning;
  /** The rates each transport was to be measured at (requests/s). */
  readonly rates: readonly number[];
  readonly stepSeconds: number;
  /** The latency section's stop, capacity and re-measure rules, with this section's step length. */
  readonly rules: StepRules;
  readonly timeoutSeconds: number;
  readonly warmupSeconds: number;
  /** Flags evaluated, in turn, and the entities they are evaluated for. */
  readonly flags: number;
  readonly entities: string;
  readonly vegetaVersion: string;
  /** ghz's `--version`; absent when ghz could not run. */
  readonly ghzVersion?: string;
  /** The gRPC method called. */
  readonly grpcMethod: string;
  /** Whether the method's schema came from Flipt's server reflection (no .proto file is used). */
  readonly reflection: boolean;
  /** Imports of the schema reflection could not serve, left out of the protoset, with the server's answer. */
  readonly reflectionUnservable?: Readonly<Record<string, string>>;
  /** The ghz arguments of one step, as run (temp paths shown as <dir>). */
  readonly ghzCommand?: string;
  /** 1-, 5- and 15-minute load averages when the section started. */
  readonly loadAverageAtStart: readonly number[];
  /** One per transport measured (gRPC is absent when refused). */
  readonly runs: readonly TransportRun[];
  /** Why gRPC could not be measured (no ghz, reflection refused, an evaluation failed), when it could not. */
  readonly refused?: string;
}

export interface TransportOptions {
  /** Arrival rates (requests/s), measured in ascending order. */
  readonly rates: readonly number[];
  readonly stepSeconds: number;
  /** The flags to evaluate; each must be served by the stack's flags. */
  readonly flags: readonly FlagRef[];
  /** What the served repository holds; defaults to the prod stack's own flags folder. */
  readonly flagsDir?: string;
  /** Flipt's core and the load generators'. */
  readonly pinning: CpuPinning;
}

/** The latency section's rules (its 500 req/s refinement steps included) with this section's step length; a disturbed step is measured once more, to bound the run. */
export function transportRules(stepSeconds: number): StepRules {
  return { ...DEFAULT_STEP_RULES, minSeconds: stepSeconds, minRequests: 0, maxRemeasures: 1 };
}

/** The rates to measure: positive, ascending, without repeats; anything else is a caller's mistake. */
export function transportLadder(rates: readonly number[]): number[] {
  const bad = rates.find((r) => !Number.isInteger(r) || r <= 0);
  if (bad !== undefined || rates.length === 0) throw new Error(`transport rates must be positive integers, got ${JSON.stringify(rates)}`);
  return [...new Set(rates)].sort((a, b) => a - b);
}

/** Each transport's steps in ladder order, and its capacity by the latency section's rule. */
export function transportRun(transport: Transport, tool: string, steps: readonly RateStep[], rules: StepRules): TransportRun {
  return { transport, request: TRANSPORT_REQUESTS[transport], tool, steps, capacity: capacity(steps, rules, 1) };
}

interface Context {
  readonly supervisor: Supervisor;
  readonly tools: ToolchainPaths;
  readonly target: FliptTarget;
  readonly grpcAddress: string;
  /** Per transport, the file of its pre-generated requests. */
  readonly files: Readonly<Record<Transport, string>>;
  /** The gRPC method's schema from reflection (a FileDescriptorSet). */
  readonly protosetFile: string;
  readonly rules: StepRules;
  readonly pinning: CpuPinning;
  readonly log: (line: string) => void;
}

/** A ghz run of the boolean method: for a duration at a rate, or a number of calls (rate 0: as fast as it goes). */
function grpcSpec(context: Context, name: string, ratePerSecond: number, length: Pick<GhzRunSpec, "durationSeconds" | "total">, dataFile = context.files.grpc): GhzRunSpec {
  return {
    name,
    address: context.grpcAddress,
    method: GRPC_BOOLEAN_METHOD,
    protosetFile: context.protosetFile,
    dataFile,
    ratePerSecond,
    ...length,
    timeoutSeconds: TIMEOUT_SECONDS,
    cpus: context.pinning.generator,
    workDir: context.target.local.dir,
  };
}

/** One transport as a load of the ladder: an attack at a constant rate, summarized as the rate steps want it. */
function transportLoad(context: Context, transport: Transport): LadderLoad {
  const { supervisor, tools, target, files, pinning, log } = context;
  return {
    name: transport,
    attack: async (name, ratePerSecond, durationSeconds) => {
      if (transport === "grpc") {
        const report = await runGhz(supervisor, tools.ghzBin, grpcSpec(context, name, ratePerSecond, { durationSeconds }));
        return { sentPerSecond: callRate(report.calls), latencyMs: summarizeCalls(report.calls) };
      }
      const results = await runVegeta(supervisor, tools.vegetaBin, {
        name,
        targetsFile: files[transport],
        ratePerSecond,
        durationSeconds,
        timeoutSeconds: TIMEOUT_SECONDS,
        keepBodies: false,
        cpus: pinning.generator,
        workDir: target.local.dir,
      });
      return { sentPerSecond: sentRate(results), latencyMs: summarizeResults(results) };
    },
    onStep: (step) => log(stepLine(transport, step, pinning)),
    onDisturbed: (rate, attempt, m) => log(`transport: ${transport} @ ${rate} req/s, attempt ${attempt}: disturbed, ${Math.round(disturbanceMillicores(m.interference))}m; measuring again`),
  };
}

function stepLine(transport: Transport, step: RateStep, pinning: CpuPinning): string {
  const l = step.latencyMs;
  return (
    `transport: ${transport} @ ${step.ratePerSecond} req/s (${step.durationSeconds} s): sent ${Math.round(step.sentPerSecond)}/s, ` +
    `p50 ${l.p50.toFixed(2)} · p99 ${l.p99.toFixed(2)} · max ${l.max.toFixed(1)} ms, ${l.errors} errors; ` +
    `${describeInterference(step.interference, pinning)}${step.stopReason ? ` — ${step.stopReason}` : ""}`
  );
}

interface GrpcReadiness {
  readonly version?: string;
  readonly reflection: boolean;
  readonly unservable?: Readonly<Record<string, string>>;
  readonly refused?: string;
}

/**
 * Whether ghz can call the method at all: its version, the schema from Flipt's reflection, then
 * one call per flag, each answered OK. The reason, in the refusing side's words, when not.
 */
async function grpcReadiness(context: Context, flags: readonly FlagRef[]): Promise<GrpcReadiness> {
  const { version, error } = ghzVersion(context.tools.ghzBin);
  if (!version) return { reflection: false, refused: error };
  const service = GRPC_BOOLEAN_METHOD.split("/")[0];
  let unservable: Readonly<Record<string, string>>;
  try {
    const schema = await reflectSchema(context.grpcAddress, service);
    fs.writeFileSync(context.protosetFile, protoset(schema.files));
    unservable = schema.unservable;
  } catch (e) {
    return { version, reflection: false, refused: (e as Error).message };
  }
  const checked = await checkGrpcCalls(context, flags);
  return { version, reflection: true, unservable, refused: checked };
}

/** One call per flag; undefined when each was answered OK, else what went wrong. */
async function checkGrpcCalls(context: Context, flags: readonly FlagRef[]): Promise<string | undefined> {
  const checkFile = path.join(context.target.local.dir, "ghz-check.json");
  fs.writeFileSync(checkFile, JSON.stringify(grpcCallData(flags, flags.length)));
  try {
    const report = await runGhz(context.supervisor, context.tools.ghzBin, grpcSpec(context, "check", 0, { total: flags.length }, checkFile));
    const errors = distinctErrors(report.calls);
    if (errors.length > 0) return `${GRPC_BOOLEAN_METHOD} answered ${errors.join("; ")}`;
    if (report.count !== flags.length) return `ghz made ${report.count} of ${flags.length} check calls`;
    return undefined;
  } catch (e) {
    return (e as Error).message.replace(/\s+/g, " ");
  }
}

/** The command line of a step at `rate`, as runGhz runs it, with the target's temp dir as <dir>. */
function ghzCommandLine(context: Context, rate: number, durationSeconds: number): string {
  const dir = context.target.local.dir;
  const args = ghzArgs(grpcSpec(context, `grpc-${rate}-1`, rate, { durationSeconds }));
  return ["taskset", "-c", context.pinning.generator, "ghz", ...args].join(" ").split(dir).join("<dir>");
}

function writeRequestFiles(dir: string, url: string, flags: readonly FlagRef[]): Record<Transport, string> {
  const files = { http: path.join(dir, "vegeta-http.jsonl"), ofrep: path.join(dir, "vegeta-ofrep.jsonl"), grpc: path.join(dir, "ghz-data.json") };
  fs.writeFileSync(files.http, vegetaTargetLines(url, "boolean", flags, REQUESTS_PER_TRANSPORT, 1));
  fs.writeFileSync(files.ofrep, vegetaTargetLines(url, "ofrep", flags, REQUESTS_PER_TRANSPORT, 1));
  fs.writeFileSync(files.grpc, JSON.stringify(grpcCallData(flags, REQUESTS_PER_TRANSPORT)));
  return files;
}

/** Every transport's steps, in turns at each rate, with the warm-ups first. */
async function measureLadders(context: Context, transports: readonly Transport[], rates: readonly number[]): Promise<Record<Transport, RateStep[]>> {
  const climbed = await climbLadders(
    transports.map((t) => transportLoad(context, t)),
    { rules: context.rules, plan: fixedRates(rates, context.rules), warmupSeconds: WARMUP_SECONDS, pinning: context.pinning, fliptPid: context.target.pid },
  );
  const steps: Record<Transport, RateStep[]> = { http: [], ofrep: [], grpc: [] };
  transports.forEach((t, i) => (steps[t] = climbed[i]));
  return steps;
}

/**
 * The whole comparison. This process (and so the Git server and every load generator) moves to the
 * generator's CPU for the duration, and back afterwards; Flipt is stopped on every path.
 */
export async function measureTransport(
  supervisor: Supervisor,
  tools: ToolchainPaths,
  options: TransportOptions,
  log: (line: string) => void,
): Promise<TransportResults> {
  const rates = transportLadder(options.rates);
  const rules = transportRules(options.stepSeconds);
  const loadAverageAtStart = readLoadAverage();
  const vegetaVersion = readVegetaVersion(tools.vegetaBin);
  const { pinning } = options;
  return onCpus(pinning.generator, async () => {
    log(`transport: starting ${TRANSPORT_TARGET.name} (${describeTarget(TRANSPORT_TARGET)}) on CPU ${pinning.flipt}`);
    const flagsDir = options.flagsDir ?? stackFlagsDir(TRANSPORT_TARGET);
    const target = await startPinnedTarget(supervisor, tools, TRANSPORT_TARGET, pinning, flagsDir);
    try {
      await checkServesFlags(target, options.flags);
      const dir = target.local.dir;
      const context: Context = {
        supervisor,
        tools,
        target,
        grpcAddress: `127.0.0.1:${target.local.flipt.options.local.grpcPort}`,
        files: writeRequestFiles(dir, target.url, options.flags),
        protosetFile: path.join(dir, "flipt-evaluation.protoset"),
        rules,
        pinning,
        log,
      };
      const grpc = await grpcReadiness(context, options.flags);
      if (grpc.refused) log(`transport: gRPC not measured: ${grpc.refused}`);
      const transports = TRANSPORTS.filter((t) => t !== "grpc" || !grpc.refused);
      const steps = await measureLadders(context, transports, rates);
      const generators: Record<Transport, string> = { http: `vegeta ${vegetaVersion}`, ofrep: `vegeta ${vegetaVersion}`, grpc: `ghz ${grpc.version}` };
      const ghzCommand = grpc.refused ? undefined : ghzCommandLine(context, rates[0], rules.minSeconds);
      return {
        target: describeTarget(TRANSPORT_TARGET),
        fliptCpusAllowed: cpusAllowed(target.pid),
        pinning,
        rates,
        stepSeconds: rules.minSeconds,
        rules,
        timeoutSeconds: TIMEOUT_SECONDS,
        warmupSeconds: WARMUP_SECONDS,
        flags: options.flags.length,
        entities: `${REQUESTS_PER_TRANSPORT.toLocaleString("en-US")} pre-generated requests per transport, the flags in turn, entity ids org-1…org-100000 at random`,
        vegetaVersion,
        ghzVersion: grpc.version,
        grpcMethod: GRPC_BOOLEAN_METHOD,
        reflection: grpc.reflection,
        reflectionUnservable: grpc.unservable,
        ghzCommand,
        loadAverageAtStart,
        runs: transports.map((t) => transportRun(t, generators[t], steps[t], rules)),
        refused: grpc.refused,
      };
    } finally {
      await target.local.flipt.stop();
    }
  });
}
