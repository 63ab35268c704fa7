/**
 * One Pulumi operation on one stack through the Automation API, in a process of its own:
 * `tsx scripts/lib/engine/operation.ts <request.json> <result.json>`.
 *
 * The program is the repository's index.ts, imported by an inline program: the Pulumi CLI talks
 * to @pulumi/pulumi's in-process language server (`--client`), because no pulumi-language-nodejs
 * can be had here. A process per operation runs index.ts afresh each time, as `pulumi up` would.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigMap, EngineEvent, LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { projectDir } from "../../../settings/schema";

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
  /** `pulumi up --refresh`: read the live state first, so drift made by hand is put back. */
  readonly refresh?: boolean;
}

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
  const onEvent = (event: EngineEvent) => {
    const step = stepOf(event);
    if (step) steps.push(step);
    if (event.diagnosticEvent) diagnostics.push({ severity: event.diagnosticEvent.severity, message: event.diagnosticEvent.message });
  };
  const controller = cancellation();
  // The engine's own progress lines, as `pulumi up` prints them, for whoever watches this process.
  const common = { onEvent, onOutput: (out: string) => process.stdout.write(out), color: "never" as const, signal: controller.signal };
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
        const preview = await stack.preview({ ...common, diff: request.diff });
        return result({ ok: true, stdout: preview.stdout, stderr: preview.stderr, changeSummary: preview.changeSummary });
      }
      case "refresh-preview": {
        const preview = await stack.previewRefresh({ ...common });
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
