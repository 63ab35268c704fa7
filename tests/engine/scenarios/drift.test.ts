/**
 * Drift detection through the real engine: the command the scheduled drift workflow runs
 * (driftCommand in scripts/drift/driftReport.ts, the same arguments `npm run drift` gives the CLI)
 * on the dev stack, clean and after hand edits of the kinds `kubectl scale` and `kubectl patch`
 * make, read by the same functions the workflow's report uses. Scenarios run in file order.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FLIPT, objectNames } from "../../../builders/names";
import { serviceConfigMapName } from "../../../builders/serviceConfig";
import { CliRun, KubeApi, managersOf, OperationResult } from "../../../scripts/lib/localWorld";
import { DriftedResource, driftCommand, driftIssueBody, driftVerdict } from "../../../scripts/drift/driftReport";
import { FLIPT_URL_KEY } from "../../../settings/parse";
import { figure } from "../../e2e/harness/summary";
import { writeArtifact } from "../artifacts";
import { engineStack, EngineWorld, startEngineWorld } from "../harness";

type Task = Parameters<typeof figure>[0];

const DEV = engineStack("dev");
const DEPLOYMENT = { name: objectNames().deployment, namespace: DEV.settings.namespace };
/** dev's first patched service ConfigMap (llm-gateway/llm-gateway-env): the program owns only its FLIPT_URL. */
const PATCHED = DEV.settings.services.targets.find((t) => t.existingConfigMap)!;
const PATCHED_CONFIG_MAP = { name: serviceConfigMapName(PATCHED), namespace: PATCHED.namespace };
const SCALED_REPLICAS = 3;
/** The image `kubectl set image` sets, then adopted into the stack's configuration (dev's sqlite mode allows one replica only). */
const ADOPTED_IMAGE = "docker.flipt.io/flipt/flipt:v1.61.0";
const EDITED_FLIPT_URL = "http://flipt.flipt-elsewhere.svc.cluster.local:8080";
/** The field managers kubectl uses for `kubectl scale`, `kubectl patch` and `kubectl set` (Update operations, not apply). */
const KUBECTL_SCALE = "kubectl-scale";
const KUBECTL_PATCH = "kubectl-patch";
const KUBECTL_SET = "kubectl-set";
/** A refresh reads each resource once: seconds here; the limit is for a loaded machine. */
const DRIFT_COMMAND_TIMEOUT_MS = 180_000;

let env: EngineWorld;
let deployedFliptUrl: string;

beforeAll(async () => {
  env = await startEngineWorld([DEV]);
}, 180_000);

afterAll(async () => {
  await env?.supervisor.stopAll();
});

const api = (): KubeApi => env.cluster.api;

function expectOk(result: OperationResult): OperationResult {
  if (!result.ok) throw new Error(`pulumi failed: ${result.error}\n${result.stdout.slice(-3000)}`);
  return result;
}

/**
 * The workflow's command, exactly as `npm run drift` runs it, on dev; its output is kept
 * (.artifacts/engine/drift-<label>.*), which is what the fast tier's fixtures are recorded from.
 */
function driftCheck(task: Task, label: string): CliRun {
  const started = Date.now();
  const run = env.engine.command(driftCommand(DEV.name), DRIFT_COMMAND_TIMEOUT_MS);
  figure(task, `${label} check`, `${((Date.now() - started) / 1000).toFixed(1)}s, exit ${run.status}`);
  writeArtifact(`drift-${label}.stdout.json`, run.stdout);
  writeArtifact(`drift-${label}.stderr.txt`, `exit ${run.status}\n${run.stderr}`);
  return run;
}

async function deployment(): Promise<any> {
  return api().get("apps/v1", "Deployment", DEPLOYMENT.name, DEPLOYMENT.namespace);
}

async function patchedConfigMap(): Promise<any> {
  return api().get("v1", "ConfigMap", PATCHED_CONFIG_MAP.name, PATCHED_CONFIG_MAP.namespace);
}

/** A merge patch under a field manager of kubectl's (an Update: the manager takes the fields it changes over). */
async function patchAs(manager: string, objectPath: string, body: unknown): Promise<void> {
  const response = await api().request("PATCH", `${objectPath}?fieldManager=${manager}`, body, "application/merge-patch+json");
  if (response.status !== 200) throw new Error(`PATCH ${objectPath} as ${manager}: HTTP ${response.status}: ${JSON.stringify(response.body)}`);
}

function fieldsOf(resources: readonly DriftedResource[]): string[] {
  return resources.flatMap((r) => r.fields.map((f) => `${r.type} ${r.id}: ${f.path} ${f.deployed} → ${f.live}`)).sort();
}

describe("drift: the drift workflow's command on the dev stack", () => {
  it("drift: on the stack up just deployed, the command exits 0 and the report finds no drift", async ({ task }) => {
    const up = expectOk(await env.engine.run("up", DEV.name, DEV.config));
    figure(task, "up dev", `${up.seconds}s`);
    deployedFliptUrl = String(up.outputs.fliptUrl.value);
    const run = driftCheck(task, "clean");
    expect(run.status, run.stderr).toBe(0);
    expect(driftVerdict(run)).toEqual({ kind: "clean" });
  });

  it("drift: replicas scaled and a patched ConfigMap's FLIPT_URL edited by hand make it exit non-zero, naming both resources and both fields", async ({ task }) => {
    const scale = `${await api().objectPath("apps/v1", "Deployment", DEPLOYMENT.name, DEPLOYMENT.namespace)}/scale`;
    await patchAs(KUBECTL_SCALE, scale, { spec: { replicas: SCALED_REPLICAS } });
    const configMap = await api().objectPath("v1", "ConfigMap", PATCHED_CONFIG_MAP.name, PATCHED_CONFIG_MAP.namespace);
    await patchAs(KUBECTL_PATCH, configMap, { data: { [FLIPT_URL_KEY]: EDITED_FLIPT_URL } });
    // Server-side apply: each Update took its field from the program's field manager.
    expect(managersOf(await deployment(), ["f:spec", "f:replicas"])).toEqual([KUBECTL_SCALE]);
    expect(managersOf(await patchedConfigMap(), ["f:data", `f:${FLIPT_URL_KEY}`])).toEqual([KUBECTL_PATCH]);

    const run = driftCheck(task, "drifted");
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain("no changes were expected for refresh but changes were proposed");
    const verdict = driftVerdict(run);
    if (verdict.kind !== "drift") throw new Error(`expected drift, got ${JSON.stringify(verdict)}`);
    expect(fieldsOf(verdict.resources)).toEqual(
      [
        `kubernetes:apps/v1:Deployment ${DEPLOYMENT.namespace}/${DEPLOYMENT.name}: spec.replicas ${DEV.settings.replicas} → ${SCALED_REPLICAS}`,
        `kubernetes:core/v1:ConfigMapPatch ${PATCHED_CONFIG_MAP.namespace}/${PATCHED_CONFIG_MAP.name}: data.${FLIPT_URL_KEY} ${deployedFliptUrl} → ${EDITED_FLIPT_URL}`,
      ].sort(),
    );
    const body = driftIssueBody(DEV.name, verdict.resources);
    writeArtifact("drift-issue-dev.md", body);
    expect(body).toContain(`| \`Deployment ${DEPLOYMENT.namespace}/${DEPLOYMENT.name}\``);
    figure(task, "drifted", verdict.resources.map((r) => r.fields.map((f) => f.path).join(",")).join("; "));
  });

  it("drift: preview --refresh --expect-no-changes, the other candidate, stops at the server-side apply conflict instead of listing the drift", async ({ task }) => {
    const preview = await env.engine.run("preview", DEV.name, DEV.config, { refresh: true, expectNoChanges: true });
    figure(task, "preview --refresh", `${preview.seconds}s`);
    expect(preview.ok).toBe(false);
    expect(`${preview.error}`).toMatch(new RegExp(`conflict with "${KUBECTL_SCALE}".*\\.spec\\.replicas`));
  });

  it("drift: up --refresh reverts both only with PULUMI_K8S_ENABLE_PATCH_FORCE=true (kubectl owns the fields), previewed the same way, and the command is clean again", async ({ task }) => {
    const refused = await env.engine.run("up", DEV.name, DEV.config, { refresh: true });
    figure(task, "up --refresh", `${refused.seconds}s, refused`);
    expect(refused.ok).toBe(false);
    expect(`${refused.error}`).toMatch(/Server-Side Apply field conflict/);
    expect((await deployment()).spec.replicas).toBe(SCALED_REPLICAS);

    const force = { PULUMI_K8S_ENABLE_PATCH_FORCE: "true" };
    const preview = expectOk(await env.engine.run("preview", DEV.name, DEV.config, { refresh: true, env: force }));
    figure(task, "preview --refresh, forced", `${preview.seconds}s`);
    const updates = preview.steps.filter((s) => s.op === "update").map((s) => s.type);
    expect(updates.sort()).toEqual(["kubernetes:apps/v1:Deployment", "kubernetes:core/v1:ConfigMapPatch"]);
    const forced = expectOk(await env.engine.run("up", DEV.name, DEV.config, { refresh: true, env: force }));
    figure(task, "up --refresh, forced", `${forced.seconds}s`);
    const live = await deployment();
    expect(live.spec.replicas).toBe(DEV.settings.replicas);
    expect(managersOf(live, ["f:spec", "f:replicas"])).not.toContain(KUBECTL_SCALE);
    expect((await patchedConfigMap()).data[FLIPT_URL_KEY]).toBe(deployedFliptUrl);

    const run = driftCheck(task, "reverted");
    expect(run.status, run.stderr).toBe(0);
    expect(driftVerdict(run)).toEqual({ kind: "clean" });
  });

  it("drift: an image set by hand (kubectl set image) and then adopted into the stack's configuration deploys without a conflict and is no drift", async ({ task }) => {
    const deploymentPath = await api().objectPath("apps/v1", "Deployment", DEPLOYMENT.name, DEPLOYMENT.namespace);
    const patch = { spec: { template: { spec: { containers: [{ name: FLIPT.name, image: ADOPTED_IMAGE }] } } } };
    const response = await api().request("PATCH", `${deploymentPath}?fieldManager=${KUBECTL_SET}`, patch, "application/strategic-merge-patch+json");
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const drifted = driftVerdict(driftCheck(task, "image-set"));
    if (drifted.kind !== "drift") throw new Error(`expected drift, got ${JSON.stringify(drifted)}`);
    expect(fieldsOf(drifted.resources)).toEqual([
      `kubernetes:apps/v1:Deployment ${DEPLOYMENT.namespace}/${DEPLOYMENT.name}: spec.template.spec.containers[0].image ${DEV.settings.image} → ${ADOPTED_IMAGE}`,
    ]);
    // The stack file now says what kubectl did: the apply sets the value kubectl-set holds, which is no conflict.
    const adopted = engineStack(DEV.name, { image: ADOPTED_IMAGE }, DEV.name, DEV.secrets);
    const up = expectOk(await env.engine.run("up", adopted.name, adopted.config));
    figure(task, "up with the adopted image", `${up.seconds}s`);
    expect((await deployment()).spec.template.spec.containers[0].image).toBe(ADOPTED_IMAGE);
    const run = driftCheck(task, "adopted");
    expect(run.status, run.stderr).toBe(0);
    expect(driftVerdict(run)).toEqual({ kind: "clean" });
  });

  it("drift: destroy removes the dev stack", async ({ task }) => {
    const destroy = expectOk(await env.engine.run("destroy", DEV.name, DEV.config));
    figure(task, "destroy dev", `${destroy.seconds}s`);
    expect(await api().get("v1", "Namespace", DEV.settings.namespace)).toBeUndefined();
  });
});
