/**
 * How the program's cost grows with the services it wires: render and the program under mocks
 * for dev's configuration with N generated services (servicesProgram.ts, a child process each),
 * and, through the engine tier's harness (a real control plane with kwok, the real Pulumi CLI and
 * Kubernetes provider), `pulumi preview`, `up` and `destroy` of the same stack, every service a
 * ConfigMap patch of a ConfigMap the existing world made under the `helm` field manager.
 */
import { randomBytes } from "node:crypto";
import * as path from "node:path";
import { startLocalWorld, type LocalWorld } from "../../scripts/lib/localWorld";
import { Supervisor } from "../../scripts/lib/processes";
import type { ToolchainPaths } from "../../scripts/toolchain/paths";
import { projectDir } from "../../settings/schema";
import { readStack } from "../../settings/stackFiles";
import type { Settings } from "../../settings/types";
import { runMeasured } from "./measuredProcess";
import { SERVICES_BASE_STACK, serviceEntries } from "./servicesTargets";

export type ServiceProgramCommand = "render" | "mocks";

export interface ServiceProgramRow {
  /** Services wired (each a ConfigMap patch). */
  readonly services: number;
  /** `render`: the Kubernetes objects written as `npm run render` writes them; `mocks`: index.ts under Pulumi's mocks. */
  readonly command: ServiceProgramCommand;
  /** `generated`: dev's configuration with N generated services; `stack file`: dev's own file, by the repository's own command (the reference). */
  readonly configuration: "generated" | "stack file";
  /** Wall time of the child process, spawn to exit (node and tsx start-up included). */
  readonly seconds: number;
  /** Peak resident memory of the child (VmHWM at exit), MiB; null when it did not exit on its own. */
  readonly peakRssMiB: number | null;
  /** The child's exit code; null when killed at the time limit. Anything but 0 is a failed row. */
  readonly exitCode: number | null;
  /** What it reported (files rendered; resources registered and in-process time) or why it failed. */
  readonly detail: string;
  /** The command as run. */
  readonly commandLine: string;
}

export interface ServiceEngineRow {
  /** Services wired (each a ConfigMapPatch of an existing ConfigMap owned by `helm`). */
  readonly services: number;
  /** Wall time of `pulumi preview` (one operation process: node start, index.ts, the engine), seconds; null when not reached. */
  readonly previewSeconds: number | null;
  /** Resources the preview would create. */
  readonly previewCreates: number | null;
  /** Wall time of `pulumi up`, seconds; null when not reached. */
  readonly upSeconds: number | null;
  /** Resources `up` created (its change summary's `create`), the stack itself included. */
  readonly resourcesCreated: number | null;
  /** Wall time of `pulumi destroy` after the up, seconds; null when not reached. */
  readonly destroySeconds: number | null;
  /** Resources destroy deleted. */
  readonly resourcesDeleted: number | null;
  /** The first operation that failed and why; undefined when all three succeeded. */
  readonly error?: string;
}

export interface ServiceScaleResults {
  /** Render and the program under mocks, per service count, plus the stack-file references. */
  readonly programs: readonly ServiceProgramRow[];
  /** preview, up and destroy through the real engine, per service count. */
  readonly engine: readonly ServiceEngineRow[];
  /** Wall time to start the control plane and create the existing world (namespaces, CRDs, the services' ConfigMaps), seconds; null without engine counts. */
  readonly worldSeconds: number | null;
  /** ConfigMaps the existing world created for the services (the largest engine count's). */
  readonly existingConfigMaps: number;
  /** Which plugin served each provider the Go module proxy refuses (a real one on PATH, or its stand-in). */
  readonly providerNotes: readonly string[];
  /** How the figures were made, for the report. */
  readonly notes: readonly string[];
}

export interface ServiceScaleOptions {
  readonly renderCounts: readonly number[];
  readonly engineCounts: readonly number[];
}

const SCRIPT = path.join(__dirname, "servicesProgram.ts");
const REFERENCE_MOCKS = path.join(projectDir, "bench", "program", "underMocks.ts");
const REFERENCE_RENDER = path.join(projectDir, "scripts", "render.ts");
const CHILD_TIMEOUT_MS = 180_000;
/** The engine tier runs dev and review stacks in sqlite mode: no PostgreSQL provider is involved. */
const ENGINE_VALUES = { databaseMode: "sqlite" } as const;

/** The figures a child printed on its JSON line, as one phrase. */
export function programDetail(command: ServiceProgramCommand, lines: readonly string[]): string {
  const json = lines.find((l) => l.startsWith("{"));
  if (json === undefined) {
    const rendered = lines.find((l) => l.startsWith("rendered "));
    return rendered ?? "no figures printed";
  }
  const figures = JSON.parse(json) as { files?: number; resources?: number; inProcessMs?: number };
  return command === "render" ? `${figures.files} files rendered` : `${figures.resources} resources registered; ${Math.round(figures.inProcessMs ?? 0)} ms after module load`;
}

async function programRow(
  supervisor: Supervisor,
  row: Pick<ServiceProgramRow, "services" | "command" | "configuration">,
  script: string,
  args: readonly string[],
  scratchDir: string,
): Promise<ServiceProgramRow> {
  const lines: string[] = [];
  const name = `${row.command} (${row.services} services, ${row.configuration})`;
  const run = await runMeasured(supervisor, { name, script, args, cwd: projectDir, timeoutMs: CHILD_TIMEOUT_MS, scratchDir, onLine: (l) => lines.push(l) });
  return {
    ...row,
    seconds: run.seconds,
    peakRssMiB: run.peakRssMiB ?? null,
    exitCode: run.exitCode,
    detail: run.exitCode === 0 ? programDetail(row.command, lines) : `failed (${run.failure})`,
    commandLine: run.commandLine,
  };
}

async function measurePrograms(supervisor: Supervisor, counts: readonly number[], log: (line: string) => void): Promise<ServiceProgramRow[]> {
  const scratch = supervisor.tempDir("bench-services");
  const rows: ServiceProgramRow[] = [];
  const add = (row: ServiceProgramRow) => {
    log(formatProgramRow(row));
    rows.push(row);
  };
  // The repository's own commands on dev's stack file: what the generated rows compare with.
  const stackServices = stackSettings(0).services.targets.length;
  const stackFile = { services: stackServices, configuration: "stack file" } as const;
  add(await programRow(supervisor, { ...stackFile, command: "render" }, REFERENCE_RENDER, ["--stack", SERVICES_BASE_STACK, "--out", path.join(scratch, "render-reference")], scratch));
  add(await programRow(supervisor, { ...stackFile, command: "mocks" }, REFERENCE_MOCKS, [SERVICES_BASE_STACK], scratch));
  for (const services of counts) {
    const generated = { services, configuration: "generated" } as const;
    add(await programRow(supervisor, { ...generated, command: "render" }, SCRIPT, ["render", String(services), path.join(scratch, `render-${services}`)], scratch));
    add(await programRow(supervisor, { ...generated, command: "mocks" }, SCRIPT, ["mocks", String(services)], scratch));
  }
  return rows;
}

/** dev's settings as the engine deploys them (sqlite), with `count` generated services; 0 keeps the file's own. */
function stackSettings(count: number): Settings {
  return readStack(SERVICES_BASE_STACK, { values: count === 0 ? ENGINE_VALUES : { ...ENGINE_VALUES, services: serviceEntries(count) } }).settings;
}

/** Values for the stack file's `secure:` keys; none reaches a real service in these rows (kwok runs no pods). */
function measurementSecrets(): Record<string, string> {
  return { gitCredential: randomBytes(12).toString("hex"), postgresAdminPassword: "", grafanaToken: "" };
}

async function engineRow(world: LocalWorld, services: number, log: (line: string) => void): Promise<ServiceEngineRow> {
  const config = readStack(SERVICES_BASE_STACK, { values: { ...ENGINE_VALUES, services: serviceEntries(services) } }).engineConfig(measurementSecrets());
  const row: { -readonly [K in keyof ServiceEngineRow]: ServiceEngineRow[K] } = {
    services,
    previewSeconds: null,
    previewCreates: null,
    upSeconds: null,
    resourcesCreated: null,
    destroySeconds: null,
    resourcesDeleted: null,
  };
  const timed = async (op: "preview" | "up" | "destroy") => {
    const started = performance.now();
    const result = await world.engine.run(op, SERVICES_BASE_STACK, config);
    const seconds = (performance.now() - started) / 1000;
    log(`services: engine ${op} (${services} services): ${seconds.toFixed(1)} s${result.ok ? "" : ` FAILED: ${result.error?.split("\n")[0]}`}`);
    if (!result.ok && row.error === undefined) row.error = `${op}: ${result.error ?? "failed"}`.slice(0, 500);
    return { result, seconds };
  };
  try {
    const preview = await timed("preview");
    row.previewSeconds = preview.seconds;
    row.previewCreates = preview.result.changeSummary.create ?? 0;
    if (!preview.result.ok) return row;
    try {
      const up = await timed("up");
      row.upSeconds = up.seconds;
      row.resourcesCreated = up.result.changeSummary.create ?? 0;
    } finally {
      // Destroy also after a failed up: the next count starts from an empty stack.
      const destroy = await timed("destroy");
      row.destroySeconds = destroy.seconds;
      row.resourcesDeleted = destroy.result.changeSummary.delete ?? 0;
    }
  } catch (error) {
    row.error ??= error instanceof Error ? error.message.slice(0, 500) : String(error);
  }
  return row;
}

async function measureEngine(tools: ToolchainPaths, counts: readonly number[], log: (line: string) => void) {
  // A Supervisor of its own: stopping the control plane must not stop the caller's processes.
  const supervisor = new Supervisor();
  try {
    const started = performance.now();
    const largest = stackSettings(Math.max(...counts));
    const world = await startLocalWorld({ supervisor, paths: tools, stacks: [largest] });
    const worldSeconds = (performance.now() - started) / 1000;
    log(`services: control plane and existing world (${world.existing.configMaps.length} service ConfigMaps owned by helm): ${worldSeconds.toFixed(1)} s`);
    world.engine.providerNotes.forEach((note) => log(`services: ${note}`));
    const rows: ServiceEngineRow[] = [];
    for (const services of counts) rows.push(await engineRow(world, services, log));
    return { rows, worldSeconds, existingConfigMaps: world.existing.configMaps.length, providerNotes: world.engine.providerNotes };
  } finally {
    await supervisor.stopAll();
  }
}

/** A row's figures, as the bench table shows them beside the command and service count. */
export function programFigures(row: ServiceProgramRow): string {
  const rss = row.peakRssMiB === null ? "no peak RSS" : `${row.peakRssMiB.toFixed(0)} MiB peak RSS`;
  return `(${row.configuration}): ${row.seconds.toFixed(2)} s, ${rss}, exit ${row.exitCode}; ${row.detail}`;
}

export function formatProgramRow(row: ServiceProgramRow): string {
  return `services: ${row.command} ${row.services} services ${programFigures(row)}`;
}

export async function measureServiceScale(
  supervisor: Supervisor,
  tools: ToolchainPaths,
  options: ServiceScaleOptions,
  log: (line: string) => void,
): Promise<ServiceScaleResults> {
  const programs = await measurePrograms(supervisor, options.renderCounts, log);
  const engine = options.engineCounts.length === 0 ? undefined : await measureEngine(tools, options.engineCounts, log);
  return {
    programs,
    engine: engine?.rows ?? [],
    worldSeconds: engine?.worldSeconds ?? null,
    existingConfigMaps: engine?.existingConfigMaps ?? 0,
    providerNotes: engine?.providerNotes ?? [],
    notes: [
      `generated services: dev's configuration with its services replaced (${serviceEntries(1)[0]}, …), each in a namespace of its own, each a ConfigMap patch`,
      "render and mocks: one child process each (node with tsx's loader); the stack-file rows are the repository's own scripts/render.ts and bench/program/underMocks.ts on Pulumi.dev.yaml",
      "engine: dev in sqlite mode, as the engine tier runs it, so no PostgreSQL provider is involved; the bootstrap token's RandomPassword is served by the random provider's stand-in (see providerNotes); kwok simulates the node",
      "engine seconds: wall time of one operation process each (node start, index.ts, the Pulumi CLI and the Kubernetes provider), on one control plane shared by every count; destroy after each up",
    ],
  };
}
