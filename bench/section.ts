/**
 * The shape every section of the bench has (bench/sections.ts lists them): what stops it on this
 * machine, how it measures, the rows it adds to the table and the problems that fail the run. A
 * section gets everything it shares with the others through its SectionContext.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import { Supervisor } from "../scripts/lib/processes";
import { ToolchainPaths, fliptUnavailableReason } from "../scripts/toolchain/paths";
import type { Row } from "./lib/format";
import type { GoConfig } from "./lib/goEnvironment";
import type { MachineInfo } from "./lib/host";
import type { LoadRuns } from "./lib/loadRuns";
import type { CpuPinning } from "./lib/pinning";

/** What the command line chose, as every section may read it. */
export interface RunOptions {
  /** The JSON file written; charts go beside it. */
  readonly out: string;
  /** Fewer changes, shorter runs. */
  readonly quick: boolean;
  /** Every latency step exactly this long (no request floor). */
  readonly stepSeconds?: number;
  /** Latency ladders per request kind and storage. */
  readonly repeats?: number;
  /** The goruntime section's GOMEMLIMIT share (0–1; measured when absent) and configurations. */
  readonly goRuntime?: { readonly gomemlimitShare?: number; readonly configs?: readonly GoConfig[] };
}

export interface SectionContext {
  readonly supervisor: Supervisor;
  readonly tools: ToolchainPaths;
  readonly options: RunOptions;
  /** The host, as recorded at the start of the run. */
  readonly machine: MachineInfo;
  /** Flipt's core and the load generators' for the sections that pin (latency, transport, scale). */
  readonly pinning: CpuPinning;
  /** The closed-loop runs of each target, measured once for the sections that share them. */
  readonly loadRuns: LoadRuns;
  readonly log: (line: string) => void;
}

export interface Section<T> {
  /** The table's first column for this section's rows. */
  readonly title: string;
  /** Why this machine cannot measure the section (no Flipt binary, no load generator), if it cannot. */
  blocker(tools: ToolchainPaths): string | undefined;
  measure(context: SectionContext): Promise<T>;
  /** The section's rows of the table; `machine` is the host of the run that measured it. */
  rows(results: T, machine: MachineInfo): Row[];
  /** What in the measured results must fail the run (exit 1), each line prefixed with the section's name. */
  problems(results: T): string[];
}

/** No blocker: the section needs nothing but this checkout. */
export function noBlocker(): undefined {
  return undefined;
}

export function fliptBlocker(tools: ToolchainPaths): string | undefined {
  const unavailable = fliptUnavailableReason(tools);
  return unavailable ? `Flipt is unavailable: ${unavailable}` : undefined;
}

/** Flipt and wrk: the closed-loop sections. */
export function wrkBlocker(tools: ToolchainPaths): string | undefined {
  const flipt = fliptBlocker(tools);
  if (flipt) return flipt;
  return fs.existsSync(tools.wrkBin) ? undefined : `no wrk at ${tools.wrkBin}; run scripts/toolchain/setup.sh`;
}

/** Flipt, vegeta and two cores: the open-loop sections, which pin Flipt and the load generator to one core each. */
export function openLoopBlocker(tools: ToolchainPaths): string | undefined {
  const flipt = fliptBlocker(tools);
  if (flipt) return flipt;
  if (!fs.existsSync(tools.vegetaBin)) return `no vegeta at ${tools.vegetaBin}; run scripts/toolchain/setup.sh`;
  if (os.cpus().length < 2) return `it pins Flipt and the load generator to one core each; this machine has ${os.cpus().length}`;
  return undefined;
}

/** The first line of an error, as the table and the problem list show it. */
export function firstLine(text: string): string {
  return text.split("\n")[0];
}
