/**
 * Open-loop gRPC load with ghz (built from its Go module by scripts/toolchain/setup.sh). With
 * `--async` every tick of ghz's constant pacer starts its own call, so a slow answer holds back no
 * later request (no coordinated omission), as vegeta does over HTTP.
 *
 * The method's schema comes from Flipt's server reflection (reflectSchema, below), so no .proto
 * file of Flipt's is needed. The call data is a JSON array of pre-generated requests, which ghz sends
 * round-robin by request number for a unary call. Results are read from the JSON report's
 * per-call details, so percentiles are computed here from every call, not taken from ghz's own
 * distribution (which leaves failed calls out).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http2 from "node:http2";
import * as path from "node:path";
import type { FlagRef } from "../../scripts/lib/flagFiles";
import { Supervisor } from "../../scripts/lib/processes";
import { randomEntityId } from "../lib/evaluationRequests";
import { percentileOfSorted } from "../lib/stats";
import { LatencySummary } from "./vegeta";

/** Flipt's boolean evaluation over gRPC (rpc/flipt/evaluation/evaluation.proto). */
export const GRPC_BOOLEAN_METHOD = "flipt.evaluation.EvaluationService/Boolean";

/** A gRPC status that means no answer came (the call timed out, or the connection failed). */
const NO_ANSWER_STATUSES = new Set(["DeadlineExceeded", "Unavailable", "Canceled"]);

/** One EvaluationRequest, with the proto's own field names (ghz accepts them in its JSON data). */
export interface GrpcEvaluationRequest {
  readonly namespace_key: string;
  readonly flag_key: string;
  readonly entity_id: string;
  readonly context: Readonly<Record<string, string>>;
}

/** `count` requests: the flags in turn, entities `org-<n>` with n uniform in 1..ENTITY_COUNT (as vegetaTargetLines). */
export function grpcCallData(flags: readonly FlagRef[], count: number, random: () => number = Math.random): GrpcEvaluationRequest[] {
  if (flags.length === 0) throw new Error("no flags to evaluate");
  return Array.from({ length: count }, (_, i) => {
    const flag = flags[i % flags.length];
    return { namespace_key: flag.namespace, flag_key: flag.key, entity_id: randomEntityId(random), context: {} };
  });
}

export interface GhzRunSpec {
  readonly name: string;
  /** host:port of Flipt's gRPC server (loopback, plaintext). */
  readonly address: string;
  readonly method: string;
  /** The method's schema as a FileDescriptorSet (reflectSchema, protoset). */
  readonly protosetFile: string;
  /** A JSON array of requests (grpcCallData), sent round-robin. */
  readonly dataFile: string;
  /** Constant arrival rate; with `total` instead of a duration, 0 sends as fast as the workers can. */
  readonly ratePerSecond: number;
  /** Run for this long, or… */
  readonly durationSeconds?: number;
  /** …send exactly this many calls. */
  readonly total?: number;
  /** A call without an answer after this long fails with DeadlineExceeded. */
  readonly timeoutSeconds: number;
  /** taskset CPU list ghz runs on. */
  readonly cpus: string;
  /** Where the JSON report goes. */
  readonly workDir: string;
}

/**
 * Workers taking the pacer's ticks, and the HTTP/2 connections they share. With --async a worker
 * only starts calls, so a few keep up with any rate here; several connections spread the calls as
 * a service's several clients would.
 */
export const GHZ_CONCURRENCY = 16;
export const GHZ_CONNECTIONS = 4;

/** Where a run's JSON report goes. */
export function ghzReportFile(spec: GhzRunSpec): string {
  return path.join(spec.workDir, `ghz-${spec.name}.json`);
}

/** The ghz arguments for one run (the binary and the taskset prefix not included). */
export function ghzArgs(spec: GhzRunSpec): string[] {
  if (spec.durationSeconds === undefined && spec.total === undefined) throw new Error(`ghz run ${spec.name}: neither a duration nor a total`);
  // `wait`: the calls in flight when the duration ends are answered and counted, as vegeta counts its last ones.
  const length = spec.durationSeconds !== undefined ? [`--duration=${spec.durationSeconds}s`, "--duration-stop=wait"] : [`--total=${spec.total}`];
  const rate = spec.ratePerSecond > 0 ? [`--rps=${spec.ratePerSecond}`, "--load-schedule=const"] : [];
  return [
    "--insecure",
    `--protoset=${spec.protosetFile}`,
    `--call=${spec.method}`,
    `--data-file=${spec.dataFile}`,
    "--async",
    ...rate,
    `--concurrency=${GHZ_CONCURRENCY}`,
    `--connections=${GHZ_CONNECTIONS}`,
    ...length,
    `--timeout=${spec.timeoutSeconds}s`,
    "--format=json",
    `--output=${ghzReportFile(spec)}`,
    `--name=${spec.name}`,
    spec.address,
  ];
}

/** One call as ghz recorded it. */
export interface GhzCall {
  /** When the call started (ms since the epoch): ghz records the end, less the latency. */
  readonly sentAtMs: number;
  readonly latencyMs: number;
  /** The gRPC status name ("OK", "NotFound", "DeadlineExceeded"…). */
  readonly status: string;
  readonly error: string;
}

export interface GhzReport {
  /** Calls ghz counted. */
  readonly count: number;
  /** Wall time of the run (ms), the wait for the last answers included. */
  readonly totalMs: number;
  readonly calls: readonly GhzCall[];
}

interface GhzJsonDetail {
  timestamp?: unknown;
  latency?: unknown;
  status?: unknown;
  error?: unknown;
}

/** ghz's `--format=json` report (durations in ns, detail timestamps RFC 3339 at the end of each call). */
export function parseGhzReport(text: string): GhzReport {
  let json: { count?: unknown; total?: unknown; details?: unknown };
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`not a ghz JSON report (${(error as Error).message}): ${text.slice(0, 200)}`);
  }
  if (typeof json.count !== "number" || typeof json.total !== "number") throw new Error(`not a ghz JSON report (no count or total): ${text.slice(0, 200)}`);
  const details = (json.details ?? []) as GhzJsonDetail[];
  if (!Array.isArray(details)) throw new Error("ghz report: details is not a list");
  const calls = details.map((d, i): GhzCall => {
    const endMs = typeof d.timestamp === "string" ? Date.parse(d.timestamp) : NaN;
    if (!Number.isFinite(endMs) || typeof d.latency !== "number") throw new Error(`ghz report: detail ${i} is not a call: ${JSON.stringify(d).slice(0, 200)}`);
    const latencyMs = d.latency / 1e6;
    return { sentAtMs: endMs - latencyMs, latencyMs, status: String(d.status ?? ""), error: String(d.error ?? "") };
  });
  if (calls.length !== json.count) throw new Error(`ghz report: ${json.count} calls counted but ${calls.length} detailed`);
  return { count: json.count, totalMs: json.total / 1e6, calls };
}

/** Percentiles (ms) over every call, failed ones included, as summarizeResults does for vegeta's. */
export function summarizeCalls(calls: readonly GhzCall[]): LatencySummary {
  if (calls.length === 0) throw new Error("no calls to summarize");
  const latencies = calls.map((c) => c.latencyMs).sort((a, b) => a - b);
  const transportErrors = calls.filter((c) => NO_ANSWER_STATUSES.has(c.status) || (c.status === "" && c.error !== "")).length;
  const errors = calls.filter((c) => c.status !== "OK" || c.error !== "").length;
  return {
    requests: calls.length,
    p50: percentileOfSorted(latencies, 50),
    p90: percentileOfSorted(latencies, 90),
    p99: percentileOfSorted(latencies, 99),
    p999: percentileOfSorted(latencies, 99.9),
    max: latencies[latencies.length - 1],
    // A gRPC answer other than OK is counted where an HTTP answer other than 200 is.
    non200: errors - transportErrors,
    transportErrors,
    errors,
  };
}

/** Calls per second actually started: the count over the span of start times. */
export function callRate(calls: readonly GhzCall[]): number {
  if (calls.length < 2) return 0;
  const starts = calls.map((c) => c.sentAtMs);
  const seconds = (Math.max(...starts) - Math.min(...starts)) / 1000;
  return seconds > 0 ? (calls.length - 1) / seconds : 0;
}

/** The first few distinct errors of a run, for a refusal or a log line. */
export function distinctErrors(calls: readonly GhzCall[], limit = 3): string[] {
  const seen = new Set<string>();
  for (const c of calls) if (c.status !== "OK" || c.error !== "") seen.add(`${c.status}: ${c.error}`);
  return [...seen].slice(0, limit);
}

/** `ghz --version` (kingpin prints it on stderr), or the reason it cannot run. */
export function ghzVersion(ghzBin: string): { version?: string; error?: string } {
  if (!fs.existsSync(ghzBin)) return { error: `no ghz binary at ${ghzBin}; run scripts/toolchain/setup.sh` };
  const result = spawnSync(ghzBin, ["--version"], { encoding: "utf8", timeout: 10_000 });
  const printed = `${result.stdout ?? ""}${result.stderr ?? ""}`.trim().split("\n")[0];
  if (result.status !== 0 || !printed) return { error: `${ghzBin} --version failed (exit ${result.status ?? result.signal}): ${printed}` };
  return { version: printed };
}

/** How long ghz may take past its calls (reflection, the last answers, writing the report) before it is killed. */
const GHZ_GRACE_MS = 60_000;

/** Runs ghz pinned to `spec.cpus` and returns its report; fails with ghz's own output when it fails. */
export async function runGhz(supervisor: Supervisor, ghzBin: string, spec: GhzRunSpec): Promise<GhzReport> {
  const reportFile = ghzReportFile(spec);
  const runSeconds = spec.durationSeconds ?? 0;
  const limitMs = (runSeconds + spec.timeoutSeconds) * 1000 + GHZ_GRACE_MS;
  const proc = supervisor.spawn(`ghz-${spec.name}`, "taskset", ["-c", spec.cpus, ghzBin, ...ghzArgs(spec)]);
  const status = await proc.exitedOrKilledAfter(limitMs);
  if (status.code !== 0) throw new Error(`ghz ${spec.name} failed (exit ${status.code ?? status.signal}): ${proc.tail(15)}`);
  try {
    return parseGhzReport(fs.readFileSync(reportFile, "utf8"));
  } finally {
    fs.rmSync(reportFile, { force: true });
  }
}

// --- The method's schema from Flipt's server reflection ---------------------------------------
//
// ghz can resolve the method through reflection itself, but Flipt v1.61.1's reflection cannot
// serve the whole schema: evaluation.proto imports "gnostic/openapi/v3/annotations.proto", which
// the Go module it links registers as "openapiv3/annotations.proto", so a client asking for the
// import by name gets "File not found" (ghz: "Symbol not found: …EvaluationService.Boolean caused
// by: File not found: gnostic/openapi/v3/annotations.proto"). The import only carries OpenAPI
// annotations; the schema below is every file reflection serves for the service, with the imports
// it cannot serve left out, written as a protoset (a FileDescriptorSet) for ghz's --protoset.

/** A protobuf field as read off the wire: its number, wire type and raw bytes (tag included). */
interface WireField {
  readonly number: number;
  readonly wireType: number;
  /** The payload of a length-delimited field. */
  readonly payload?: Buffer;
  readonly raw: Buffer;
}

function readVarint(buffer: Buffer, offset: number): { value: number; next: number } {
  let value = 0;
  let shift = 0;
  for (let i = offset; i < buffer.length; i++) {
    const byte = buffer[i];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if ((byte & 0x80) === 0) return { value, next: i + 1 };
  }
  throw new Error("truncated protobuf varint");
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    bytes.push(byte);
  } while (value > 0);
  return Buffer.from(bytes);
}

/** The top-level fields of one protobuf message, in order. */
export function wireFields(message: Buffer): WireField[] {
  const fields: WireField[] = [];
  for (let offset = 0; offset < message.length; ) {
    const start = offset;
    const tag = readVarint(message, offset);
    const number = Math.floor(tag.value / 8);
    const wireType = tag.value % 8;
    offset = tag.next;
    let payload: Buffer | undefined;
    if (wireType === 0) offset = readVarint(message, offset).next;
    else if (wireType === 1) offset += 8;
    else if (wireType === 5) offset += 4;
    else if (wireType === 2) {
      const length = readVarint(message, offset);
      payload = message.subarray(length.next, length.next + length.value);
      offset = length.next + length.value;
    } else throw new Error(`unsupported protobuf wire type ${wireType}`);
    if (offset > message.length) throw new Error("truncated protobuf field");
    fields.push({ number, wireType, payload, raw: message.subarray(start, offset) });
  }
  return fields;
}

/** A length-delimited field (strings, bytes, messages). */
export function bytesField(number: number, payload: Buffer | string): Buffer {
  const bytes = typeof payload === "string" ? Buffer.from(payload, "utf8") : payload;
  return Buffer.concat([varint(number * 8 + 2), varint(bytes.length), bytes]);
}

// google/protobuf/descriptor.proto: FileDescriptorProto.name = 1, .dependency = 3,
// .public_dependency = 10, .weak_dependency = 11; FileDescriptorSet.file = 1.
const FILE_NAME = 1;
const FILE_DEPENDENCY = 3;
const FILE_DEPENDENCY_INDEXES = [10, 11];

export interface FileDescriptor {
  readonly name: string;
  readonly dependencies: readonly string[];
  readonly bytes: Buffer;
}

export function fileDescriptor(bytes: Buffer): FileDescriptor {
  const fields = wireFields(bytes);
  const text = (f: WireField) => f.payload!.toString("utf8");
  const name = fields.find((f) => f.number === FILE_NAME);
  if (!name?.payload) throw new Error("a FileDescriptorProto without a name");
  return { name: text(name), dependencies: fields.filter((f) => f.number === FILE_DEPENDENCY).map(text), bytes };
}

/** The file without the imports named (they are dropped from its dependency list; nothing else changes). */
export function withoutImports(file: FileDescriptor, dropped: ReadonlySet<string>): FileDescriptor {
  if (!file.dependencies.some((d) => dropped.has(d))) return file;
  const fields = wireFields(file.bytes);
  // Public and weak imports are indexes into the dependency list, which dropping an import would shift.
  if (fields.some((f) => FILE_DEPENDENCY_INDEXES.includes(f.number))) throw new Error(`${file.name} has public or weak imports; cannot drop ${[...dropped].join(", ")}`);
  const kept = fields.filter((f) => !(f.number === FILE_DEPENDENCY && dropped.has(f.payload!.toString("utf8"))));
  return fileDescriptor(Buffer.concat(kept.map((f) => f.raw)));
}

/** A FileDescriptorSet of the files, as --protoset reads it. */
export function protoset(files: readonly FileDescriptor[]): Buffer {
  return Buffer.concat(files.map((f) => bytesField(1, f.bytes)));
}

/** What one reflection request answered: file descriptors, or the server's error. */
export type ReflectionAnswer = { readonly files: Buffer[] } | { readonly error: string };

/** ServerReflectionResponse: file_descriptor_response = 4 (file_descriptor_proto = 1), error_response = 7 (error_message = 2). */
export function parseReflectionResponse(message: Buffer): ReflectionAnswer {
  for (const field of wireFields(message)) {
    if (field.number === 4 && field.payload) return { files: wireFields(field.payload).filter((f) => f.number === 1).map((f) => f.payload!) };
    if (field.number === 7 && field.payload) {
      const text = wireFields(field.payload).find((f) => f.number === 2)?.payload?.toString("utf8");
      return { error: text ?? "an error without a message" };
    }
  }
  return { error: "an answer without file descriptors" };
}

/** What to ask for: a file by its name, or the file that defines a symbol. */
export type ReflectionQuery = { readonly filename: string } | { readonly symbol: string };

/** ServerReflectionRequest: file_by_filename = 3, file_containing_symbol = 4. */
export function reflectionRequest(query: ReflectionQuery): Buffer {
  return "filename" in query ? bytesField(3, query.filename) : bytesField(4, query.symbol);
}

/** gRPC's length-prefixed message framing: a compression flag (0) and a 4-byte length. */
export function grpcFrame(message: Buffer): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

export function grpcMessages(body: Buffer): Buffer[] {
  const messages: Buffer[] = [];
  for (let offset = 0; offset + 5 <= body.length; ) {
    if (body[offset] !== 0) throw new Error("a compressed gRPC message (not asked for)");
    const length = body.readUInt32BE(offset + 1);
    messages.push(body.subarray(offset + 5, offset + 5 + length));
    offset += 5 + length;
  }
  return messages;
}

export const REFLECTION_PATH = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo";
const REFLECTION_TIMEOUT_MS = 10_000;

/** One reflection request on its own stream, over plaintext HTTP/2 (loopback). */
async function askReflection(session: http2.ClientHttp2Session, query: ReflectionQuery): Promise<ReflectionAnswer> {
  const stream = session.request({ ":method": "POST", ":path": REFLECTION_PATH, "content-type": "application/grpc", te: "trailers" });
  stream.setTimeout(REFLECTION_TIMEOUT_MS, () => stream.close(http2.constants.NGHTTP2_CANCEL));
  const chunks: Buffer[] = [];
  const trailers = new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
    let headers: http2.IncomingHttpHeaders = {};
    stream.on("response", (h) => (headers = h));
    stream.on("trailers", (t) => (headers = { ...headers, ...t }));
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => resolve(headers));
    stream.on("close", () => resolve(headers));
    stream.on("error", reject);
  });
  stream.end(grpcFrame(reflectionRequest(query)));
  const headers = await trailers;
  const status = headers["grpc-status"];
  if (status !== undefined && status !== "0") return { error: `grpc-status ${status}: ${headers["grpc-message"] ?? ""}` };
  const [message] = grpcMessages(Buffer.concat(chunks));
  return message ? parseReflectionResponse(message) : { error: "no answer (timed out or closed)" };
}

export interface ReflectedSchema {
  /** Every file reflection served for the service, imports it could not serve left out. */
  readonly files: readonly FileDescriptor[];
  /** Imports reflection could not serve by name, and the server's answer for each. */
  readonly unservable: Readonly<Record<string, string>>;
}

/** The service's file and everything it imports, as far as the server's reflection serves them. */
export async function reflectSchema(address: string, service: string): Promise<ReflectedSchema> {
  const session = http2.connect(`http://${address}`);
  session.on("error", () => undefined); // each request reports its own failure
  try {
    const files = new Map<string, FileDescriptor>();
    const unservable: Record<string, string> = {};
    const add = (answer: ReflectionAnswer, what: string) => {
      if ("error" in answer) throw new Error(`Flipt's reflection refused ${what}: ${answer.error}`);
      for (const bytes of answer.files) {
        const file = fileDescriptor(bytes);
        if (!files.has(file.name)) files.set(file.name, file);
      }
    };
    add(await askReflection(session, { symbol: service }), service);
    for (;;) {
      const missing = [...files.values()].flatMap((f) => f.dependencies).filter((d) => !files.has(d) && !(d in unservable));
      if (missing.length === 0) break;
      for (const name of new Set(missing)) {
        const answer = await askReflection(session, { filename: name });
        if ("error" in answer) unservable[name] = answer.error;
        else add(answer, name);
      }
    }
    const dropped = new Set(Object.keys(unservable));
    return { files: [...files.values()].map((f) => withoutImports(f, dropped)), unservable };
  } finally {
    session.close();
  }
}
