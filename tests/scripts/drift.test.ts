/**
 * The drift report (scripts/drift/): what it reads from the CLI's `refresh --preview-only --json`
 * output and what it says. The fixtures are real output, recorded by the engine tier's drift
 * scenario (tests/engine/scenarios/drift.test.ts, .artifacts/engine/drift-<label>.*) on the dev
 * stack, clean (exit 0) and after `kubectl scale` and `kubectl patch` edits (exit 7, with the CLI's
 * "no changes were expected" error), then trimmed to what the report reads:
 *   jq '{steps: [.steps[] | if .op == "refresh" then {op, urn, detailedDiff}
 *        else {op, urn, detailedDiff, oldState: (.oldState | {urn, type, id, inputs}),
 *              newState: (.newState | {urn, type, id, inputs})} end], diagnostics, changeSummary}'
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { afterAll, describe, expect, it } from "vitest";
import {
  CommandRun,
  DRIFT_COMMAND,
  driftCommand,
  driftedResources,
  driftIssueBody,
  driftIssueTitle,
  driftLines,
  driftVerdict,
  propertyPath,
} from "../../scripts/drift/driftReport";

const REPO_ROOT = path.resolve(__dirname, "../..");
const FIXTURES = path.join(__dirname, "fixtures", "drift");
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), "utf8");
/** The CLI's stderr on drift, as recorded (after its plugin warnings). */
const DRIFT_STDERR = "error: no changes were expected for refresh but changes were proposed\n";
const DRIFTED: CommandRun = { status: 7, stdout: fixture("drifted.json"), stderr: DRIFT_STDERR };
const CLEAN: CommandRun = { status: 0, stdout: fixture("clean.json"), stderr: "" };

const tempDirs: string[] = [];
afterAll(() => tempDirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

describe("drift report: the recorded refresh preview of dev", () => {
  it("names the Deployment's replicas and the patched ConfigMap's FLIPT_URL, with the deployed and live values", () => {
    const resources = driftedResources(DRIFTED.stdout);
    expect(resources.map((r) => [r.type, r.id, r.name])).toEqual([
      ["kubernetes:apps/v1:Deployment", "flipt-dev/flipt", "flipt-flipt-deployment-flipt"],
      ["kubernetes:core/v1:ConfigMapPatch", "llm-gateway/llm-gateway-env", "flipt-services-llm-gateway-llm-gateway"],
    ]);
    expect(resources.map((r) => r.fields)).toEqual([
      [{ path: "spec.replicas", kind: "update", deployed: "1", live: "3" }],
      [{ path: "data.FLIPT_URL", kind: "update", deployed: "http://flipt.flipt-dev.svc.cluster.local:8080", live: "http://flipt.flipt-elsewhere.svc.cluster.local:8080" }],
    ]);
    expect(driftVerdict(DRIFTED)).toEqual({ kind: "drift", resources });
    expect(driftLines(resources)).toEqual([
      "Deployment flipt-dev/flipt (kubernetes:apps/v1:Deployment flipt-flipt-deployment-flipt): spec.replicas 1 → 3",
      "ConfigMapPatch llm-gateway/llm-gateway-env (kubernetes:core/v1:ConfigMapPatch flipt-services-llm-gateway-llm-gateway): data.FLIPT_URL http://flipt.flipt-dev.svc.cluster.local:8080 → http://flipt.flipt-elsewhere.svc.cluster.local:8080",
    ]);
  });

  it("clean output (exit 0) is no drift and names nothing", () => {
    expect(driftedResources(CLEAN.stdout)).toEqual([]);
    expect(driftVerdict(CLEAN)).toEqual({ kind: "clean" });
  });

  it("the issue body is a row per drifted field, titled by the stack, with no date or run in it", () => {
    const body = driftIssueBody("dev", driftedResources(DRIFTED.stdout));
    expect(driftIssueTitle("dev")).toBe("Drift in stack dev");
    expect(body).toContain("`pulumi refresh --preview-only --expect-no-changes --json --non-interactive --stack dev` finds 2 resources of stack `dev` changed outside Pulumi:");
    expect(body).toContain("| `Deployment flipt-dev/flipt` (`flipt-flipt-deployment-flipt`) | `spec.replicas` | `1` | `3` |");
    expect(body).toContain(
      "| `ConfigMapPatch llm-gateway/llm-gateway-env` (`flipt-services-llm-gateway-llm-gateway`) | `data.FLIPT_URL` | `http://flipt.flipt-dev.svc.cluster.local:8080` | `http://flipt.flipt-elsewhere.svc.cluster.local:8080` |",
    );
    expect(body).toContain("[Drift](docs/operating.md#drift)");
    expect(body).not.toMatch(/\d{4}-\d\d-\d\d|actions\/runs/);
    expect(driftIssueBody("dev", driftedResources(DRIFTED.stdout))).toBe(body);
  });
});

describe("drift report: runs that are not a verdict on drift", () => {
  it.each<[string, CommandRun, RegExp]>([
    ["no JSON (the CLI could not start)", { status: 255, stdout: "", stderr: "error: failed to load stack: no stack named 'dev' found\n" }, /no JSON from the CLI \(exit 255\): error: failed to load stack/],
    ["JSON, a non-zero exit and no drifted step", { status: 255, stdout: JSON.stringify({ steps: [], diagnostics: [{ severity: "error", message: "error: the cluster is unreachable\n" }] }), stderr: "" }, /exit 255 without a drifted resource: error: the cluster is unreachable/],
    ["killed at the timeout", { status: null, stdout: '{"steps": [', stderr: "spawnSync pulumi ETIMEDOUT" }, /no JSON from the CLI \(exit null\)/],
  ])("%s: failed, never clean", (_, run, reason) => {
    const verdict = driftVerdict(run);
    expect(verdict.kind).toBe("failed");
    expect(verdict.kind === "failed" && verdict.reason).toMatch(reason);
  });
});

describe("drift report: steps and paths", () => {
  it.each<[string, (string | number)[]]>([
    ["spec.replicas", ["spec", "replicas"]],
    ["spec.template.spec.containers[0].image", ["spec", "template", "spec", "containers", 0, "image"]],
    ['metadata.annotations["checksum/config"]', ["metadata", "annotations", "checksum/config"]],
    ['data["app.yaml"]', ["data", "app.yaml"]],
  ])("%s → %j", (text, keys) => {
    expect(propertyPath(text)).toEqual(keys);
  });

  it("the same drift in another step order reads the same", () => {
    const preview = JSON.parse(DRIFTED.stdout) as { steps: unknown[] };
    const reversed = JSON.stringify({ ...preview, steps: [...preview.steps].reverse() });
    expect(driftIssueBody("dev", driftedResources(reversed))).toBe(driftIssueBody("dev", driftedResources(DRIFTED.stdout)));
  });

  it("a resource deleted by hand is drift with no field; values are cut at 120 characters; a | does not break the table", () => {
    const urn = (type: string, name: string) => `urn:pulumi:dev::flipt-deploy::flipt-deploy:index:FlagPlatform$${type}::${name}`;
    const stdout = JSON.stringify({
      steps: [
        { op: "delete", urn: urn("kubernetes:core/v1:Service", "flipt-flipt-service-flipt"), oldState: { type: "kubernetes:core/v1:Service", id: "flipt-dev/flipt" } },
        {
          op: "update",
          urn: urn("kubernetes:core/v1:ConfigMap", "flipt-flipt-configmap-flipt-config"),
          detailedDiff: { 'data["default.yml"]': { kind: "update" } },
          oldState: { type: "kubernetes:core/v1:ConfigMap", id: "flipt-dev/flipt-config", inputs: { data: { "default.yml": "a|b" } } },
          newState: { inputs: { data: { "default.yml": "x".repeat(200) } } },
        },
      ],
    });
    const resources = driftedResources(stdout);
    expect(driftLines(resources)[1]).toBe("Service flipt-dev/flipt (kubernetes:core/v1:Service flipt-flipt-service-flipt): gone from the cluster");
    expect(resources[0].fields[0].live).toBe(`${"x".repeat(119)}…`);
    const body = driftIssueBody("prod", resources);
    expect(body).toContain("| `Service flipt-dev/flipt` (`flipt-flipt-service-flipt`) | (the whole object) | exists | gone |");
    expect(body).toContain('| `data["default.yml"]` | `a\\|b` |');
  });
});

describe("drift: the workflow, npm run drift and the CLI agree", () => {
  const workflow = yaml.load(fs.readFileSync(path.join(REPO_ROOT, ".github/workflows/drift.yml"), "utf8")) as any;

  it("drift.yml runs daily and by hand, for dev and prod, through npm run drift with least privilege", () => {
    expect(Object.keys(workflow.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
    expect(workflow.permissions).toEqual({ contents: "read", issues: "write" });
    const job = workflow.jobs.drift;
    expect(job.strategy.matrix.stack).toEqual(["dev", "prod"]);
    expect(job.environment).toBeUndefined();
    const runs = job.steps.map((s: { run?: string }) => s.run ?? "").join("\n");
    expect(runs).toContain('npm run --silent drift -- --stack "$STACK" --issue-body "$RUNNER_TEMP/drift.md"');
    expect(job.steps.find((s: { env?: Record<string, string> }) => s.env?.TITLE)?.env.TITLE).toBe(driftIssueTitle("${{ matrix.stack }}"));
    expect(JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")).scripts.drift).toBe("tsx scripts/drift/main.ts");
  });

  /** `npm run drift`'s entry with a stand-in `pulumi` on PATH that replays a recording and keeps its arguments. */
  function runDrift(recorded: CommandRun): { status: number | null; stdout: string; stderr: string; args: string[]; body?: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "drift-test-"));
    tempDirs.push(dir);
    fs.writeFileSync(path.join(dir, "stdout"), recorded.stdout);
    fs.writeFileSync(path.join(dir, "stderr"), recorded.stderr);
    const fake = path.join(dir, "pulumi");
    fs.writeFileSync(fake, `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/args"\ncat "${dir}/stdout"\ncat "${dir}/stderr" >&2\nexit ${recorded.status ?? 1}\n`, { mode: 0o755 });
    const bodyFile = path.join(dir, "drift.md");
    const run = spawnSync(process.execPath, ["--import", "tsx", "scripts/drift/main.ts", "--stack", "dev", "--issue-body", bodyFile], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      timeout: 30_000,
      env: { ...process.env, PATH: `${dir}${path.delimiter}${process.env.PATH}`, INIT_CWD: REPO_ROOT, GITHUB_SERVER_URL: "", GITHUB_REPOSITORY: "" },
    });
    const args = fs.readFileSync(path.join(dir, "args"), "utf8").trim().split("\n");
    return { status: run.status, stdout: run.stdout, stderr: run.stderr, args, body: fs.existsSync(bodyFile) ? fs.readFileSync(bodyFile, "utf8") : undefined };
  }

  it("npm run drift gives the CLI driftCommand, exits 1 on drift naming each field and writes the issue's body", () => {
    const result = runDrift(DRIFTED);
    expect(result.args).toEqual(driftCommand("dev"));
    expect(result.args.slice(0, DRIFT_COMMAND.length)).toEqual(["refresh", "--preview-only", "--expect-no-changes", "--json", "--non-interactive"]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("stack dev: drift in 2 resources");
    expect(result.stdout).toContain("Deployment flipt-dev/flipt (kubernetes:apps/v1:Deployment flipt-flipt-deployment-flipt): spec.replicas 1 → 3");
    expect(result.body).toBe(driftIssueBody("dev", driftedResources(DRIFTED.stdout)));
  });

  it("exits 0 on a clean stack and writes no body; exits 2 with one line when the CLI fails", () => {
    const clean = runDrift(CLEAN);
    expect([clean.status, clean.stdout, clean.body]).toEqual([0, "stack dev: no drift\n", undefined]);
    const failed = runDrift({ status: 255, stdout: "", stderr: "error: failed to load stack\n" });
    expect(failed.status).toBe(2);
    expect(failed.body).toBeUndefined();
    expect(failed.stderr.trim().split("\n")).toHaveLength(1);
    expect(failed.stderr).toContain("error: stack dev: pulumi refresh --preview-only");
  });
});
