/**
 * What a stack finds in its cluster before `pulumi up`: the Prometheus Operator's CRDs, the
 * monitoring namespace, the services' namespaces, and each patched service's own ConfigMap,
 * applied by another field manager (as the service's Helm release would) with keys of its own.
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

export interface ExistingWorld {
  readonly crds: readonly string[];
  readonly namespaces: readonly string[];
  readonly configMaps: readonly KubeObject[];
}

/** Creates the world for the stacks whose settings are given (their services and monitoring namespace). */
export async function createExistingWorld(api: KubeApi, crdDir: string, stacks: readonly Settings[]): Promise<ExistingWorld> {
  const crds = await applyCrds(api, crdDir);
  const targets = stacks.flatMap((s) => s.services.targets);
  const namespaces = [...new Set([...stacks.map((s) => s.monitoring.namespace), ...targets.map((t) => t.namespace)])].sort();
  for (const namespace of namespaces) await applyNamespace(api, namespace);
  const configMaps: KubeObject[] = [];
  for (const target of targets.filter((t) => t.existingConfigMap)) {
    configMaps.push(await api.apply(serviceOwnConfigMap(target), SERVICE_RELEASE_MANAGER));
  }
  return { crds, namespaces, configMaps };
}
