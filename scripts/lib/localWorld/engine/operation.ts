/**
 * One Pulumi operation on one stack through the Automation API, in a process of its own:
 * `tsx scripts/lib/localWorld/engine/operation.ts <request.json> <result.json>`.
 *
 * The program is the repository's index.ts, imported by an inline program: the Pulumi CLI talks
 * to @pulumi/pulumi's in-process language server (`--client`), because no pulumi-language-nodejs
 * can be had here. A process per operation runs index.ts afresh each time, as `pulumi up` would.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigMap, EngineEvent, LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { projectDir } from "../../../../settings/schema";

/** `refresh-preview` is `pulumi refresh --preview-only`: the drift between the state and the live objects. */
export type OperationKind = "preview" | "up" | "destroy" | "refresh" | "refresh-preview";

export interface OperationRequest {
  readonly op: OperationKind;
  readonly stack: string;
  /** Holds Pulumi.yaml; the stack's Pulumi.<stack>.yaml is written here by the caller. */
  readonly workDir: string;
  /** Secret config values to set (encrypted with the passphrase provider) before the operation. */
  readonly secrets: ConfigMap;
  /** `pulumi preview --diff`: the detailed diff a PR comment carries. */
  readonly diff?: boolean;
  /** `--refresh` (up and preview): read the live state first; in `up`, drift made by hand is put back. */
  readonly refresh?: boolean;
  /** `--expect-no-changes` (preview, refresh-preview): the CLI fails when there is anything to change. */
  readonly expectNoChanges?: boolean;
  /** What this process writes on stdout while the operation runs (default "cli"). */
  readonly progress?: Progress;
}

/**
 * The progress written while an operation runs: "cli" is the CLI's own text, as `pulumi up` prints
 * it into a log (with `diff`, the whole detailed diff); "steps" is one line per resource step, as
 * the CLI's interactive display shows it, and each warning once (errors are the caller's to say).
 */
export type Progress = "cli" | "steps";

/** What the resource steps of an operation touched. */
export interface StepRecord {
  readonly op: string;
  readonly urn: string;
  readonly type: string;
  /** Kubernetes kind, name and namespace from the step's inputs, when it is a Kubernetes object. */
  readonly kind?: string;
  readonly name?: string;
  readonly namespace?: string;
  readonly diffs: readonly string[];
  readonly replaces: readonly string[];
}

export interface OperationResult {
  readonly ok: boolean;
  readonly error?: string;
  readonly stdout: string;
  readonly stderr: string;
  readonly changeSummary: Record<string, number>;
  readonly outputs: Record<string, { value: unknown; secret: boolean }>;
  readonly steps: readonly StepRecord[];
  readonly diagnostics: readonly { severity: string; message: string }[];
  readonly seconds: number;
  /** The operation was cancelled (SIGINT/SIGTERM to this process): the CLI stopped at a safe point. */
  readonly cancelled?: boolean;
}

const INDEX = path.join(projectDir, "index.ts");

async function program(): Promise<Record<string, unknown>> {
  const exported = (await import(INDEX)) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(exported).filter(([key, value]) => key !== "default" && value !== undefined));
}

function stepOf(event: EngineEvent): StepRecord | undefined {
  const metadata = event.resourcePreEvent?.metadata;
  if (!metadata || metadata.op === "same" || metadata.op === "read") return undefined;
  const inputs = (metadata.new ?? metadata.old)?.inputs as { kind?: string; metadata?: { name?: string; namespace?: string } } | undefined;
  return {
    op: metadata.op,
    urn: metadata.urn,
    type: metadata.type,
    kind: inputs?.kind,
    name: inputs?.metadata?.name,
    namespace: inputs?.metadata?.namespace,
    diffs: metadata.diffs ?? [],
    replaces: metadata.keys ?? [],
  };
}

/** The CLI's symbol and words for each step op: `+ … create` in a preview, `+ … created (0.4s)` when done. */
const STEP_WORDS: Record<string, { symbol: string; doing: string; done: string }> = {
  create: { symbol: "+", doing: "creating", done: "created" },
  update: { symbol: "~", doing: "updating", done: "updated" },
  delete: { symbol: "-", doing: "deleting", done: "deleted" },
  replace: { symbol: "+-", doing: "replacing", done: "replaced" },
  "create-replacement": { symbol: "++", doing: "creating replacement", done: "created replacement" },
  "delete-replaced": { symbol: "--", doing: "deleting original", done: "deleted original" },
  read: { symbol: ">", doing: "reading", done: "read" },
  "read-replacement": { symbol: ">>", doing: "reading for replacement", done: "read for replacement" },
  refresh: { symbol: "~", doing: "refreshing", done: "refreshed" },
  discard: { symbol: "<", doing: "discarding", done: "discarded" },
  "discard-replaced": { symbol: "<<", doing: "discarding original", done: "discarded original" },
  "remove-pending-replace": { symbol: "-", doing: "removing pending replace", done: "removed pending replace" },
  import: { symbol: "=", doing: "importing", done: "imported" },
  "import-replacement": { symbol: "=>", doing: "importing replacement", done: "imported replacement" },
};

/** The resource name of a URN (`urn:pulumi:<stack>::<project>::<type>::<name>`). */
export function urnName(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}

/**
 * The "steps" progress: the lines each engine event adds. A preview (`planning`) says each step
 * as it is planned (`+ kubernetes:core/v1:Namespace flipt-dev create`); an operation that changes
 * things says each step when it is done, with its time, or that it failed. Unchanged resources
 * and the providers' ephemeral status messages are left out, as the CLI's summary leaves them.
 */
export class StepProgress {
  private readonly startedAt = new Map<string, number>();
  private readonly warned = new Set<string>();

  constructor(
    private readonly planning: boolean,
    private readonly now: () => number = Date.now,
  ) {}

  lines(event: EngineEvent): string[] {
    const pre = event.resourcePreEvent?.metadata;
    if (pre) {
      if (pre.op === "same") return [];
      if (this.planning) return [this.line(pre, () => pre.op)];
      this.startedAt.set(`${pre.op} ${pre.urn}`, this.now());
      return [];
    }
    const done = event.resOutputsEvent?.metadata;
    if (done) {
      if (done.op === "same" || this.planning) return [];
      const started = this.startedAt.get(`${done.op} ${done.urn}`);
      const took = started === undefined ? "" : ` (${((this.now() - started) / 1000).toFixed(1)}s)`;
      return [this.line(done, (w) => `${w.done}${took}`)];
    }
    const failed = event.resOpFailedEvent?.metadata;
    if (failed) return [this.line(failed, (w) => `${w.doing} failed`)];
    const diagnostic = event.diagnosticEvent;
    if (diagnostic?.severity === "warning" && !diagnostic.ephemeral) {
      const message = diagnostic.message.trim();
      const where = diagnostic.urn ? ` (${diagnostic.urn.split("::")[2]?.split("$").pop()} ${urnName(diagnostic.urn)})` : "";
      const text = `warning${where}: ${message}`;
      if (message === "" || this.warned.has(text)) return [];
      this.warned.add(text);
      return text.split("\n").map((line, i) => (i === 0 ? line : `  ${line}`));
    }
    return [];
  }

  private line(step: { op: string; urn: string; type: string }, words: (w: { symbol: string; doing: string; done: string }) => string): string {
    const w = STEP_WORDS[step.op] ?? { symbol: "?", doing: step.op, done: step.op };
    return `${w.symbol} ${step.type} ${urnName(step.urn)} ${words(w)}`;
  }
}

/** SIGINT/SIGTERM to this process cancel the operation: the CLI gets SIGINT, finishes its in-flight steps and saves the state. */
function cancellation(): AbortController {
  const controller = new AbortController();
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => controller.abort());
  return controller;
}

async function run(request: OperationRequest): Promise<OperationResult> {
  const started = Date.now();
  const steps: StepRecord[] = [];
  const diagnostics: { severity: string; message: string }[] = [];
  const display = request.progress === "steps" ? new StepProgress(request.op === "preview" || request.op === "refresh-preview") : undefined;
  const onEvent = (event: EngineEvent) => {
    const step = stepOf(event);
    if (step) steps.push(step);
    if (event.diagnosticEvent) diagnostics.push({ severity: event.diagnosticEvent.severity, message: event.diagnosticEvent.message });
    for (const line of display?.lines(event) ?? []) process.stdout.write(`${line}\n`);
  };
  const controller = cancellation();
  // For whoever watches this process: the engine's own progress lines, as `pulumi up` prints them, or one line per step.
  const onOutput = display ? undefined : (out: string) => void process.stdout.write(out);
  const common = { onEvent, onOutput, color: "never" as const, signal: controller.signal };
  const result = (partial: Partial<OperationResult>): OperationResult => ({
    ok: false,
    stdout: "",
    stderr: "",
    changeSummary: {},
    outputs: {},
    steps,
    diagnostics,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    cancelled: controller.signal.aborted,
    ...partial,
  });
  try {
    const stack: Stack = await LocalWorkspace.createOrSelectStack(
      { stackName: request.stack, projectName: "flipt-deploy", program },
      { workDir: request.workDir, secretsProvider: "passphrase" },
    );
    if (Object.keys(request.secrets).length > 0) await stack.setAllConfig(request.secrets);
    switch (request.op) {
      case "preview": {
        const preview = await stack.preview({ ...common, diff: request.diff, refresh: request.refresh, expectNoChanges: request.expectNoChanges });
        return result({ ok: true, stdout: preview.stdout, stderr: preview.stderr, changeSummary: preview.changeSummary });
      }
      case "refresh-preview": {
        const preview = await stack.previewRefresh({ ...common, expectNoChanges: request.expectNoChanges });
        return result({ ok: true, stdout: preview.stdout, stderr: preview.stderr, changeSummary: preview.changeSummary });
      }
      case "up": {
        const up = await stack.up({ ...common, diff: request.diff, refresh: request.refresh });
        return result({ ok: true, stdout: up.stdout, stderr: up.stderr, changeSummary: { ...up.summary.resourceChanges }, outputs: up.outputs });
      }
      case "refresh": {
        const refresh = await stack.refresh({ ...common });
        return result({ ok: true, stdout: refresh.stdout, stderr: refresh.stderr, changeSummary: { ...refresh.summary.resourceChanges } });
      }
      case "destroy": {
        const destroy = await stack.destroy({ ...common });
        return result({ ok: true, stdout: destroy.stdout, stderr: destroy.stderr, changeSummary: { ...destroy.summary.resourceChanges } });
      }
    }
  } catch (error) {
    // A CommandError carries the CLI's own output; anything else (a bug here) its message.
    const command = (error as { commandResult?: { stdout: string; stderr: string } }).commandResult;
    return result({ error: error instanceof Error ? error.message : String(error), stdout: command?.stdout ?? "", stderr: command?.stderr ?? "" });
  }
}

async function main(): Promise<void> {
  const [requestFile, resultFile] = process.argv.slice(2);
  const request = JSON.parse(fs.readFileSync(requestFile, "utf8")) as OperationRequest;
  fs.writeFileSync(resultFile, JSON.stringify(await run(request), null, 2));
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(2);
    },
  );
}
