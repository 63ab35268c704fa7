/**
 * What a stack finds in its cluster before `pulumi up`: the Prometheus Operator's CRDs, the
 * monitoring namespace, the services' namespaces, each patched service's own ConfigMap, applied by
 * another field manager (as the service's Helm release would) with keys of its own, and storage: a
 * default StorageClass with PersistentVolumes for the flags relay's claims, as a cluster whose
 * administrator provides volumes (a no-provisioner class and static volumes, kept free by a
 * reclaimer as sig-storage-local-static-provisioner does).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { waitFor } from "../../processes";
import { ServiceTarget, Settings } from "../../../../settings/types";
import { KubeApi, KubeObject } from "./kubeApi";

/** The field manager of the services' own configuration. */
export const SERVICE_RELEASE_MANAGER = "helm";
const CLUSTER_ADMIN_MANAGER = "cluster-bootstrap";

/** A patched service's own keys, which `pulumi up` and `pulumi destroy` must leave alone. */
export function serviceOwnData(target: ServiceTarget): Record<string, string> {
  return { SERVICE_NAME: target.name, LOG_LEVEL: "info", HTTP_PORT: "8000" };
}

export function serviceOwnConfigMap(target: ServiceTarget, data: Record<string, string> = serviceOwnData(target)): KubeObject {
  if (!target.existingConfigMap) throw new Error(`${target.namespace}/${target.name} gets a created ConfigMap, not a patched one`);
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: target.existingConfigMap,
      namespace: target.namespace,
      labels: { "app.kubernetes.io/name": target.name, "app.kubernetes.io/managed-by": "Helm" },
      annotations: { "meta.helm.sh/release-name": target.name },
    },
    data,
  };
}

async function applyCrds(api: KubeApi, crdDir: string): Promise<string[]> {
  const names: string[] = [];
  for (const file of fs.readdirSync(crdDir).filter((f) => f.endsWith(".yaml")).sort()) {
    const crd = yaml.load(fs.readFileSync(path.join(crdDir, file), "utf8")) as KubeObject;
    await api.apply(crd, "prometheus-operator");
    names.push(crd.metadata.name);
  }
  for (const name of names) {
    await waitFor(
      async () => {
        const crd = await api.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", name);
        const conditions = (crd?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
        return conditions.some((c) => c.type === "Established" && c.status === "True");
      },
      { timeoutMs: 30_000, what: `CRD ${name} Established` },
    );
  }
  return names;
}

async function applyNamespace(api: KubeApi, name: string): Promise<void> {
  await api.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name } }, CLUSTER_ADMIN_MANAGER);
}

/**
 * The cluster's default StorageClass: no provisioner (the volumes exist beforehand) and binding when
 * a pod uses the claim (WaitForFirstConsumer, as most clusters' default class does), so a claim
 * stays Pending until the relay's pod is scheduled and the scheduler binds it to a volume.
 */
export const LOCAL_STORAGE_CLASS = "local-volumes";
const NO_PROVISIONER = "kubernetes.io/no-provisioner";
/** The label of the world's PersistentVolumes (the reclaimer frees only these). */
export const LOCAL_VOLUME_LABEL = "flipt-deploy.io/local-volume";
/** Volumes per stack with a flags relay: one for its claim, one spare for a claim made while a released one is reclaimed. */
export const VOLUMES_PER_RELAY = 2;

function storageClass(name: string, isDefault: boolean): KubeObject {
  return {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: { name, ...(isDefault ? { annotations: { "storageclass.kubernetes.io/is-default-class": "true" } } : {}) },
    provisioner: NO_PROVISIONER,
    volumeBindingMode: "WaitForFirstConsumer",
    reclaimPolicy: "Retain",
  };
}

/** A static volume: a directory under the cluster's temp dir (kwok runs no container, so nothing writes to it). */
export function localVolume(name: string, className: string, size: string, dir: string): KubeObject {
  return {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name, labels: { [LOCAL_VOLUME_LABEL]: "true" } },
    spec: {
      capacity: { storage: size },
      accessModes: ["ReadWriteOnce"],
      volumeMode: "Filesystem",
      persistentVolumeReclaimPolicy: "Retain",
      storageClassName: className,
      hostPath: { path: path.join(dir, name), type: "Directory" },
    },
  };
}

/** The volumes the stacks' relay claims need: VOLUMES_PER_RELAY per stack, of its storage size, in its class (the default when it names none). */
export function relayVolumes(stacks: readonly Settings[], dir: string): KubeObject[] {
  const groups = new Map<string, { className: string; size: string; count: number }>();
  for (const relay of stacks.map((s) => s.relay)) {
    if (!relay) continue;
    const className = relay.storageClass ?? LOCAL_STORAGE_CLASS;
    const key = `${className}/${relay.storageSize}`;
    const group = groups.get(key) ?? { className, size: relay.storageSize, count: 0 };
    group.count += VOLUMES_PER_RELAY;
    groups.set(key, group);
  }
  const slug = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, "-");
  return [...groups.values()].flatMap(({ className, size, count }) =>
    Array.from({ length: count }, (_, i) => localVolume(`local-${slug(className)}-${slug(size)}-${i}`, className, size, dir)),
  );
}

async function applyStorage(api: KubeApi, stacks: readonly Settings[], volumeDir: string): Promise<{ classes: string[]; volumes: KubeObject[] }> {
  const named = [...new Set(stacks.flatMap((s) => (s.relay?.storageClass ? [s.relay.storageClass] : [])))].filter((c) => c !== LOCAL_STORAGE_CLASS);
  const classes = [LOCAL_STORAGE_CLASS, ...named];
  for (const name of classes) await api.apply(storageClass(name, name === LOCAL_STORAGE_CLASS), CLUSTER_ADMIN_MANAGER);
  const volumes: KubeObject[] = [];
  for (const volume of relayVolumes(stacks, volumeDir)) {
    fs.mkdirSync((volume.spec as { hostPath: { path: string } }).hostPath.path, { recursive: true });
    volumes.push(await api.apply(volume, CLUSTER_ADMIN_MANAGER));
  }
  return { classes, volumes };
}

/**
 * Makes the world's Released volumes Available again, as a local static provisioner does: the
 * directory emptied, the claim reference removed (the PV controller then marks it Available). A
 * real cluster's provisioner makes a new volume for each claim; without this, a destroyed stack's
 * volume would be Released for good and the next `up` of it would wait for one.
 */
export async function reclaimReleasedVolumes(api: KubeApi, volumeDir: string): Promise<string[]> {
  const reclaimed: string[] = [];
  for (const volume of await api.list("v1", "PersistentVolume")) {
    if (volume.metadata.labels?.[LOCAL_VOLUME_LABEL] !== "true" || (volume.status as { phase?: string } | undefined)?.phase !== "Released") continue;
    const dir = (volume.spec as { hostPath?: { path?: string } }).hostPath?.path;
    if (dir && path.resolve(dir).startsWith(`${path.resolve(volumeDir)}${path.sep}`)) {
      for (const entry of fs.readdirSync(dir)) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
    }
    const answer = await api.request("PATCH", `/api/v1/persistentvolumes/${encodeURIComponent(volume.metadata.name)}`, { spec: { claimRef: null } }, "application/merge-patch+json");
    if (answer.status === 200) reclaimed.push(volume.metadata.name);
  }
  return reclaimed;
}

/** Reclaims Released volumes every `intervalMs` until stopped; a failed pass (the API server stopping) is tried again. */
export function startVolumeReclaimer(api: KubeApi, volumeDir: string, intervalMs = 2000): { stop(): Promise<void> } {
  let pass: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    pass = pass.then(() => reclaimReleasedVolumes(api, volumeDir)).catch(() => undefined);
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await pass;
    },
  };
}

export interface ExistingWorld {
  readonly crds: readonly string[];
  readonly namespaces: readonly string[];
  readonly configMaps: readonly KubeObject[];
  /** The StorageClasses, the default (LOCAL_STORAGE_CLASS) first. */
  readonly storageClasses: readonly string[];
  /** The PersistentVolumes made for the stacks' relay claims. */
  readonly volumes: readonly KubeObject[];
}

/**
 * Creates the world for the stacks whose settings are given (their services, monitoring namespace
 * and the relay's volumes, whose directories go under `volumeDir`). Applying it again with other
 * stacks adds theirs.
 */
export async function createExistingWorld(api: KubeApi, crdDir: string, stacks: readonly Settings[], volumeDir: string): Promise<ExistingWorld> {
  const crds = await applyCrds(api, crdDir);
  const targets = stacks.flatMap((s) => s.services.targets);
  const namespaces = [...new Set([...stacks.map((s) => s.monitoring.namespace), ...targets.map((t) => t.namespace)])].sort();
  for (const namespace of namespaces) await applyNamespace(api, namespace);
  const configMaps: KubeObject[] = [];
  for (const target of targets.filter((t) => t.existingConfigMap)) {
    configMaps.push(await api.apply(serviceOwnConfigMap(target), SERVICE_RELEASE_MANAGER));
  }
  const storage = await applyStorage(api, stacks, volumeDir);
  return { crds, namespaces, configMaps, storageClasses: storage.classes, volumes: storage.volumes };
}
