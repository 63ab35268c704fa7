import { answerMessage, kubeRequest, type KubeConnection } from "../scripts/lib/kubeConnection";
import { OVERRIDE_LABEL, RELAY_OBJECTS, STATUS_KEY, type RelayStatus } from "../builders/flagsRelayContract";

/** What the relay reads and writes through the API server: the override objects and its status ConfigMap. */
export class RelayKubernetes {
  constructor(
    private readonly connection: KubeConnection,
    readonly namespace: string,
  ) {}

  private get configMaps(): string {
    return `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/configmaps`;
  }

  /** The override ConfigMaps; throws when the API server cannot be asked (the caller keeps the last list). */
  async overrides(): Promise<{ metadata: { name: string; uid?: string; creationTimestamp?: string }; data?: Record<string, string> }[]> {
    const answer = await kubeRequest(this.connection, "GET", `${this.configMaps}?labelSelector=${encodeURIComponent(OVERRIDE_LABEL)}`);
    if (answer.status !== 200) throw new Error(`listing override ConfigMaps in ${this.namespace}: ${answerMessage(answer)}`);
    return answer.body.items ?? [];
  }

  /** Writes the status ConfigMap (creating it the first time). */
  async writeStatus(status: RelayStatus): Promise<void> {
    const data = { [STATUS_KEY]: `${JSON.stringify(status, null, 2)}\n` };
    const name = RELAY_OBJECTS.statusConfigMap;
    const patched = await kubeRequest(this.connection, "PATCH", `${this.configMaps}/${name}`, { data }, "application/merge-patch+json");
    if (patched.status === 200) return;
    if (patched.status !== 404) throw new Error(`updating ConfigMap ${this.namespace}/${name}: ${answerMessage(patched)}`);
    const body = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name, namespace: this.namespace, labels: { "app.kubernetes.io/name": "flags-relay", "app.kubernetes.io/managed-by": "flags-relay" } },
      data,
    };
    const created = await kubeRequest(this.connection, "POST", this.configMaps, body);
    if (created.status !== 201) throw new Error(`creating ConfigMap ${this.namespace}/${name}: ${answerMessage(created)}`);
  }
}
