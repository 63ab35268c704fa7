/**
 * The flags relay (the in-cluster mirror of the flags repository) through the real engine: dev and
 * prod from their own files, as deploy:local deploys them (the outward-pointing keys replaced),
 * into one control plane whose existing world has a default StorageClass without a provisioner and
 * PersistentVolumes for the relay's claim. After `up`: the relay's objects exist as rendered, its
 * claim is Bound, Flipt's live configuration clones the relay without Git credentials; the relay
 * runs from the live objects against the API server as its ServiceAccount (RBAC enforced), Flipt
 * from the live objects clones it; `flags override` as the on-call person lands in that Flipt, and
 * as a visitor is refused with one line; destroy removes the relay's objects (prod: after the
 * refusal and `state unprotect`, as deploy:local does). Scenarios run in file order.
 * `npm run test:engine -- -t mirror` runs this file alone.
 */
import * as path from "node:path";
import * as yaml from "js-yaml";
import { evaluateBoolean } from "../../../scripts/lib/booleanEvaluation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RELAY, RELAY_METRICS, RELAY_OBJECTS, relayRepositoryName } from "../../../builders/flagsRelayContract";
import { relayProgramChecksum } from "../../../builders/flagsRelay";
import { FLIPT, objectNames } from "../../../builders/names";
import { liveFlipt } from "../../../scripts/deployLocal/liveObjects";
import { localEndpoints, localStackConfig, LocalStackConfig, stackFileSettings } from "../../../scripts/deployLocal/localConfig";
import { serveCommittedFlags, ServedFlags } from "../../../scripts/deployLocal/servedFlags";
import { BOOLEAN_FLAG_TYPE } from "../../../scripts/flags/document";
import { folderFlags, type FoundFlag } from "../../../scripts/flags/flagEdit";
import { readFolder } from "../../../scripts/flags/folder";
import { FliptProcess } from "../../../scripts/lib/fliptProcess";
import { LiveRelay, startLiveRelay } from "../../../scripts/lib/liveRelay";
import { CLUSTER_PEOPLE, checkpointResources, createExistingWorld, KubeApi, KubeObject, LOCAL_KUBE_CONTEXT, LOCAL_STORAGE_CLASS, OperationResult, serviceAccountToken } from "../../../scripts/lib/localWorld";
import { metricValue } from "../../../scripts/lib/metricsExposition";
import { freePort, waitFor } from "../../../scripts/lib/processes";
import { renderSettings } from "../../../scripts/lib/renderedStack";
import { fliptUnavailableReason, toolchainPaths } from "../../../scripts/toolchain/paths";
import { projectDir } from "../../../settings/schema";
import { readStack } from "../../../settings/stackFiles";
import type { Settings } from "../../../settings/types";
import { figure } from "../../e2e/harness/summary";
import { runCliAsync } from "../../flags/helpers";
import { differencesFromLive } from "../compare";
import { EngineWorld, renderedObjects, startEngineWorld } from "../harness";

type Stack = "dev" | "prod";
const STACKS: readonly Stack[] = ["dev", "prod"];
const SETTINGS: Record<Stack, Settings> = { dev: stackFileSettings("dev"), prod: stackFileSettings("prod") };
const ENTITY = "org-mirror-1";
/** On top of the relay's override check and Flipt's poll: a loaded 2-core machine's margin. */
const SLACK_MS = 10_000;
const RBAC = "rbac.authorization.k8s.io/v1";
const FLIPT_UNAVAILABLE = fliptUnavailableReason(toolchainPaths());

let env: EngineWorld;
let flags: ServedFlags;
const configs = {} as Record<Stack, LocalStackConfig>;

beforeAll(async () => {
  env = await startEngineWorld([], { postgresAdmin: SETTINGS.prod.database.postgres!.adminUser });
  await createExistingWorld(env.cluster.api, env.paths.prometheusOperatorCrdDir, STACKS.map((s) => SETTINGS[s]), env.volumeDir);
  flags = await serveCommittedFlags(env.supervisor, env.paths.gitBin, SETTINGS.prod);
  const endpoints = localEndpoints(LOCAL_KUBE_CONTEXT, flags, env.postgres!);
  for (const stack of STACKS) configs[stack] = localStackConfig(stack, endpoints);
}, 180_000);

afterAll(async () => {
  await env?.supervisor.stopAll();
});

const api = () => env.cluster.api;

function expectOk(result: OperationResult): OperationResult {
  if (!result.ok) throw new Error(`pulumi failed: ${result.error}\n${result.stdout.slice(-3000)}`);
  return result;
}

/** What render writes for the stack as deployed here (its file with the outward-pointing keys replaced): the relay's objects. */
function renderedRelayObjects(stack: Stack): KubeObject[] {
  const settings = readStack(stack, { values: configs[stack].config.plain }).settings;
  const names = new Set<string>(Object.values(RELAY_OBJECTS));
  return renderedObjects(renderSettings(settings)).filter((o) => names.has(o.metadata.name) && o.metadata.namespace === settings.namespace);
}

const identity = (o: KubeObject) => `${o.kind}/${o.metadata.name}`;
const live = (o: KubeObject) => api().get(o.apiVersion, o.kind, o.metadata.name, o.metadata.namespace);

/** The stack's first boolean flag without rollouts, whatever flags/ holds today: its served value is its `enabled`. */
function plainBooleanFlag(settings: Settings): FoundFlag {
  const found = folderFlags(readFolder(path.join(projectDir, settings.git.directory))).find((f) => f.type === BOOLEAN_FLAG_TYPE && f.rollouts.length === 0);
  if (!found) throw new Error(`${settings.git.directory} has no boolean flag without rollouts`);
  return found;
}

const evaluate = (flipt: FliptProcess, flag: FoundFlag) => evaluateBoolean(flipt.url, flag, ENTITY);

async function overrideObjects(namespace: string): Promise<string[]> {
  return (await api().list("v1", "ConfigMap", namespace)).map((o) => o.metadata.name).filter((name) => name.startsWith("flags-override-")).sort();
}

function describeMirror(stack: Stack): void {
  const settings = SETTINGS[stack];
  const namespace = settings.namespace;
  const person = (who: keyof typeof CLUSTER_PEOPLE, args: string[]) =>
    runCliAsync(["override", "--stack", stack, ...args, "--kubeconfig", env.cluster.peopleKubeconfigs[who], "--context", stack], { env: {} });
  let relay: LiveRelay | undefined;
  let flipt: FliptProcess | undefined;
  let flag: FoundFlag;
  let boundVolume: string | undefined;

  describe(`flags relay (in-cluster mirror): ${stack}`, () => {
    it(`${stack}: up creates the relay's Deployment, PersistentVolumeClaim (Bound to a volume of the cluster's), Service, NetworkPolicy, ServiceAccount, Roles and RoleBindings as rendered`, async ({ task }) => {
      const result = expectOk(await env.engine.run("up", stack, configs[stack].config));
      figure(task, `up ${stack}`, `${result.seconds}s`);
      const rendered = renderedRelayObjects(stack);
      expect(rendered.map(identity).sort()).toEqual(
        expect.arrayContaining([
          `Deployment/${RELAY_OBJECTS.deployment}`,
          `PersistentVolumeClaim/${RELAY_OBJECTS.claim}`,
          `Service/${RELAY_OBJECTS.service}`,
          `NetworkPolicy/${RELAY_OBJECTS.networkPolicy}`,
          `ServiceAccount/${RELAY_OBJECTS.serviceAccount}`,
          `Role/${RELAY_OBJECTS.role}`,
          `RoleBinding/${RELAY_OBJECTS.roleBinding}`,
          `Role/${RELAY_OBJECTS.overrideRole}`,
          `RoleBinding/${RELAY_OBJECTS.overrideRoleBinding}`,
          `ConfigMap/${RELAY_OBJECTS.program}`,
        ]),
      );
      for (const object of rendered) {
        const found = await live(object);
        expect(found, identity(object)).toBeDefined();
        if (object.kind === "ConfigMap" && object.data?.[RELAY.programFile] !== undefined) {
          // The bundled program (about 180 kB): compared by its checksum, the one the Deployment's checksum/program carries.
          const { data, ...rest } = object;
          // render bundles once per process: a difference here means flags-relay/ (or what it imports) changed while the tier ran.
          expect(relayProgramChecksum(found!.data?.[RELAY.programFile] ?? ""), "the live program's checksum is render's (were the relay's sources edited during the run?)").toBe(relayProgramChecksum(data![RELAY.programFile]));
          expect(differencesFromLive(rest, found), identity(object)).toEqual([]);
        } else expect(differencesFromLive(object, found), identity(object)).toEqual([]);
      }
      figure(task, "relay objects checked", rendered.length);
      // The override Role is bound to the stack's on-call group, the person the harness has in it.
      const binding = (await api().get(RBAC, "RoleBinding", RELAY_OBJECTS.overrideRoleBinding, namespace)) as any;
      expect(binding.subjects.map((s: any) => s.name)).toEqual(settings.relay!.overrideGroups);
      expect(settings.relay!.overrideGroups).toEqual(expect.arrayContaining([...CLUSTER_PEOPLE.oncall.groups]));
      // The claim: the default class given by admission, Bound once the pod was scheduled (WaitForFirstConsumer).
      const claim = (await api().get("v1", "PersistentVolumeClaim", RELAY_OBJECTS.claim, namespace)) as any;
      expect(claim.status.phase).toBe("Bound");
      expect(claim.spec.storageClassName).toBe(settings.relay!.storageClass ?? LOCAL_STORAGE_CLASS);
      boundVolume = claim.spec.volumeName;
      const volume = (await api().get("v1", "PersistentVolume", boundVolume!)) as any;
      expect(volume.spec.claimRef).toMatchObject({ namespace, name: RELAY_OBJECTS.claim });
      expect(volume.spec.capacity.storage).toBe(settings.relay!.storageSize);
      figure(task, "claim bound to", String(boundVolume));
      const deployment = (await api().get("apps/v1", "Deployment", RELAY_OBJECTS.deployment, namespace)) as any;
      expect(deployment.status.availableReplicas).toBe(1);
      const pods = (await api().list("v1", "Pod", namespace)).filter((p) => p.metadata.name.startsWith(`${RELAY_OBJECTS.deployment}-`)) as any[];
      expect(pods).toHaveLength(1);
      expect(pods[0].spec.volumes.find((v: any) => v.persistentVolumeClaim)?.persistentVolumeClaim.claimName).toBe(RELAY_OBJECTS.claim);
    });

    it(`${stack}: Flipt's live configuration clones the relay's Service, with no Git credential`, async () => {
      const configMap = await api().get("v1", "ConfigMap", objectNames().config, namespace);
      const git = (yaml.load(configMap!.data![FLIPT.configFile]) as any).storage.git;
      expect(git.repository).toBe(`http://${RELAY_OBJECTS.service}.${namespace}.svc.cluster.local:${RELAY.port}/${relayRepositoryName(configs[stack].config.plain["flipt-deploy:gitRepository"] as string)}`);
      expect(git.authentication).toBeUndefined();
      const deployment = (await api().get("apps/v1", "Deployment", objectNames().deployment, namespace)) as any;
      const fromGitSecret = deployment.spec.template.spec.containers.flatMap((c: any) => c.env ?? []).filter((e: any) => e.valueFrom?.secretKeyRef?.name === objectNames().gitSecret);
      expect(fromGitSecret).toEqual([]);
    });

    it(`${stack}: the relay from the live objects runs as its ServiceAccount, which RBAC lets read ConfigMaps and write only its status`, async ({ task }) => {
      const started = Date.now();
      relay = (await startLiveRelay({ supervisor: env.supervisor, api: api(), server: env.cluster.server, ca: env.cluster.caCert, namespace, upstreamUrl: flags.url }))!;
      expect(relay, "the live objects have a flags relay").toBeDefined();
      const status = await relay.serving();
      figure(task, "relay serving after", `${Date.now() - started} ms`);
      expect(status.upstreamReachable).toBe(true);
      expect(status.servedCommit).toMatch(/^[0-9a-f]{40}$/);
      expect(metricValue(await relay.relay.metrics(), RELAY_METRICS.upstreamUp)).toBe(1);
      // The same identity the relay runs with: a token the API server issued for its ServiceAccount.
      const asRelay = new KubeApi(env.cluster.server, await serviceAccountToken(api(), namespace, RELAY_OBJECTS.serviceAccount), env.cluster.caCert);
      const review = await asRelay.request("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" });
      expect(review.body.status.userInfo.username).toBe(`system:serviceaccount:${namespace}:${RELAY_OBJECTS.serviceAccount}`);
      expect((await asRelay.request("GET", `/api/v1/namespaces/${namespace}/configmaps`)).status).toBe(200);
      expect((await asRelay.request("GET", `/api/v1/namespaces/${namespace}/secrets`)).status).toBe(403);
      const patch = (name: string) => asRelay.request("PATCH", `/api/v1/namespaces/${namespace}/configmaps/${name}`, { metadata: { labels: { probe: "x" } } }, "application/merge-patch+json");
      expect((await patch(objectNames().config)).status).toBe(403);
      expect((await patch(RELAY_OBJECTS.statusConfigMap)).status).toBe(200);
    });

    it.skipIf(FLIPT_UNAVAILABLE !== undefined)(`${stack}: Flipt from the live objects clones the relay and serves the stack's flags${FLIPT_UNAVAILABLE ? ` (skipped: ${FLIPT_UNAVAILABLE})` : ""}`, async ({ task }) => {
      flag = plainBooleanFlag(settings);
      flipt = new FliptProcess(env.supervisor, {
        fliptBin: env.paths.fliptBin,
        rendered: await liveFlipt(api(), namespace),
        local: { httpPort: await freePort(), grpcPort: await freePort(), repositoryUrl: relay!.repositoryUrl, dataDir: env.supervisor.tempDir(`flipt-mirror-${stack}`) },
        secretValues: {},
      });
      const started = Date.now();
      await flipt.start();
      figure(task, "Flipt healthy after", `${Date.now() - started} ms`);
      figure(task, "flag", `${flag.namespace}/${flag.key}`);
      expect(await evaluate(flipt, flag)).toBe(flag.enabled);
    });

    it.skipIf(FLIPT_UNAVAILABLE !== undefined)(`${stack}: flags override as the on-call person (the flags-override Role through group platform-oncall) lands in that Flipt, and --clear ends it`, async ({ task }) => {
      const flagName = `${flag.namespace}/${flag.key}`;
      const pollMs = settings.git.pollIntervalSeconds * 1000;
      const result = await person("oncall", ["--flag", flagName, "--enabled", String(!flag.enabled), "--reason", "engine tier: on-call breaks glass"]);
      expect(result.stderr).toEqual([]);
      expect(result.code).toBe(0);
      expect(result.stdout[0]).toMatch(new RegExp(`recorded: ConfigMap ${namespace}/flags-override-\\S+, by ${CLUSTER_PEOPLE.oncall.name} at `));
      expect(result.stdout.at(-1)).toMatch(/^relay: applied: /);
      const recorded = Date.now();
      await waitFor(async () => (await evaluate(flipt!, flag)) === !flag.enabled, { timeoutMs: pollMs + SLACK_MS, intervalMs: 200, what: `${flagName} served as ${!flag.enabled} (override)` });
      figure(task, "override recorded to served", `${Date.now() - recorded} ms`);
      const [name] = await overrideObjects(namespace);
      expect((await api().get("v1", "ConfigMap", name, namespace))?.data?.requestedBy).toBe(CLUSTER_PEOPLE.oncall.name);

      const cleared = await person("oncall", ["--clear", "--flag", flagName]);
      expect(cleared.stderr).toEqual([]);
      expect(cleared.code).toBe(0);
      await waitFor(async () => (await evaluate(flipt!, flag)) === flag.enabled, { timeoutMs: pollMs + SLACK_MS, intervalMs: 200, what: `${flagName} served as ${flag.enabled} again (cleared)` });
      expect(await overrideObjects(namespace)).toEqual([]);
    });

    it(`${stack}: the same command as a visitor (in no bound group) is refused with one line naming the flags-override Role, and nothing is created`, async () => {
      const chosen = flag ?? plainBooleanFlag(settings);
      const before = await overrideObjects(namespace);
      const result = await person("visitor", ["--flag", `${chosen.namespace}/${chosen.key}`, "--enabled", String(!chosen.enabled), "--reason", "engine tier: on-call breaks glass"]);
      expect(result.code).not.toBe(0);
      expect(result.stdout).toEqual([]);
      expect(result.stderr).toHaveLength(1);
      expect(result.stderr[0]).toContain(CLUSTER_PEOPLE.visitor.name);
      expect(result.stderr[0]).toContain(`the ${RELAY_OBJECTS.overrideRole} Role`);
      expect(await overrideObjects(namespace)).toEqual(before);
    });

    it(`${stack}: destroy removes the relay's objects, and its volume is Available again`, async ({ task }) => {
      // The relay's and Flipt's pods go with their Deployments.
      await flipt?.stop();
      await relay?.stop();
      const rendered = renderedRelayObjects(stack);
      let result = await env.engine.run("destroy", stack, configs[stack].config);
      if (settings.protectStack) {
        // prod: refused and nothing changed, the relay included; this cluster is throw-away, so unprotect as deploy:local does.
        expect(result.ok).toBe(false);
        for (const object of rendered) expect(await live(object), identity(object)).toBeDefined();
        expect(env.engine.cli(stack, ["state", "unprotect", "--all", "--yes"]).ok).toBe(true);
        result = await env.engine.run("destroy", stack, configs[stack].config);
      }
      expectOk(result);
      figure(task, `destroy ${stack}`, `${result.seconds}s`);
      for (const object of rendered) expect(await live(object), identity(object)).toBeUndefined();
      expect(await api().get("v1", "Namespace", namespace)).toBeUndefined();
      expect(checkpointResources(env.engine.stateFile(stack))).toEqual([]);
      if (boundVolume) {
        await waitFor(async () => ((await api().get("v1", "PersistentVolume", boundVolume!)) as any)?.status?.phase === "Available", { timeoutMs: 30_000, what: `volume ${boundVolume} Available again` });
      }
    });
  });
}

for (const stack of STACKS) describeMirror(stack);
