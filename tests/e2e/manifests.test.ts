/**
 * Scenario 7, manifests are valid and hardened: every object `render` writes, for every stack and
 * a review stack, validates against Kubernetes' own schemas in strict mode (kubernetes-validate);
 * the Prometheus Operator objects validate against the operator's CRD models
 * (@kubernetes-models/prometheus-operator: its validate() for types, required fields, patterns
 * and enums; the TypeScript compiler's excess-property check for unknown fields, which an API
 * server with strict field validation rejects); and checkov reports no finding that the table of
 * docs/security.md ("Security scanner findings") does not accept.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { PrometheusRule, ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import * as yaml from "js-yaml";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ObjectSpec } from "../../builders/kubernetes";
import { renderStack } from "../../scripts/lib/renderedStack";
import { toolchainPaths } from "../../scripts/toolchain/paths";
import { projectDir } from "../../settings/schema";
import { listStacks } from "../../settings/stackFiles";
import { figure } from "./harness/summary";

const STACKS = [...listStacks(), "pr-1"];
/** The oldest Kubernetes minor the manifests must apply to; the newest is kubernetes-validate's own (KUBERNETES_VALIDATE_VERSION). */
const OLDEST_KUBERNETES = "1.30";
const OPERATOR_API_VERSION = "monitoring.coreos.com/v1";
// Cast: the project's node10 module resolution cannot see @kubernetes-models/base (exports only), where validate() is declared.
const OPERATOR_MODELS = { ServiceMonitor, PrometheusRule } as unknown as Record<string, new (data: unknown) => { validate(): void }>;
/** The document whose table accepts checkov findings, relative to the repository. */
const FINDINGS_DOC = "docs/security.md";
const FINDINGS_HEADING = "# Security scanner findings";
const FINDINGS_COLUMNS = ["Check", "Objects", "Why it is accepted"];

const tools = toolchainPaths();
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "flipt-manifests-"));
/** checkov scans this directory: one subdirectory per stack. */
const renderRoot = path.join(workDir, "rendered");

interface RenderedObject {
  readonly file: string;
  readonly path: string;
  readonly object: ObjectSpec;
}

function renderInto(stack: string): RenderedObject[] {
  const dir = path.join(renderRoot, stack);
  fs.mkdirSync(dir, { recursive: true });
  const objects: RenderedObject[] = [];
  for (const { file, content } of renderStack(stack)) {
    fs.writeFileSync(path.join(dir, file), content);
    // Render also writes the dashboard model of Grafana API mode (JSON), which is no Kubernetes object.
    if (file.endsWith(".yaml")) objects.push({ file, path: path.join(dir, file), object: yaml.load(content) as ObjectSpec });
  }
  return objects;
}

function requireTool(bin: string): string {
  if (!fs.existsSync(bin)) throw new Error(`${bin} is missing: run scripts/toolchain/setup.sh (npm run test:e2e does)`);
  return bin;
}

// --- Kubernetes schemas ------------------------------------------------------

/** Every problem kubernetes-validate reports, and each file it did not report as passed (an unknown kind is only a warning to it). */
function kubernetesSchemaProblems(files: readonly string[], version?: string): string[] {
  const args = ["--strict", ...(version ? ["--kubernetes-version", version] : []), ...files];
  const run = spawnSync(requireTool(tools.kubernetesValidateBin), args, { encoding: "utf8" });
  if (run.error) throw run.error;
  const lines = run.stdout.split("\n").filter((line) => line !== "");
  const passed = new Set(lines.filter((line) => / passed for resource /.test(line)).map((line) => line.split(" ")[1]));
  const problems = lines.filter((line) => !line.startsWith("INFO "));
  const unreported = files.filter((file) => !passed.has(file));
  if (unreported.length > 0) problems.push(`not reported as passed: ${unreported.join(", ")} ${run.stderr.trim()}`);
  return problems;
}

// --- Prometheus Operator CRDs ------------------------------------------------

function isOperatorObject(object: ObjectSpec): boolean {
  return object.apiVersion.startsWith("monitoring.coreos.com/");
}

/** The package's own validator: types, required fields, the operator's patterns (durations…) and enums. */
function operatorSchemaProblem({ file, object }: RenderedObject): string | undefined {
  const Model = OPERATOR_MODELS[object.kind];
  if (object.apiVersion !== OPERATOR_API_VERSION || !Model) return `${file}: no CRD model for ${object.apiVersion} ${object.kind}`;
  try {
    new Model(object).validate();
    return undefined;
  } catch (err) {
    return `${file}: ${(err as Error).message}`;
  }
}

const operatorTypes = path.join(
  path.dirname(createRequire(path.join(projectDir, "package.json")).resolve("@kubernetes-models/prometheus-operator/package.json")),
  "monitoring.coreos.com/v1",
);
let previousProgram: ts.Program | undefined;

/** Unknown fields, which validate() lets through: each object as a literal of the package's interface, type-checked. */
function operatorUnknownFields(objects: readonly RenderedObject[]): string[] {
  const dir = fs.mkdtempSync(path.join(workDir, "crd-types-"));
  const sources = objects.map(({ file, object }) => {
    const source = path.join(dir, `${file}.ts`);
    const declaration = `export const object: I${object.kind} = ${JSON.stringify(object, null, 2)};`;
    fs.writeFileSync(source, `import type { I${object.kind} } from ${JSON.stringify(operatorTypes)};\n${declaration}\n`);
    return source;
  });
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    target: ts.ScriptTarget.ES2022,
    // The packages declare their types through `exports` only.
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
  };
  previousProgram = ts.createProgram(sources, options, undefined, previousProgram);
  return ts
    .getPreEmitDiagnostics(previousProgram)
    .map((d) => `${path.basename(d.file?.fileName ?? "", ".ts")}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`);
}

// --- Security scanner --------------------------------------------------------

/** One failed check on one object (`Kind/name`) of one stack. */
interface Finding {
  readonly check: string;
  readonly checkName: string;
  readonly object: string;
  readonly stack: string;
}

interface ScanResult {
  readonly findings: Finding[];
  readonly seconds: number;
  readonly passed: number;
  readonly resources: number;
  readonly parsingErrors: number;
}

interface CheckovReport {
  readonly summary: { passed: number; resource_count: number; parsing_errors: number };
  readonly results: { failed_checks: { check_id: string; check_name: string; resource: string; file_path: string }[] };
}

/** checkov's Kubernetes checks over every stack's objects at once; its resource ids are `Kind.namespace.name`. */
function checkovScan(root: string): ScanResult {
  const args = ["--directory", root, "--framework", "kubernetes", "--output", "json", "--quiet", "--compact", "--soft-fail", "--skip-download"];
  const started = Date.now();
  const run = spawnSync(requireTool(tools.checkovBin), args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (run.error) throw run.error;
  if (run.status !== 0) throw new Error(`checkov exited ${run.status}: ${run.stderr}`);
  const reports = [JSON.parse(run.stdout) as CheckovReport | CheckovReport[]].flat();
  const findings = reports.flatMap((report) =>
    report.results.failed_checks.map((failed) => {
      const [kind, , ...name] = failed.resource.split(".");
      const stack = failed.file_path.split("/").filter((part) => part !== "")[0];
      return { check: failed.check_id, checkName: failed.check_name, object: `${kind}/${name.join(".")}`, stack };
    }),
  );
  const total = (key: keyof CheckovReport["summary"]) => reports.reduce((sum, report) => sum + report.summary[key], 0);
  return {
    findings,
    seconds: (Date.now() - started) / 1000,
    passed: total("passed"),
    resources: total("resource_count"),
    parsingErrors: total("parsing_errors"),
  };
}

interface Justification {
  readonly check: string;
  readonly objects: readonly string[];
  readonly why: string;
}

/** FINDINGS_DOC's table: `| Check | Objects | Why it is accepted |`, a check id and `Kind/name`s per row. */
function documentedJustifications(doc: string): Justification[] {
  const lines = doc.split("\n");
  const start = lines.indexOf(FINDINGS_HEADING);
  if (start < 0) throw new Error(`${FINDINGS_DOC} has no "${FINDINGS_HEADING}" section`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith("#") || (rows.length > 0 && !line.startsWith("|"))) break;
    if (line.startsWith("|")) rows.push(line.split("|").slice(1, -1).map((cell) => cell.trim()));
  }
  const [header = [], , ...body] = rows;
  if (header.join("|") !== FINDINGS_COLUMNS.join("|")) {
    throw new Error(`${FINDINGS_DOC}: the table under "${FINDINGS_HEADING}" needs the columns ${FINDINGS_COLUMNS.join(" | ")}; found ${header.join(" | ")}`);
  }
  return body.map(([check, objects, why]) => ({
    check: /\bCKV2?_[A-Z0-9]+_\d+\b/.exec(check)?.[0] ?? `(no check id in "${check}")`,
    objects: [...objects.matchAll(/\b[A-Z][A-Za-z]+\/[a-z0-9][-a-z0-9.]*/g)].map((match) => match[0]),
    why,
  }));
}

function isJustified(finding: Finding, justifications: readonly Justification[]): boolean {
  return justifications.some((j) => j.check === finding.check && j.objects.includes(finding.object));
}

/** Findings grouped as `CKV_… Kind/name (stacks): check name`, one line per check and object. */
function describeFindings(findings: readonly Finding[]): string[] {
  const grouped = new Map<string, Finding[]>();
  for (const f of findings) grouped.set(`${f.check} ${f.object}`, [...(grouped.get(`${f.check} ${f.object}`) ?? []), f]);
  return [...grouped].map(([key, group]) => `${key} (${group.map((f) => f.stack).sort().join(", ")}): ${group[0].checkName}`);
}

// --- The scenario ------------------------------------------------------------

afterAll(() => fs.rmSync(workDir, { recursive: true, force: true }));

describe("7. Manifests are valid and hardened", () => {
  const rendered = new Map<string, RenderedObject[]>();

  beforeAll(() => {
    for (const stack of STACKS) rendered.set(stack, renderInto(stack));
  });

  describe.each(STACKS)("stack %s", (stack) => {
    const objects = () => rendered.get(stack) ?? [];

    it(`${stack}: every core object validates strictly against Kubernetes ${OLDEST_KUBERNETES} and the newest schemas`, ({ task }) => {
      const files = objects().filter((o) => !isOperatorObject(o.object)).map((o) => o.path);
      expect(files.length).toBeGreaterThan(0);
      expect(kubernetesSchemaProblems(files, OLDEST_KUBERNETES)).toEqual([]);
      expect(kubernetesSchemaProblems(files)).toEqual([]);
      figure(task, "objects", files.length);
    });

    it(`${stack}: every Prometheus Operator object validates against the operator's CRD models, unknown fields included`, ({ task }) => {
      const crdObjects = objects().filter((o) => isOperatorObject(o.object));
      expect(crdObjects.map(operatorSchemaProblem).filter((problem) => problem !== undefined)).toEqual([]);
      if (crdObjects.length > 0) expect(operatorUnknownFields(crdObjects)).toEqual([]);
      figure(task, "objects", crdObjects.map((o) => o.object.kind).join(", ") || "none");
    });
  });

  describe("checkov over every stack", () => {
    let scan: ScanResult;
    let justifications: Justification[];

    beforeAll(() => {
      scan = checkovScan(renderRoot);
      justifications = documentedJustifications(fs.readFileSync(path.join(projectDir, FINDINGS_DOC), "utf8"));
    });

    it("checkov scans every rendered object", () => {
      const objectCount = [...rendered.values()].reduce((sum, objects) => sum + objects.length, 0);
      expect(scan.parsingErrors).toBe(0);
      expect(scan.resources).toBeGreaterThanOrEqual(objectCount);
    });

    it("checkov reports no finding the table of docs/security.md does not accept", ({ task }) => {
      const unjustified = scan.findings.filter((f) => !isJustified(f, justifications));
      expect(describeFindings(unjustified), `add a fix, or a row under "${FINDINGS_HEADING}" in ${FINDINGS_DOC}`).toEqual([]);
      figure(task, "checks", `${scan.passed} passed, ${scan.findings.length} failed and accepted`);
      figure(task, "checkov run", `${scan.seconds.toFixed(1)}s`);
    });

    it("the table of docs/security.md lists no finding that no longer occurs, and says why for each", () => {
      const occurs = (check: string, object: string) => scan.findings.some((f) => f.check === check && f.object === object);
      const stale = justifications.flatMap((j) => j.objects.filter((object) => !occurs(j.check, object)).map((object) => `${j.check} ${object}`));
      expect(stale, `remove these rows (or objects) from "${FINDINGS_HEADING}" in ${FINDINGS_DOC}`).toEqual([]);
      for (const j of justifications) {
        expect(j.objects.length, `${j.check}: objects`).toBeGreaterThan(0);
        expect(j.why.length, `${j.check}: why it is accepted`).toBeGreaterThan(20);
      }
    });
  });

  // Each check must be able to fail: a tool that silently passes everything would pass the tests above.
  describe("the checks reject broken objects", () => {
    const serviceMonitor = (endpoint: Record<string, unknown>, metadata: Record<string, unknown> = {}): RenderedObject => ({
      file: "broken-servicemonitor.yaml",
      path: "",
      object: {
        apiVersion: OPERATOR_API_VERSION,
        kind: "ServiceMonitor",
        metadata: { name: "broken", ...metadata },
        spec: { selector: {}, endpoints: [endpoint] },
      },
    });

    it("kubernetes-validate rejects an unknown field", () => {
      const file = path.join(workDir, "broken-configmap.yaml");
      fs.writeFileSync(file, yaml.dump({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "broken", labelz: {} }, data: {} }));
      expect(kubernetesSchemaProblems([file]).join("\n")).toContain("'labelz' was unexpected");
    });

    it("the CRD model rejects a malformed duration", () => {
      expect(operatorSchemaProblem(serviceMonitor({ port: "http", interval: "30 seconds" }))).toContain("interval must match pattern");
    });

    it.each([
      ["spec", serviceMonitor({ port: "http", scrapeTimout: "10s" }), "scrapeTimout"],
      ["metadata", serviceMonitor({ port: "http" }, { labelz: {} }), "labelz"],
    ])("the CRD types reject an unknown field in %s", (_, object, field) => {
      expect(operatorUnknownFields([object]).join("\n")).toContain(field);
    });
  });
});
