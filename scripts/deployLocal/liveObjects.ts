/**
 * What `pulumi up` left in the cluster, as a person checks it: every Kubernetes object in the
 * stack's state read back from the API server, and the pods its Deployments made, with whether
 * each is ready.
 */
import { objectNames } from "../../builders/names";
import { KubeApi, KubeObject, checkpointResources } from "../lib/localWorld";
import { fliptFromLiveObjects, RenderedFlipt } from "../lib/fliptProcess";

export interface LiveRow {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly ready: string;
}

/** The Kubernetes objects a stack's checkpoint (the local backend's state file) holds. */
export function stateObjects(stateFile: string): { apiVersion: string; kind: string; name: string; namespace?: string }[] {
  return checkpointResources(stateFile)
    .filter((r) => r.type.startsWith("kubernetes:") && r.outputs?.kind && r.outputs.metadata?.name)
    .map((r) => ({ apiVersion: r.outputs!.apiVersion!, kind: r.outputs!.kind!, name: r.outputs!.metadata!.name!, namespace: r.outputs!.metadata!.namespace }));
}

type Status = { conditions?: { type: string; status: string }[]; [key: string]: unknown };

/** Ready as `kubectl get` shows it: replicas for workloads, a condition for pods, the phase for namespaces and claims; "yes" for objects that are ready by existing. */
export function readiness(object: KubeObject): string {
  const status = (object.status ?? {}) as Status;
  const spec = (object.spec ?? {}) as { replicas?: number };
  switch (object.kind) {
    case "Deployment":
      return `${Number(status.readyReplicas ?? 0)}/${spec.replicas ?? 1}`;
    case "Pod":
      return status.conditions?.find((c) => c.type === "Ready")?.status === "True" ? "yes" : "no";
    case "Namespace":
      return String(status.phase ?? "?");
    case "PersistentVolumeClaim":
      // Bound to a volume, or "no (Pending)": a claim no volume matched keeps its pod unscheduled.
      return status.phase === "Bound" ? "Bound" : `no (${String(status.phase ?? "no phase")})`;
    case "PodDisruptionBudget":
      return `${Number(status.currentHealthy ?? 0)} healthy, ${Number(status.disruptionsAllowed ?? 0)} disruption(s) allowed`;
    default:
      return "yes";
  }
}

/** Rows for every object of the state, read live (a missing one says so), plus the pods in the stack's namespace. */
export async function liveRows(api: KubeApi, stateFile: string, namespace: string): Promise<LiveRow[]> {
  const rows: LiveRow[] = [];
  for (const o of stateObjects(stateFile)) {
    const live = await api.get(o.apiVersion, o.kind, o.name, o.namespace);
    rows.push({ kind: o.kind, namespace: o.namespace ?? "", name: o.name, ready: live ? readiness(live) : "MISSING" });
  }
  for (const pod of await api.list("v1", "Pod", namespace)) {
    rows.push({ kind: "Pod", namespace, name: pod.metadata.name, ready: readiness(pod) });
  }
  return rows;
}

export function formatTable(rows: readonly LiveRow[]): string {
  const header: LiveRow = { kind: "KIND", namespace: "NAMESPACE", name: "NAME", ready: "READY" };
  const all = [header, ...rows];
  const width = (key: keyof LiveRow) => Math.max(...all.map((r) => r[key].length));
  const [k, n, m] = [width("kind"), width("namespace"), width("name")];
  return all.map((r) => `${r.kind.padEnd(k)}  ${r.namespace.padEnd(n)}  ${r.name.padEnd(m)}  ${r.ready}`).join("\n");
}

/** How Flipt runs, from the ConfigMap, Deployment and Secrets the API server holds in its namespace after `up`. */
export async function liveFlipt(api: KubeApi, namespace: string): Promise<RenderedFlipt> {
  const names = objectNames();
  const objects = [
    await api.get("v1", "ConfigMap", names.config, namespace),
    await api.get("apps/v1", "Deployment", names.deployment, namespace),
    ...(await api.list("v1", "Secret", namespace)),
  ].filter((o): o is KubeObject => o !== undefined);
  return fliptFromLiveObjects(objects);
}
