/**
 * Drift: live resources that no longer match what the stack last deployed, as
 * `pulumi refresh --preview-only --expect-no-changes --json` reports them. The scheduled drift
 * workflow (.github/workflows/drift.yml, through `npm run drift`) and the engine tier's drift
 * scenario run the same command (driftCommand) and read its output with the same functions here.
 *
 * Why refresh --preview-only and not `preview --refresh`: the refresh compares each resource's
 * inputs in the state with the live object at the same paths, so its steps name the resource and
 * the field (`spec.replicas`, `data.FLIPT_URL`) and nothing else; `preview --refresh` also runs the
 * program and previews an update, which stops at a server-side apply conflict when `kubectl scale`
 * or `kubectl edit` took the field over (measured: docs/operating.md#drift).
 */
import { plural } from "../lib/text";

/** The CLI arguments, before `--stack`: exit non-zero when any resource drifted, JSON on stdout. */
export const DRIFT_COMMAND: readonly string[] = ["refresh", "--preview-only", "--expect-no-changes", "--json", "--non-interactive"];

export function driftCommand(stack: string): string[] {
  return [...DRIFT_COMMAND, "--stack", stack];
}

/** The CLI's refresh steps that are not drift: the resource read back as the state has it. */
const UNCHANGED_OPS = new Set(["same", "refresh", "read"]);
/** Longest value shown in a report; the rest is cut with an ellipsis. */
const MAX_VALUE_CHARS = 120;

export interface DriftedField {
  /** The property path as the CLI names it: `spec.replicas`, `data.FLIPT_URL`, `metadata.annotations["a/b"]`. */
  readonly path: string;
  /** `update`, `add` or `delete` (the CLI's kinds, without `-replace`). */
  readonly kind: string;
  /** The value the stack deployed and the live one, as the CLI prints them (secrets stay `[secret]`). */
  readonly deployed?: string;
  readonly live?: string;
}

export interface DriftedResource {
  /** The refresh step: `update` (changed live) or `delete` (gone from the cluster). */
  readonly op: string;
  /** Pulumi type and resource name (the URN's last part). */
  readonly type: string;
  readonly name: string;
  /** The provider's ID: `<namespace>/<name>` for a namespaced Kubernetes object. */
  readonly id?: string;
  readonly fields: readonly DriftedField[];
}

/** One run of the CLI. */
export interface CommandRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export type DriftVerdict =
  | { readonly kind: "clean" }
  | { readonly kind: "drift"; readonly resources: readonly DriftedResource[] }
  | { readonly kind: "failed"; readonly reason: string };

interface StepState {
  readonly type?: string;
  readonly id?: string;
  readonly inputs?: Record<string, unknown>;
}

interface RefreshStep {
  readonly op: string;
  readonly urn: string;
  readonly oldState?: StepState;
  readonly newState?: StepState;
  readonly detailedDiff?: Record<string, { kind: string }> | null;
}

interface RefreshPreview {
  readonly steps?: readonly RefreshStep[];
  readonly diagnostics?: readonly { message: string; severity: string }[];
}

/** `spec.template.spec.containers[0].image`, `metadata.annotations["checksum/config"]` → its keys. */
export function propertyPath(path: string): (string | number)[] {
  const keys: (string | number)[] = [];
  const token = /([^.[\]"]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/g;
  for (const match of path.matchAll(token)) {
    if (match[1] !== undefined) keys.push(match[1]);
    else if (match[2] !== undefined) keys.push(Number(match[2]));
    else keys.push(JSON.parse(`"${match[3]}"`) as string);
  }
  return keys;
}

function valueAt(object: unknown, path: string): unknown {
  let node = object;
  for (const key of propertyPath(path)) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

function shown(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

function urnName(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}

function urnType(urn: string): string {
  return urn.split("::")[2]?.split("$").pop() ?? "";
}

function driftedResource(step: RefreshStep): DriftedResource {
  const fields = Object.entries(step.detailedDiff ?? {}).map(([path, diff]) => ({
    path,
    kind: diff.kind.replace(/-replace$/, ""),
    deployed: shown(valueAt(step.oldState?.inputs, path)),
    live: shown(valueAt(step.newState?.inputs, path)),
  }));
  return {
    op: step.op,
    type: step.oldState?.type ?? step.newState?.type ?? urnType(step.urn),
    name: urnName(step.urn),
    id: step.oldState?.id ?? step.newState?.id,
    fields,
  };
}

/** The JSON document the CLI prints with `--json`: what it holds from its first `{`, or undefined. */
function parsePreview(stdout: string): RefreshPreview | undefined {
  const start = stdout.indexOf("{");
  if (start < 0) return undefined;
  try {
    return JSON.parse(stdout.slice(start)) as RefreshPreview;
  } catch {
    return undefined;
  }
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The drifted resources in `refresh --preview-only --json` output, none on a clean stack; sorted
 * (the CLI refreshes in parallel, in no fixed order), so the same drift always reads the same.
 */
export function driftedResources(stdout: string): DriftedResource[] {
  const preview = parsePreview(stdout);
  if (!preview) throw new Error("the CLI's output holds no JSON document");
  return (preview.steps ?? [])
    .filter((step) => !UNCHANGED_OPS.has(step.op))
    .map(driftedResource)
    .map((r) => ({ ...r, fields: [...r.fields].sort((a, b) => byText(a.path, b.path)) }))
    .sort((a, b) => byText(`${a.type} ${a.id} ${a.name}`, `${b.type} ${b.id} ${b.name}`));
}

/** The CLI's own error lines (stderr, and error diagnostics in the JSON), for a run that failed. */
function errorLines(run: CommandRun): string {
  const fromJson = (parsePreview(run.stdout)?.diagnostics ?? []).filter((d) => d.severity === "error").map((d) => d.message.trim());
  const fromStderr = run.stderr.split("\n").filter((line) => /error/i.test(line));
  const lines = [...new Set([...fromJson, ...fromStderr].filter(Boolean))];
  return lines.length > 0 ? lines.join("\n") : run.stderr.trim().split("\n").slice(-10).join("\n") || `exit ${run.status}`;
}

/**
 * Clean (exit 0 and no drifted step), drift (drifted steps: `--expect-no-changes` made the CLI exit
 * non-zero) or failed (any other non-zero exit, or output that is not the CLI's JSON): a failed
 * run is never taken for a clean stack.
 */
export function driftVerdict(run: CommandRun): DriftVerdict {
  let resources: DriftedResource[];
  try {
    resources = driftedResources(run.stdout);
  } catch {
    return { kind: "failed", reason: `no JSON from the CLI (exit ${run.status}): ${errorLines(run)}` };
  }
  if (resources.length > 0) return { kind: "drift", resources };
  if (run.status === 0) return { kind: "clean" };
  return { kind: "failed", reason: `exit ${run.status} without a drifted resource: ${errorLines(run)}` };
}

/** `Deployment flipt-dev/flipt`: the type's kind and the provider's ID, as `kubectl` names the object. */
export function resourceLabel(resource: DriftedResource): string {
  return `${resource.type.split(":").pop()} ${resource.id ?? resource.name}`;
}

/** One line per drifted field (or resource), for the job's log and a person at a terminal. */
export function driftLines(resources: readonly DriftedResource[]): string[] {
  return resources.flatMap((resource) => {
    const label = `${resourceLabel(resource)} (${resource.type} ${resource.name})`;
    if (resource.op === "delete") return [`${label}: gone from the cluster`];
    if (resource.fields.length === 0) return [`${label}: ${resource.op}`];
    return resource.fields.map((f) => `${label}: ${f.path} ${f.deployed ?? "(unset)"} → ${f.live ?? "(unset)"}`);
  });
}

/** The title that marks a stack's drift issue: the workflow finds the open one by it (and the label). */
export function driftIssueTitle(stack: string): string {
  return `Drift in stack ${stack}`;
}

function cell(value: string | undefined): string {
  if (value === undefined) return "(unset)";
  const flat = value.replace(/\r?\n/g, " ").replace(/\|/g, "\\|");
  return flat.includes("`") ? flat : `\`${flat}\``;
}

/**
 * The issue's body: what drifted, field by field, and what to do. It holds no date or run, so an
 * unchanged drift gives the same body and the workflow leaves the issue alone.
 */
export function driftIssueBody(stack: string, resources: readonly DriftedResource[], docsLink = "docs/operating.md#drift"): string {
  const rows = resources.flatMap((r) => {
    const resource = `${cell(resourceLabel(r))} (${cell(r.name)})`;
    if (r.op === "delete") return [`| ${resource} | (the whole object) | exists | gone |`];
    if (r.fields.length === 0) return [`| ${resource} | (${r.op}) | | |`];
    return r.fields.map((f) => `| ${resource} | ${cell(f.path)} | ${cell(f.deployed)} | ${cell(f.live)} |`);
  });
  return [
    `\`pulumi ${driftCommand(stack).join(" ")}\` finds ${plural(resources.length, "resource")} of stack \`${stack}\` changed outside Pulumi:`,
    "",
    "| Resource (Pulumi name) | Field | Deployed | Live |",
    "| --- | --- | --- | --- |",
    ...rows,
    "",
    `What to do: revert it (\`PULUMI_K8S_ENABLE_PATCH_FORCE=true pulumi up --refresh --stack ${stack}\`, after the same \`preview\`), or adopt it into \`Pulumi.${stack}.yaml\`: [Drift](${docsLink}).`,
    "The daily drift workflow updates this issue while the drift lasts; close it once the stack is clean.",
    "",
  ].join("\n");
}
