/**
 * The engine tier: the real Pulumi engine and Kubernetes provider run the program (index.ts)
 * against a real control plane. The scenarios share one cluster and run in file order (up before
 * the checks of what it made, destroy last); tests/engine/README.md lists them.
 */
import * as fs from "node:fs";
import * as yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dashboardConfigMapName } from "../../../builders/dashboard";
import { SQLITE_URL } from "../../../builders/database";
import { FLIPT, fliptGrpcAddress, fliptUrl, objectNames } from "../../../builders/names";
import { CREATED_CONFIG_MAP_SUFFIX, PATCH_ANNOTATIONS, serviceConfigMapName } from "../../../builders/serviceConfig";
import { stackObjectSpecs } from "../../../builders/stackObjects";
import { evaluationExample } from "../../../scripts/deployLocal/evaluation";
import { liveFlipt } from "../../../scripts/deployLocal/liveObjects";
import { checkpointResources, NODE_LEASE_SECONDS, NODE_NAME, SERVICE_RELEASE_MANAGER, serviceOwnConfigMap, serviceOwnData, KubeObject, managersOf, OperationResult } from "../../../scripts/lib/localWorld";
import { startFlagsServer } from "../../../scripts/lib/flagsServer";
import { startLiveRelay } from "../../../scripts/lib/liveRelay";
import { prepareLocalFlipt, REPOSITORY_FLAGS_ROOT, repositoryFlagsDir } from "../../../scripts/lib/localFlipt";
import { FLAGS_ROOT } from "../../../settings/environments";
import { fliptUnavailableReason, toolchainPaths } from "../../../scripts/toolchain/paths";
import { FLIPT_URL_KEY } from "../../../settings/parse";
import { ServiceTarget } from "../../../settings/types";
import { figure } from "../../e2e/harness/summary";
import { writeArtifact } from "../artifacts";
import { differencesFromLive, secretAsLive } from "../compare";
import { waitFor } from "../../../scripts/lib/processes";
import { EngineStack, engineStack, engineStackConfig, EngineWorld, startEngineWorld } from "../harness";

type Task = Parameters<typeof figure>[0];

const REVIEW = engineStack("pr-42");
const DEV = engineStack("dev");
/** A stack (dev's configuration) whose one service's ConfigMap already has FLIPT_URL, written and owned by the service's release. */
const CONFLICT_SERVICES = { services: ["owner/owner-api?configMap=owner-api-env"] };
const CONFLICT = engineStack("conflicting", CONFLICT_SERVICES, "dev");
const CONFLICT_FORCED = engineStack("conflicting", { ...CONFLICT_SERVICES, serviceForceConflicts: true }, "dev", CONFLICT.secrets);
const CONFLICT_TARGET = CONFLICT.settings.services.targets[0];
const RELEASE_FLIPT_URL = "http://flipt.platform-legacy.svc.cluster.local:8080";
/** Scenario 5's change: a new image tag and a new poll interval. */
const CHANGED_IMAGE = "docker.flipt.io/flipt/flipt:v1.61.0";
const CHANGED_POLL = "20s";
const DEV_CHANGED = engineStack("dev", { image: CHANGED_IMAGE, gitPollInterval: CHANGED_POLL }, "dev", DEV.secrets);
/** Two invalid keys (dev's configuration otherwise): the program must report both, one line each. */
const BAD = engineStackConfig("misconfigured", { gitPollInterval: "5 minutes", replicas: 0 }, "dev");

/** A migrated boolean flag without rollouts, as dev's flags/ defines it: its value is its `enabled`. */
const MIGRATED_FLAG = evaluationExample(repositoryFlagsDir("dev"));

let env: EngineWorld;
let devOutputs: OperationResult["outputs"] = {};

beforeAll(async () => {
  env = await startEngineWorld([REVIEW, DEV, CONFLICT]);
  // The conflicting service's release writes FLIPT_URL itself (pointing at an older Flipt).
  await env.cluster.api.apply(
    serviceOwnConfigMap(CONFLICT_TARGET, { ...serviceOwnData(CONFLICT_TARGET), [FLIPT_URL_KEY]: RELEASE_FLIPT_URL }),
    SERVICE_RELEASE_MANAGER,
  );
}, 180_000);

afterAll(async () => {
  await env?.supervisor.stopAll();
});

const api = () => env.cluster.api;

async function run(op: "preview" | "up" | "destroy", stack: Pick<EngineStack, "name" | "config">, task: Task, options: { diff?: boolean } = {}) {
  const result = await env.engine.run(op, stack.name, stack.config, { diff: options.diff });
  figure(task, `${op} ${stack.name}`, `${result.seconds}s`);
  return result;
}

function expectOk(result: OperationResult): OperationResult {
  if (!result.ok) throw new Error(`pulumi failed: ${result.error}`);
  return result;
}

function identity(o: { kind?: string; namespace?: string; name?: string; metadata?: { name?: string; namespace?: string } }): string {
  return `${o.kind}/${o.metadata?.namespace ?? o.namespace ?? ""}/${o.metadata?.name ?? o.name}`;
}

/** Steps on Kubernetes objects (not the provider itself). */
function kubernetesSteps(result: OperationResult) {
  return result.steps.filter((s) => s.type.startsWith("kubernetes:") && !s.type.startsWith("pulumi:providers:"));
}

const isPatch = (object: KubeObject) => object.metadata.annotations?.[PATCH_ANNOTATIONS.fieldManager] !== undefined;

async function live(object: KubeObject): Promise<KubeObject | undefined> {
  return api().get(object.apiVersion, object.kind, object.metadata.name, object.metadata.namespace);
}

/** What the dev stack should have created, with the real secret values in place of render's placeholders. */
function devExpected(): KubeObject[] {
  const bootstrapToken = String(devOutputs.bootstrapToken?.value);
  return stackObjectSpecs(DEV.settings, { dbUrl: SQLITE_URL, bootstrapToken, gitCredential: DEV.secrets.gitCredential }) as unknown as KubeObject[];
}

/** The pods of Flipt's Deployment (the namespace also holds the flags relay's). */
async function fliptPods(namespace: string): Promise<any[]> {
  return (await api().list("v1", "Pod", namespace)).filter((p) => p.metadata.name.startsWith(`${objectNames().deployment}-`));
}

/** The dev stack's Flipt Deployment as the API server holds it now. */
async function devDeployment(): Promise<any> {
  return api().get("apps/v1", "Deployment", objectNames().deployment, DEV.settings.namespace);
}

function patchedTargets(): ServiceTarget[] {
  return DEV.settings.services.targets.filter((t) => t.existingConfigMap);
}

async function configMapOf(target: ServiceTarget): Promise<KubeObject | undefined> {
  return api().get("v1", "ConfigMap", serviceConfigMapName(target), target.namespace);
}

describe("1. Preview of a new review stack", () => {
  it("lists exactly the objects npm run render writes for pr-42, and nothing of PostgreSQL or Grafana", async ({ task }) => {
    figure(task, "control plane ready", `${(env.cluster.startMs / 1000).toFixed(1)}s`);
    const result = expectOk(await run("preview", REVIEW, task));
    const previewed = kubernetesSteps(result);
    expect(new Set(previewed.map((s) => s.op))).toEqual(new Set(["create"]));
    expect(previewed.map(identity).sort()).toEqual(REVIEW.rendered.map(identity).sort());
    const otherTypes = new Set(result.steps.map((s) => s.type).filter((t) => !/^(kubernetes|pulumi|flipt-deploy):/.test(t)));
    expect([...otherTypes]).toEqual(["random:index/randomPassword:RandomPassword"]);
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    figure(task, "objects", previewed.length);
  });

  it("creates nothing", async () => {
    expect(await api().get("v1", "Namespace", REVIEW.settings.namespace)).toBeUndefined();
  });
});

describe("2. Up", () => {
  it("completes, with Pulumi's own await on the Deployment, and outputs the in-cluster URLs", async ({ task }) => {
    const result = expectOk(await run("up", DEV, task));
    devOutputs = result.outputs;
    expect(devOutputs.fliptUrl.value).toBe(fliptUrl(DEV.settings));
    expect(devOutputs.fliptUrl.value).toBe("http://flipt.flipt-dev.svc.cluster.local:8080");
    expect(devOutputs.fliptGrpcAddress.value).toBe(fliptGrpcAddress(DEV.settings));
    expect(devOutputs.namespace.value).toBe("flipt-dev");
    expect(devOutputs.bootstrapToken.secret).toBe(true);
    expect(result.changeSummary.create).toBeGreaterThan(0);
    figure(task, "created", result.changeSummary.create);
  });

  it("every rendered object exists in the API server with the rendered content", async ({ task }) => {
    const expected = devExpected();
    for (const object of expected) {
      const found = await live(object);
      expect(found, identity(object)).toBeDefined();
      const want = object.kind === "Secret" ? secretAsLive(object) : object;
      // A patch body's own annotations configure the provider; the patched fields are checked in scenario 3.
      const { annotations, ...metadata } = want.metadata;
      const comparable = isPatch(object) ? { ...want, metadata: { ...metadata } } : want;
      expect(differencesFromLive(comparable, found), identity(object)).toEqual([]);
    }
    figure(task, "objects checked", expected.length);
  });

  it("the Deployment is Available with its pod Running and Ready on the simulated node", async () => {
    const namespace = DEV.settings.namespace;
    const deployment = await devDeployment();
    expect(deployment.status.availableReplicas).toBe(DEV.settings.replicas);
    expect(deployment.status.conditions.find((c: any) => c.type === "Available").status).toBe("True");
    const pods = await fliptPods(namespace);
    expect(pods).toHaveLength(DEV.settings.replicas);
    expect(pods[0].spec.nodeName).toBe(NODE_NAME);
    expect(pods[0].status.phase).toBe("Running");
  });

  it("the simulated node renews its Lease, so a late status heartbeat does not mark its pods NotReady", async ({ task }) => {
    const lease = async () => ((await api().get("coordination.k8s.io/v1", "Lease", NODE_NAME, "kube-node-lease")) as any)?.spec;
    const first = await lease();
    expect(first?.leaseDurationSeconds).toBe(NODE_LEASE_SECONDS);
    const started = Date.now();
    // kwok renews every quarter of the duration (10 s); a renewal within the duration is the proof.
    const renewed = await waitFor(async () => {
      const now = await lease();
      return now?.renewTime !== first.renewTime && now;
    }, { timeoutMs: NODE_LEASE_SECONDS * 1000, intervalMs: 500, what: `a renewal of node ${NODE_NAME}'s Lease` });
    figure(task, "lease renewed after", `${((Date.now() - started) / 1000).toFixed(1)}s`);
    expect(Date.parse(renewed.renewTime)).toBeGreaterThan(Date.parse(first.renewTime));
    const pods = await fliptPods(DEV.settings.namespace);
    expect(pods[0].status.conditions.find((c: any) => c.type === "Ready").status).toBe("True");
  });

  it("PodSecurity restricted admits the pod template in its namespace and rejects a weakened copy", async () => {
    const namespace = DEV.settings.namespace;
    const ns = await api().get("v1", "Namespace", namespace);
    expect(ns?.metadata.labels?.["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    const deployment = await devDeployment();
    const pod = (spec: any): KubeObject => ({ apiVersion: "v1", kind: "Pod", metadata: { name: "admission-probe", namespace }, spec });
    const admitted = await api().dryRunCreate(pod(deployment.spec.template.spec));
    expect(admitted.status, JSON.stringify(admitted.body)).toBe(201);

    const weakened = structuredClone(deployment.spec.template.spec);
    weakened.containers[0].securityContext = { ...weakened.containers[0].securityContext, allowPrivilegeEscalation: true, runAsNonRoot: false };
    const rejected = await api().dryRunCreate(pod(weakened));
    expect(rejected.status).toBe(403);
    expect(rejected.body.message).toMatch(/violates PodSecurity "restricted:latest".*allowPrivilegeEscalation/);
  });

  it("the ServiceMonitor and PrometheusRule are stored through the Prometheus Operator's CRDs", async () => {
    const namespace = DEV.settings.namespace;
    const monitor = (await api().get("monitoring.coreos.com/v1", "ServiceMonitor", objectNames().serviceMonitor, namespace)) as any;
    expect(monitor.spec.endpoints[0].port).toBe(FLIPT.httpPortName);
    const rule = (await api().get("monitoring.coreos.com/v1", "PrometheusRule", objectNames().prometheusRule, namespace)) as any;
    expect(rule.spec.groups.flatMap((g: any) => g.rules.map((r: any) => r.alert))).toContain("FliptDown");
  });
});

describe("3. FLIPT_URL reaches the services", () => {
  it("each existing ConfigMap gets FLIPT_URL, owned by this program's field manager; the release's keys stay", async ({ task }) => {
    for (const target of patchedTargets()) {
      const configMap = (await configMapOf(target))!;
      expect(configMap.data).toEqual({ ...serviceOwnData(target), [FLIPT_URL_KEY]: fliptUrl(DEV.settings) });
      expect(managersOf(configMap, ["f:data", `f:${FLIPT_URL_KEY}`])).toEqual([DEV.settings.services.fieldManager]);
      for (const key of Object.keys(serviceOwnData(target))) {
        expect(managersOf(configMap, ["f:data", `f:${key}`]), key).toEqual([SERVICE_RELEASE_MANAGER]);
      }
      expect(configMap.metadata.labels?.["app.kubernetes.io/managed-by"]).toBe("Helm");
    }
    figure(task, "patched", patchedTargets().length);
  });

  it("a service without a ConfigMap of its own gets a created <name>-flipt ConfigMap", async ({ task }) => {
    const created = DEV.settings.services.targets.filter((t) => !t.existingConfigMap);
    for (const target of created) {
      const configMap = (await configMapOf(target))!;
      expect(configMap.metadata.name).toBe(`${target.name}${CREATED_CONFIG_MAP_SUFFIX}`);
      expect(configMap.data?.[FLIPT_URL_KEY]).toBe(fliptUrl(DEV.settings));
    }
    expect(devOutputs.serviceConfig.value).toMatchObject({ "gate/control-api": { kind: "created", configMap: "control-api-flipt" } });
    figure(task, "created", created.length);
  });

  it("where the service's release already owns FLIPT_URL, up fails naming that manager and changes nothing in it", async ({ task }) => {
    const result = await run("up", CONFLICT, task);
    expect(result.ok).toBe(false);
    const output = `${result.stdout}\n${result.stderr}`;
    figure(task, "output", writeArtifact("up-flipt-url-owned-by-another-manager.txt", output));
    expect(output).toMatch(/conflict/i);
    expect(output).toContain(`"${SERVICE_RELEASE_MANAGER}"`);
    expect(output).toContain(".data.FLIPT_URL");
    const configMap = (await configMapOf(CONFLICT_TARGET))!;
    expect(configMap.data?.[FLIPT_URL_KEY]).toBe(RELEASE_FLIPT_URL);
    expect(managersOf(configMap, ["f:data", `f:${FLIPT_URL_KEY}`])).toEqual([SERVICE_RELEASE_MANAGER]);
  });

  it("with serviceForceConflicts the key is taken over, and destroy removes it while the release's keys stay", async ({ task }) => {
    expectOk(await run("up", CONFLICT_FORCED, task));
    let configMap = (await configMapOf(CONFLICT_TARGET))!;
    expect(configMap.data?.[FLIPT_URL_KEY]).toBe(fliptUrl(CONFLICT.settings));
    expect(managersOf(configMap, ["f:data", `f:${FLIPT_URL_KEY}`])).toEqual([CONFLICT.settings.services.fieldManager]);

    expectOk(await run("destroy", CONFLICT_FORCED, task));
    configMap = (await configMapOf(CONFLICT_TARGET))!;
    expect(configMap.data).toEqual(serviceOwnData(CONFLICT_TARGET));
  });
});

describe("4. No perpetual diff", () => {
  it("a second preview right after up reports no changes", async ({ task }) => {
    const result = expectOk(await run("preview", DEV, task));
    expect(result.steps.map((s) => `${s.op} ${s.urn}`)).toEqual([]);
    expect(Object.keys(result.changeSummary).filter((op) => op !== "same")).toEqual([]);
    figure(task, "unchanged", result.changeSummary.same ?? 0);
  });
});

describe("8. Secrets", () => {
  it("the bootstrap token and the Git credential are in their Secrets only: no ConfigMap, annotation or plaintext state", async ({ task }) => {
    const values = [String(devOutputs.bootstrapToken.value), DEV.secrets.gitCredential];
    const namespace = DEV.settings.namespace;
    const secret = (name: string) => api().get("v1", "Secret", name, namespace) as Promise<any>;
    // Not vacuous: the values are where they belong.
    expect(Buffer.from((await secret(objectNames().bootstrapSecret)).data.token, "base64").toString()).toBe(values[0]);
    expect(Buffer.from((await secret(objectNames().gitSecret)).data.credential, "base64").toString()).toBe(values[1]);

    const namespaces = [...new Set([namespace, ...DEV.settings.services.targets.map((t) => t.namespace), DEV.settings.monitoring.dashboardNamespace])];
    let scanned = 0;
    for (const ns of namespaces) {
      for (const configMap of await api().list("v1", "ConfigMap", ns)) {
        scanned++;
        for (const value of values) expect(JSON.stringify(configMap), `${ns}/${configMap.metadata.name}`).not.toContain(value);
      }
      for (const kind of [["v1", "Secret"], ["apps/v1", "Deployment"], ["v1", "Service"]] as const) {
        for (const object of await api().list(kind[0], kind[1], ns)) {
          for (const value of values) expect(JSON.stringify(object.metadata.annotations ?? {})).not.toContain(value);
        }
      }
    }
    const state = fs.readFileSync(env.engine.stateFile(DEV.name), "utf8");
    for (const value of values) expect(state).not.toContain(value);
    expect(state).toContain("ciphertext");
    figure(task, "ConfigMaps scanned", scanned);
  });
});

describe("9. What up created, boots", () => {
  const unavailable = fliptUnavailableReason(toolchainPaths());
  const name = "Flipt started from the ConfigMap, Deployment and Secrets read back from the API server, behind the flags relay started from them, serves a migrated flag";
  it.skipIf(unavailable !== undefined)(unavailable === undefined ? name : `${name} (skipped: ${unavailable})`, async ({ task }) => {
    const names = objectNames();
    const namespace = DEV.settings.namespace;
    const rendered = await liveFlipt(api(), namespace);
    // The Git server demands the credential the live Secret holds: the relay, which holds it, must send it (Flipt has none).
    const upstream = await startFlagsServer({
      supervisor: env.supervisor,
      gitBin: env.paths.gitBin,
      git: DEV.settings.git,
      dir: env.supervisor.tempDir("flipt-lifecycle-upstream"),
      source: REPOSITORY_FLAGS_ROOT,
      into: FLAGS_ROOT,
      credential: rendered.secrets.get(names.gitSecret)?.credential,
    });
    const relay = (await startLiveRelay({ supervisor: env.supervisor, api: api(), server: env.cluster.server, ca: env.cluster.caCert, namespace, upstreamUrl: upstream.url }))!;
    expect(relay, "dev's live objects have a flags relay").toBeDefined();
    const local = await prepareLocalFlipt({
      supervisor: env.supervisor,
      fliptBin: env.paths.fliptBin,
      gitBin: env.paths.gitBin,
      stack: DEV.name,
      flagsDir: REPOSITORY_FLAGS_ROOT,
      flagsServer: upstream,
      repositoryUrl: relay.repositoryUrl,
      rendered,
    });
    const started = Date.now();
    await local.flipt.start();
    figure(task, "healthy after", `${Date.now() - started} ms`);
    expect(await MIGRATED_FLAG.evaluate(local.flipt.url)).toBe(MIGRATED_FLAG.enabled);
    expect((await relay.serving()).goodUpstreamCommit).toBe(upstream.repository.head());
    await local.flipt.stop();
    await relay.stop();
  });
});

describe("5. A change reviews well", () => {
  it("preview --diff shows updates of exactly the objects whose rendered content changed, no replacement", async ({ task }) => {
    const result = expectOk(await run("preview", DEV_CHANGED, task, { diff: true }));
    // Kept whatever the assertions find: it is what the pull request's comment would carry.
    figure(task, "diff", writeArtifact("preview-diff-image-and-poll-interval.txt", result.stdout));
    const steps = result.steps.map((s) => `${s.op} ${identity(s)}`).sort();
    const before = new Map(DEV.rendered.map((o) => [identity(o), JSON.stringify(o)]));
    const changedInRender = DEV_CHANGED.rendered.filter((o) => before.get(identity(o)) !== JSON.stringify(o)).map(identity);
    expect(steps).toEqual(changedInRender.map((id) => `update ${id}`).sort());
    // The config file and the pod template (image, checksum/config); the dashboard's "since last
    // Git sync" threshold and description are derived from the poll interval.
    expect(changedInRender.sort()).toEqual([
      `ConfigMap/${DEV.settings.monitoring.dashboardNamespace}/${dashboardConfigMapName(DEV.settings)}`,
      `ConfigMap/${DEV.settings.namespace}/${objectNames().config}`,
      `Deployment/${DEV.settings.namespace}/${objectNames().deployment}`,
    ].sort());
    // The fields a reviewer must see, before => after (the provider diffs the config file's YAML by key).
    expect(result.stdout).toContain(`image: "${DEV.settings.image}" => "${CHANGED_IMAGE}"`);
    expect(result.stdout).toContain(`poll_interval: "${DEV.settings.git.pollInterval}" => "${CHANGED_POLL}"`);
    expect(result.stdout).toMatch(/checksum\/config: "[0-9a-f]{64}" => "[0-9a-f]{64}"/);
    expect(result.stdout).not.toMatch(/\breplace/);
  });

  it("up applies it: the new image and config are live and the pods rolled", async ({ task }) => {
    const namespace = DEV.settings.namespace;
    const before = await devDeployment();
    const result = expectOk(await run("up", DEV_CHANGED, task));
    expect(result.changeSummary.update).toBe(3);
    expect(result.changeSummary.replace).toBeUndefined();
    const after = await devDeployment();
    expect(after.spec.template.spec.containers[0].image).toBe(CHANGED_IMAGE);
    expect(after.spec.template.metadata.annotations["checksum/config"]).not.toBe(before.spec.template.metadata.annotations["checksum/config"]);
    expect(after.metadata.generation).toBeGreaterThan(before.metadata.generation);
    expect(after.status.updatedReplicas).toBe(DEV.settings.replicas);
    const configMap = (await api().get("v1", "ConfigMap", objectNames().config, namespace)) as any;
    expect((yaml.load(configMap.data[FLIPT.configFile]) as any).storage.git.poll_interval).toBe(CHANGED_POLL);
  });
});

describe("6. Destroy", () => {
  it("removes what the stack created, takes FLIPT_URL out of the patched ConfigMaps, deletes the namespace", async ({ task }) => {
    const result = expectOk(await run("destroy", DEV_CHANGED, task));
    // Every object the stack made, plus its random password, components, stack and provider.
    expect(result.changeSummary.delete).toBeGreaterThan(DEV.rendered.length);
    expect(await api().get("v1", "Namespace", DEV.settings.namespace)).toBeUndefined();
    for (const target of DEV.settings.services.targets) {
      const configMap = await configMapOf(target);
      if (target.existingConfigMap) {
        expect(configMap?.data).toEqual(serviceOwnData(target));
        expect(managersOf(configMap!, ["f:data"])).toEqual([SERVICE_RELEASE_MANAGER]);
      } else {
        expect(configMap, `${target.namespace}/${serviceConfigMapName(target)}`).toBeUndefined();
      }
    }
    figure(task, "deleted", result.changeSummary.delete);
  });

  it("leaves an empty stack", () => {
    expect(fs.existsSync(env.engine.stateFile(DEV.name))).toBe(true);
    expect(checkpointResources(env.engine.stateFile(DEV.name))).toEqual([]);
  });
});

describe("7. Bad configuration through the real engine", () => {
  it("fails at preview with one line per problem, no stack trace, and creates nothing", async ({ task }) => {
    const result = await run("preview", BAD, task);
    expect(result.ok).toBe(false);
    const output = `${result.stdout}\n${result.stderr}`;
    expect(output).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    // The program's one error: a line per problem, each naming the key, the value and the expected form.
    const errors = [...new Set(result.diagnostics.filter((d) => d.severity === "error").map((d) => d.message.trim()))];
    expect(errors).toHaveLength(1);
    expect(errors[0].split("\n").sort()).toEqual([
      'flipt-deploy:gitPollInterval: "5 minutes" is invalid; expected a Go duration between 1s and 1h, such as 10s, 30s or 1m30s',
      'flipt-deploy:replicas: "0" is invalid; expected an integer from 1 to 10',
    ]);
    expect(await api().get("v1", "Namespace", `flipt-${BAD.name}`)).toBeUndefined();
    expect(checkpointResources(env.engine.stateFile(BAD.name))).toEqual([]);
  });
});
