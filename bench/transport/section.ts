/**
 * The transport section (`npm run bench -- --only transport`): HTTP, OFREP and gRPC side by side
 * (measure.ts), each transport's capacity per core in the table, and gRPC refused (no ghz, no
 * reflection, a failed call) as a problem of the run. Until it was a section of its own it was a
 * part of the scale section; bench/results.json files from then are read with it here.
 */
import { repositoryFlagsDir } from "../../scripts/lib/localFlipt";
import { Row, formatMs, formatRate } from "../lib/format";
import { servedFlags } from "../lib/targets";
import { Section, openLoopBlocker } from "../section";
import { TransportResults, TransportRun, measureTransport } from "./measure";

const TITLE = "transport";

/** The latency section's first rates, each step 10 s, then refinement steps of 500 req/s below the first failing rate; --quick two of them, 5 s each. */
export const TRANSPORT_PROFILES: Record<"full" | "quick", { readonly rates: readonly number[]; readonly stepSeconds: number }> = {
  full: { rates: [250, 500, 1000, 2000, 4000], stepSeconds: 10 },
  quick: { rates: [250, 1000], stepSeconds: 5 },
};

/** A transport's capacity per core, with the rate above it that failed: the capacity lies between the two. */
export function transportCapacity(run: TransportRun): string {
  const c = run.capacity;
  const above = c.nextRatePerSecond === undefined ? "no higher rate measured" : `${formatRate(c.nextRatePerSecond)} req/s failed: p99 ${formatMs(c.nextP99Ms!)}`;
  if (c.requestsPerSecond === undefined) return `capacity: none (${above})`;
  return `capacity ${formatRate(c.requestsPerSecond)} req/s per core at p99 ${formatMs(c.p99Ms!)} (${above})`;
}

function transportRows(results: TransportResults): Row[] {
  const refined = (run: TransportRun) => run.steps.filter((s) => s.refinement).map((s) => formatRate(s.ratePerSecond));
  const rows = results.runs.map((run): Row => [
    TITLE,
    `transport: ${run.transport} (${run.request})`,
    transportCapacity(run),
    `${run.tool}${refined(run).length > 0 ? `; refinement steps at ${refined(run).join(", ")} req/s` : ""}`,
  ]);
  return results.refused ? [...rows, [TITLE, "transport: grpc", `NOT MEASURED: ${results.refused}`, ""]] : rows;
}

export const transportSection: Section<TransportResults> = {
  title: TITLE,
  blocker: openLoopBlocker,
  measure: ({ supervisor, tools, options, pinning, log }) => {
    const profile = TRANSPORT_PROFILES[options.quick ? "quick" : "full"];
    // The prod stack's own flags, as the latency section measures: the transports side by side with it.
    const flags = servedFlags(repositoryFlagsDir("prod"));
    log(`transport: HTTP, OFREP and gRPC at ${profile.rates.join(", ")} req/s`);
    return measureTransport(supervisor, tools, { ...profile, flags, pinning }, log);
  },
  rows: transportRows,
  problems: (results) => (results.refused ? [`transport: gRPC: ${results.refused}`] : []),
};
