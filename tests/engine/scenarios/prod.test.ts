/**
 * The prod stack through the real engine: its own configuration (Pulumi.prod.yaml) with only the
 * outward-pointing keys replaced, as deploy:local deploys it, against a real PostgreSQL whose
 * administrator has CREATEROLE and CREATEDB only. The role and database go through the PostgreSQL
 * provider (the real plugin where one is on PATH, else its stand-in). Scenarios run in file order.
 */
import * as fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseSpec } from "../../../builders/database";
import { objectNames } from "../../../builders/names";
import { evaluationExample } from "../../../scripts/deployLocal/evaluation";
import { liveFlipt } from "../../../scripts/deployLocal/liveObjects";
import { localEndpoints, localStackConfig, LocalStackConfig, stackFileSettings } from "../../../scripts/deployLocal/localConfig";
import { serveCommittedFlags } from "../../../scripts/deployLocal/servedFlags";
import { LOCAL_KUBE_CONTEXT, checkpointResources, OperationResult } from "../../../scripts/lib/localWorld";
import { FliptProcess } from "../../../scripts/lib/fliptProcess";
import { startLiveRelay } from "../../../scripts/lib/liveRelay";
import { repositoryFlagsDir } from "../../../scripts/lib/localFlipt";
import { freePort, sleep, waitFor } from "../../../scripts/lib/processes";
import { fliptUnavailableReason, toolchainPaths } from "../../../scripts/toolchain/paths";
import { readStack, type StackConfig } from "../../../settings/stackFiles";
import { Settings } from "../../../settings/types";

/** The field manager of the handover from fixed replicas to the autoscaler (docs/deploying.md, "Autoscaling"). */
const HANDOVER_FIELD_MANAGER = "handover-to-hpa";
import { figure } from "../../e2e/harness/summary";
import { EngineWorld, startEngineWorld } from "../harness";

type Task = Parameters<typeof figure>[0];

const PROD_SETTINGS = stackFileSettings("prod");
const DEV_SETTINGS = stackFileSettings("dev");
const PROD_DB = databaseSpec(PROD_SETTINGS.database.postgres!);
const DEV_DB = databaseSpec(DEV_SETTINGS.database.postgres!);
const ADMIN = PROD_SETTINGS.database.postgres!.adminUser;
/** A row the destroy of prod must keep (retainOnDelete keeps the data, not only the names). */
const KEPT_ROW = "kept-through-destroy";

let env: EngineWorld;
let prod: LocalStackConfig;
let dev: LocalStackConfig;
let flagsUrl: string;

beforeAll(async () => {
  env = await startEngineWorld([], { postgresAdmin: ADMIN });
  // The stacks' world: prod's and dev's services (the same ones) and the monitoring namespace.
  const { createExistingWorld } = await import("../../../scripts/lib/localWorld");
  await createExistingWorld(env.cluster.api, env.paths.prometheusOperatorCrdDir, [PROD_SETTINGS, DEV_SETTINGS], env.volumeDir);
  const flags = await serveCommittedFlags(env.supervisor, env.paths.gitBin, PROD_SETTINGS);
  flagsUrl = flags.url;
  const endpoints = localEndpoints(LOCAL_KUBE_CONTEXT, flags, env.postgres!);
  prod = localStackConfig("prod", endpoints);
  dev = localStackConfig("dev", endpoints);
}, 180_000);

afterAll(async () => {
  await env?.supervisor.stopAll();
});

const api = () => env.cluster.api;
/** Rows of a query as the server's superuser (reads pg_roles and pg_database whatever the admin may see). */
const sql = (query: string, database = "postgres") => env.postgres!.server.psql([query], database);

async function run(op: "preview" | "up" | "destroy" | "refresh-preview", stack: "prod" | "dev", task: Task, options: { refresh?: boolean } = {}): Promise<OperationResult> {
  const config = stack === "prod" ? prod : dev;
  const result = await env.engine.run(op, stack, config.config, options);
  figure(task, `${op} ${stack}`, `${result.seconds}s`);
  return result;
}

function expectOk(result: OperationResult): OperationResult {
  if (!result.ok) throw new Error(`pulumi failed: ${result.error}\n${result.stdout.slice(-3000)}`);
  return result;
}

function resourcesInState(stack: string): number {
  return checkpointResources(env.engine.stateFile(stack)).length;
}

function roleRow(name: string): string {
  return sql(`SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolconnlimit FROM pg_roles WHERE rolname = '${name}'`);
}

function databaseOwner(name: string): string {
  return sql(`SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '${name}'`);
}

/** The DSN Flipt gets, from the live Secret; its password is the role's. */
async function liveDsn(settings: Settings): Promise<string> {
  const secret = await api().get("v1", "Secret", objectNames().dbSecret, settings.namespace);
  const data = (secret?.data ?? {}) as Record<string, string>;
  const [value] = Object.values(data);
  return Buffer.from(value ?? "", "base64").toString("utf8");
}

describe("prod", () => {
  it("prod: pulumi preview lists the role and the database among the creates", async ({ task }) => {
    const result = expectOk(await run("preview", "prod", task));
    const creates = result.steps.filter((s) => s.op === "create").map((s) => s.type);
    expect(creates).toContain("postgresql:index/role:Role");
    expect(creates).toContain("postgresql:index/database:Database");
    expect(roleRow(PROD_DB.role.name)).toBe("");
  });

  it("prod: up creates the role with the spec's attributes and the database it owns; the HorizontalPodAutoscaler brings the Deployment to its minimum, maxUnavailable 0 and a PDB", async ({ task }) => {
    const result = expectOk(await run("up", "prod", task));
    figure(task, "prod resources", resourcesInState("prod"));
    expect(roleRow(PROD_DB.role.name)).toBe(`t|f|f|f|f|${PROD_DB.role.connectionLimit}`);
    expect(databaseOwner(PROD_DB.database.name)).toBe(PROD_DB.role.name);
    const autoscaling = PROD_SETTINGS.autoscaling!;
    const hpa = (await api().get("autoscaling/v2", "HorizontalPodAutoscaler", objectNames().autoscaler, PROD_SETTINGS.namespace)) as any;
    expect(hpa?.spec).toMatchObject({
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: objectNames().deployment },
      minReplicas: autoscaling.minReplicas,
      maxReplicas: autoscaling.maxReplicas,
    });
    // The program leaves the replicas to the autoscaler; kube-controller-manager's autoscaler raises them
    // to minReplicas (no metrics are needed for that: below the minimum it scales without reading any).
    const started = Date.now();
    await waitFor(async () => ((await api().get("apps/v1", "Deployment", objectNames().deployment, PROD_SETTINGS.namespace)) as any)?.spec.replicas === autoscaling.minReplicas, {
      timeoutMs: 60_000,
      what: `the autoscaler to set prod's Deployment to ${autoscaling.minReplicas} replicas`,
    });
    figure(task, "replicas set by the autoscaler after", `${Date.now() - started} ms`);
    const deployment = (await api().get("apps/v1", "Deployment", objectNames().deployment, PROD_SETTINGS.namespace)) as any;
    const owners = (deployment.metadata.managedFields ?? []).filter((f: any) => JSON.stringify(f.fieldsV1 ?? {}).includes('"f:replicas"')).map((f: any) => f.manager);
    // No field manager of Pulumi's owns them, so an `up` neither resets them nor shows the autoscaler's changes as drift.
    expect(owners.filter((manager: string) => manager.startsWith("pulumi")), `managers of spec.replicas: ${owners.join(", ")}`).toEqual([]);
    expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    expect(await api().get("policy/v1", "PodDisruptionBudget", objectNames().pdb, PROD_SETTINGS.namespace)).toBeDefined();
    expect(result.outputs.databaseName.value).toBe(PROD_DB.database.name);
  });

  const unavailable = fliptUnavailableReason(toolchainPaths());
  const bootName = "prod: Flipt started from the live objects, behind the flags relay started from them, migrates the database up made and serves a migrated flag from flags/prod";
  it.skipIf(unavailable !== undefined)(unavailable === undefined ? bootName : `${bootName} (skipped: ${unavailable})`, async ({ task }) => {
    // Flipt's live configuration clones the relay without credentials; the relay fetches the Git server with the stack's.
    const relay = (await startLiveRelay({ supervisor: env.supervisor, api: api(), server: env.cluster.server, ca: env.cluster.caCert, namespace: PROD_SETTINGS.namespace, upstreamUrl: flagsUrl }))!;
    expect(relay, "prod's live objects have a flags relay").toBeDefined();
    const flipt = new FliptProcess(env.supervisor, {
      fliptBin: env.paths.fliptBin,
      rendered: await liveFlipt(api(), PROD_SETTINGS.namespace),
      local: { httpPort: await freePort(), grpcPort: await freePort(), repositoryUrl: relay.repositoryUrl, dataDir: env.supervisor.tempDir("flipt-prod-boot") },
      secretValues: {},
    });
    const started = Date.now();
    await flipt.start();
    figure(task, "healthy after", `${Date.now() - started} ms`);
    const tables = sql("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'", PROD_DB.database.name);
    expect(Number(tables)).toBeGreaterThan(0);
    figure(task, "Flipt's tables", tables);
    const example = evaluationExample(repositoryFlagsDir("prod"));
    expect(await example.evaluate(flipt.url)).toBe(example.enabled);
    await flipt.stop();
    await relay.stop();
  });

  it("prod: the role's password and the DSN are in no ConfigMap, no annotation and no plaintext in the state", async () => {
    const dsn = await liveDsn(PROD_SETTINGS);
    const password = decodeURIComponent(new URL(dsn).password);
    expect(password.length).toBeGreaterThanOrEqual(32);
    // The password logs the role in: it is the live one.
    expect(env.postgres!.server.psqlAs(PROD_DB.role.name, password, ["SELECT current_user"], PROD_DB.database.name)).toBe(PROD_DB.role.name);
    const secrets = [password, dsn, encodeURIComponent(password)];
    for (const namespace of [PROD_SETTINGS.namespace, ...new Set(PROD_SETTINGS.services.targets.map((t) => t.namespace))]) {
      for (const object of await api().list("v1", "ConfigMap", namespace)) {
        for (const value of secrets) expect(JSON.stringify(object)).not.toContain(value);
      }
    }
    for (const kind of ["Deployment", "Service"]) {
      const object = await api().get(kind === "Deployment" ? "apps/v1" : "v1", kind, objectNames().deployment, PROD_SETTINGS.namespace);
      for (const value of secrets) expect(JSON.stringify(object?.metadata.annotations ?? {})).not.toContain(value);
    }
    const state = fs.readFileSync(env.engine.stateFile("prod"), "utf8");
    for (const value of secrets) expect(state).not.toContain(value);
    expect(state).toContain("ciphertext");
  });

  it("prod: a connection limit changed by hand shows in refresh --preview-only as an update of the role, and up --refresh puts it back", async ({ task }) => {
    sql(`ALTER ROLE "${PROD_DB.role.name}" CONNECTION LIMIT 5`);
    const drift = expectOk(await run("refresh-preview", "prod", task));
    // A refresh step per resource; the role's is the one change.
    expect(drift.steps.find((s) => s.type === "postgresql:index/role:Role")?.op).toBe("refresh");
    expect(drift.changeSummary.update, JSON.stringify(drift.changeSummary)).toBe(1);
    // What a person reads in the preview: the role is to be updated (the summary above: the only update).
    expect(drift.stdout).toMatch(/~ {2}postgresql:index:Role flipt-database-role update/);
    expect(roleRow(PROD_DB.role.name)).toBe("t|f|f|f|f|5");
    expectOk(await run("up", "prod", task, { refresh: true }));
    expect(roleRow(PROD_DB.role.name)).toBe(`t|f|f|f|f|${PROD_DB.role.connectionLimit}`);
  });

  it("prod: destroy is refused at the first protected resources it reaches, naming them, and changes nothing", async ({ task }) => {
    const dsn = await liveDsn(PROD_SETTINGS);
    const password = decodeURIComponent(new URL(dsn).password);
    env.postgres!.server.psqlAs(PROD_DB.role.name, password, ["CREATE TABLE kept (note text)", `INSERT INTO kept VALUES ('${KEPT_ROW}')`], PROD_DB.database.name);
    const before = resourcesInState("prod");
    const result = await run("destroy", "prod", task);
    expect(result.ok).toBe(false);
    const output = `${result.stdout}\n${result.stderr}\n${result.diagnostics.map((d) => d.message).join("\n")}`;
    // protectStack: every resource is protected, so the first deletions fail and none is made.
    // The database is among the first (nothing depends on it); the role comes after it, so it is never reached.
    expect(output).toMatch(/postgresql:index\/database:Database::flipt-database-database\\?" cannot be deleted/);
    expect(output).toMatch(/because it is protected/);
    figure(task, "refusal", [...new Set(output.split("\n").filter((line) => /cannot be deleted/.test(line)).map((l) => l.replace(/^.*error: /, "").trim()))].length + " resources named");
    expect(resourcesInState("prod")).toBe(before);
    expect(await api().get("v1", "Namespace", PROD_SETTINGS.namespace)).toBeDefined();
    expect(await api().get("apps/v1", "Deployment", objectNames().deployment, PROD_SETTINGS.namespace)).toBeDefined();
    const patched = PROD_SETTINGS.services.targets.find((t) => t.existingConfigMap)!;
    const serviceConfigMap = await api().get("v1", "ConfigMap", patched.existingConfigMap!, patched.namespace);
    expect(serviceConfigMap?.data?.FLIPT_URL).toBe("http://flipt.flipt-prod.svc.cluster.local:8080");
    expect(roleRow(PROD_DB.role.name)).not.toBe("");
    expect(sql("SELECT note FROM kept", PROD_DB.database.name)).toBe(KEPT_ROW);
  });

  it("prod: after state unprotect --all, destroy removes the Kubernetes objects and keeps the role and the database with their data", async ({ task }) => {
    const unprotect = env.engine.cli("prod", ["state", "unprotect", "--all", "--yes"]);
    expect(unprotect.ok, unprotect.output).toBe(true);
    const result = expectOk(await run("destroy", "prod", task));
    figure(task, "prod deleted", result.changeSummary.delete);
    expect(await api().get("v1", "Namespace", PROD_SETTINGS.namespace)).toBeUndefined();
    expect(await api().get("autoscaling/v2", "HorizontalPodAutoscaler", objectNames().autoscaler, PROD_SETTINGS.namespace)).toBeUndefined();
    expect(resourcesInState("prod")).toBe(0);
    expect(roleRow(PROD_DB.role.name)).toBe(`t|f|f|f|f|${PROD_DB.role.connectionLimit}`);
    expect(databaseOwner(PROD_DB.database.name)).toBe(PROD_DB.role.name);
    expect(sql("SELECT note FROM kept", PROD_DB.database.name)).toBe(KEPT_ROW);
  });

  it("prod: a running prod with fixed replicas switches to autoscaling without dropping below its minimum, after the handover docs/deploying.md gives", async ({ task }) => {
    // A stack of its own from prod's file (prod's role and database were retained by the destroy above).
    const name = "prod-switch";
    const namespace = readStack("prod", { name }).settings.namespace;
    const minimum = PROD_SETTINGS.autoscaling!.minReplicas;
    const fixed: StackConfig = { plain: { ...prod.config.plain, "flipt-deploy:autoscaling": false, "flipt-deploy:replicas": minimum }, secrets: prod.config.secrets };
    const replicas = async () => ((await api().get("apps/v1", "Deployment", objectNames().deployment, namespace)) as any)?.spec.replicas as number | undefined;
    expectOk(await env.engine.run("up", name, fixed));
    expect(await replicas()).toBe(minimum);
    // The handover (Kubernetes' documented way to move replicas to an autoscaler under server-side apply):
    // a second field manager sets the same value, so the field stays when Pulumi stops setting it.
    await api().apply({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: objectNames().deployment, namespace }, spec: { replicas: minimum } }, HANDOVER_FIELD_MANAGER);
    const seen = new Set<number>();
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const value = await replicas().catch(() => undefined);
        if (value !== undefined) seen.add(value);
        await sleep(100);
      }
    })();
    const up = await env.engine.run("up", name, prod.config);
    figure(task, "up with autoscaling", `${up.seconds}s`);
    await sleep(3000);
    watching = false;
    await watch;
    expectOk(up);
    figure(task, "replicas seen during the switch", [...seen].sort().join(", "));
    expect(await api().get("autoscaling/v2", "HorizontalPodAutoscaler", objectNames().autoscaler, namespace)).toBeDefined();
    expect(Math.min(...seen), `replicas seen: ${[...seen].join(", ")}`).toBeGreaterThanOrEqual(minimum);
    expect(env.engine.cli(name, ["state", "unprotect", "--all", "--yes"]).ok).toBe(true);
    expectOk(await env.engine.run("destroy", name, prod.config));
    expect(await api().get("v1", "Namespace", namespace)).toBeUndefined();
  });

  it("dev in postgres mode: up makes its role and database, destroy drops them", async ({ task }) => {
    const up = expectOk(await run("up", "dev", task));
    figure(task, "dev resources", resourcesInState("dev"));
    expect(up.changeSummary.create).toBeGreaterThan(0);
    expect(roleRow(DEV_DB.role.name)).toBe(`t|f|f|f|f|${DEV_DB.role.connectionLimit}`);
    expect(databaseOwner(DEV_DB.database.name)).toBe(DEV_DB.role.name);
    const destroy = expectOk(await run("destroy", "dev", task));
    figure(task, "dev deleted", destroy.changeSummary.delete);
    expect(roleRow(DEV_DB.role.name)).toBe("");
    expect(databaseOwner(DEV_DB.database.name)).toBe("");
  });
});
