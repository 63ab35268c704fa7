/**
 * Open-loop HTTP load with vegeta (built from its Go module by scripts/toolchain/setup.sh): requests
 * leave at a constant arrival rate whatever the server's latency, so a slow answer delays no later
 * request and the latencies are what a service sending at that rate sees (no coordinated omission).
 *
 * The targets are a file of pre-generated requests in vegeta's JSON format, one per line, each for
 * a random entity; vegeta sends them round-robin. Results are read back from `vegeta encode`'s JSON
 * lines, so percentiles are computed here from every request, not scraped from a text report.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as readline from "node:readline";
import type { FlagRef } from "../../scripts/lib/flagFiles";
import { Supervisor } from "../../scripts/lib/processes";
import { EVALUATE_PATHS, OFREP_FLAG_PATH, OFREP_NAMESPACE_HEADER, randomEntityId } from "../lib/evaluationRequests";
import { percentileOfSorted } from "../lib/stats";

/** What a service sends: Flipt's boolean evaluation, OFREP's single-flag evaluation, or a batch. */
export const REQUEST_KINDS = ["boolean", "ofrep", "batch"] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

export interface VegetaTarget {
  readonly method: "POST";
  readonly url: string;
  readonly header: Readonly<Record<string, readonly string[]>>;
  /** base64, as vegeta's JSON target format wants it. */
  readonly body: string;
}

function evaluationRequest(flag: FlagRef, entityId: string) {
  return { namespaceKey: flag.namespace, flagKey: flag.key, entityId, context: {} };
}

/** One request of `kind` for `entityId`: flag `index` in turn (a batch takes the `batchSize` flags from there). */
export function vegetaTarget(baseUrl: string, kind: RequestKind, flags: readonly FlagRef[], index: number, entityId: string, batchSize: number): VegetaTarget {
  if (flags.length === 0) throw new Error("no flags to evaluate");
  const flag = flags[index % flags.length];
  const json = { "Content-Type": ["application/json"] };
  const encode = (body: unknown) => Buffer.from(JSON.stringify(body)).toString("base64");
  switch (kind) {
    case "boolean":
      return { method: "POST", url: `${baseUrl}${EVALUATE_PATHS.boolean}`, header: json, body: encode(evaluationRequest(flag, entityId)) };
    case "ofrep":
      return {
        method: "POST",
        url: `${baseUrl}${OFREP_FLAG_PATH}${encodeURIComponent(flag.key)}`,
        header: { ...json, [OFREP_NAMESPACE_HEADER]: [flag.namespace] },
        body: encode({ context: { targetingKey: entityId } }),
      };
    case "batch": {
      const requests = Array.from({ length: batchSize }, (_, i) => evaluationRequest(flags[(index + i) % flags.length], entityId));
      return { method: "POST", url: `${baseUrl}${EVALUATE_PATHS.batch}`, header: json, body: encode({ requests }) };
    }
  }
}

/** `count` targets, one line each, for entities `org-<n>` with n uniform in 1..ENTITY_COUNT. */
export function vegetaTargetLines(baseUrl: string, kind: RequestKind, flags: readonly FlagRef[], count: number, batchSize: number, random: () => number = Math.random): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    lines.push(JSON.stringify(vegetaTarget(baseUrl, kind, flags, i, randomEntityId(random), batchSize)));
  }
  return `${lines.join("\n")}\n`;
}

/** What `vegeta -version` says it is, e.g. v12.13.0. */
export function readVegetaVersion(vegetaBin: string): string {
  return execFileSync(vegetaBin, ["-version"], { encoding: "utf8" }).split("\n")[0].replace(/^Version:\s*/, "");
}

/** One request as vegeta recorded it. */
export interface VegetaResult {
  /** When the request was sent (ms since the epoch). */
  readonly sentAtMs: number;
  readonly latencyMs: number;
  /** HTTP status; 0 when no answer came (connection error, timeout). */
  readonly code: number;
  readonly error: string;
  /** The answer's body, when the attack kept bodies. */
  readonly body?: string;
}

interface VegetaJsonLine {
  timestamp: string;
  latency: number;
  code: number;
  error: string;
  body?: string;
}

/** One line of `vegeta encode --to json` (latency in ns, body base64). */
export function parseVegetaResult(line: string): VegetaResult {
  const r = JSON.parse(line) as VegetaJsonLine;
  const sentAtMs = Date.parse(r.timestamp);
  if (!Number.isFinite(sentAtMs) || typeof r.latency !== "number") throw new Error(`not a vegeta result: ${line.slice(0, 200)}`);
  return {
    sentAtMs,
    latencyMs: r.latency / 1e6,
    code: r.code,
    error: r.error ?? "",
    body: r.body ? Buffer.from(r.body, "base64").toString("utf8") : undefined,
  };
}

export function failed(result: VegetaResult): boolean {
  return result.code !== 200 || result.error !== "";
}

export interface LatencySummary {
  readonly requests: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  /** Answers other than 200. */
  readonly non200: number;
  /** Requests without an answer (connection refused or reset, timeout). */
  readonly transportErrors: number;
  /** non200 + transportErrors. */
  readonly errors: number;
}

/** Percentiles (ms) over every request, failed ones included (a timeout is a latency too), and the failures. */
export function summarizeResults(results: readonly VegetaResult[]): LatencySummary {
  if (results.length === 0) throw new Error("no requests to summarize");
  const latencies = results.map((r) => r.latencyMs).sort((a, b) => a - b);
  const non200 = results.filter((r) => r.code !== 0 && r.code !== 200).length;
  const transportErrors = results.filter((r) => r.code === 0 || (r.code === 200 && r.error !== "")).length;
  return {
    requests: results.length,
    p50: percentileOfSorted(latencies, 50),
    p90: percentileOfSorted(latencies, 90),
    p99: percentileOfSorted(latencies, 99),
    p999: percentileOfSorted(latencies, 99.9),
    max: latencies[latencies.length - 1],
    non200,
    transportErrors,
    errors: non200 + transportErrors,
  };
}

/** Requests per second actually sent: the count over the span of send times. */
export function sentRate(results: readonly VegetaResult[]): number {
  if (results.length < 2) return 0;
  let first = Infinity;
  let last = -Infinity;
  for (const r of results) {
    first = Math.min(first, r.sentAtMs);
    last = Math.max(last, r.sentAtMs);
  }
  const seconds = (last - first) / 1000;
  return seconds > 0 ? (results.length - 1) / seconds : 0;
}

export interface AttackSpec {
  readonly name: string;
  readonly targetsFile: string;
  readonly ratePerSecond: number;
  readonly durationSeconds: number;
  /** A request without an answer after this long counts as a transport error. */
  readonly timeoutSeconds: number;
  /** Keep answer bodies (to check the values served); latency steps do not need them. */
  readonly keepBodies: boolean;
  /** taskset CPU list vegeta runs on. */
  readonly cpus: string;
  /** Where the binary results and their JSON go. */
  readonly workDir: string;
}

/** How long vegeta may take past the attack's duration (the last answers, then encoding) before it is killed. */
const VEGETA_GRACE_MS = 60_000;
/** vegeta adds workers as answers slow down; this bounds its sockets and goroutines when Flipt stalls. */
const MAX_WORKERS = 5000;

async function runToCompletion(supervisor: Supervisor, name: string, args: readonly string[], limitMs: number): Promise<void> {
  const proc = supervisor.spawn(name, "taskset", args);
  const status = await proc.exitedOrKilledAfter(limitMs);
  if (status.code !== 0) throw new Error(`${name} failed (exit ${status.code ?? status.signal}):\n${proc.tail(15)}`);
}

/** Runs one attack pinned to `spec.cpus` and returns every request's result, in the order vegeta wrote them. */
export async function runVegeta(supervisor: Supervisor, vegetaBin: string, spec: AttackSpec): Promise<VegetaResult[]> {
  const binFile = `${spec.workDir}/${spec.name}.bin`;
  const jsonFile = `${spec.workDir}/${spec.name}.json`;
  const attack = [
    "attack",
    "-format=json",
    `-targets=${spec.targetsFile}`,
    `-rate=${spec.ratePerSecond}/1s`,
    `-duration=${spec.durationSeconds}s`,
    `-timeout=${spec.timeoutSeconds}s`,
    `-max-workers=${MAX_WORKERS}`,
    `-max-body=${spec.keepBodies ? -1 : 0}`,
    `-name=${spec.name}`,
    `-output=${binFile}`,
  ];
  const limitMs = (spec.durationSeconds + spec.timeoutSeconds) * 1000 + VEGETA_GRACE_MS;
  await runToCompletion(supervisor, `vegeta-${spec.name}`, ["-c", spec.cpus, vegetaBin, ...attack], limitMs);
  await runToCompletion(supervisor, `vegeta-encode-${spec.name}`, ["-c", spec.cpus, vegetaBin, "encode", "-to=json", `-output=${jsonFile}`, binFile], VEGETA_GRACE_MS);
  const results: VegetaResult[] = [];
  const lines = readline.createInterface({ input: fs.createReadStream(jsonFile), crlfDelay: Infinity });
  for await (const line of lines) if (line.trim() !== "") results.push(parseVegetaResult(line));
  fs.rmSync(binFile, { force: true });
  fs.rmSync(jsonFile, { force: true });
  return results;
}
