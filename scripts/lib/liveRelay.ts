/**
 * A deployed stack's flags relay on this machine, from what `pulumi up` left in the API server: the
 * relay's Deployment, its program ConfigMap and the Secrets of Flipt's namespace (the stack's Git
 * credential among them) read back, run as localRelay.ts runs them, reading overrides from that
 * API server as the relay's ServiceAccount (a token the API server issues for it, renewed as the
 * kubelet renews a pod's), with the loopback Git server as upstream. `deploy:local` and the engine
 * tier start Flipt from the live objects behind it, since Flipt's live configuration clones the
 * relay and carries no Git credential.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { RELAY_OBJECTS, STATUS_KEY, type RelayStatus } from "../../builders/flagsRelayContract";
import { LocalRelay, relayFromLiveObjects } from "./localRelay";
import { KubeApi, type KubeObject, serviceAccountToken } from "./localWorld";
import { type Supervisor, waitFor } from "./processes";

/** The kubelet renews a projected token at 80 % of its lifetime; serviceAccountToken's last an hour. */
const TOKEN_RENEW_MS = 48 * 60_000;

export interface LiveRelayOptions {
  readonly supervisor: Supervisor;
  /** The cluster's API, as its administrator: reads the live objects and asks for the ServiceAccount's token. */
  readonly api: KubeApi;
  /** The API server's URL and CA certificate, as the relay's pod would find them. */
  readonly server: string;
  readonly ca: string;
  /** Flipt's namespace, where the relay lives. */
  readonly namespace: string;
  /** The loopback Git server's clone URL: the stack's gitRepository here. */
  readonly upstreamUrl: string;
  readonly echo?: NodeJS.WritableStream;
}

export interface LiveRelay {
  readonly relay: LocalRelay;
  /** Where Flipt clones from on this machine (the Service's URL in the cluster). */
  readonly repositoryUrl: string;
  /** The status the relay wrote to its ConfigMap (as its ServiceAccount), or undefined before it did. */
  status(): Promise<RelayStatus | undefined>;
  /** Waits until the relay reports a served commit, and returns that status. */
  serving(timeoutMs?: number): Promise<RelayStatus>;
  stop(): Promise<void>;
}

/** The objects the relay runs from, as the API server holds them; undefined when the stack has no relay. */
export async function liveRelayObjects(api: KubeApi, namespace: string): Promise<KubeObject[] | undefined> {
  const deployment = await api.get("apps/v1", "Deployment", RELAY_OBJECTS.deployment, namespace);
  if (!deployment) return undefined;
  const program = await api.get("v1", "ConfigMap", RELAY_OBJECTS.program, namespace);
  return [deployment, ...(program ? [program] : []), ...(await api.list("v1", "Secret", namespace))];
}

/** Starts the relay from the live objects and waits until it is ready; undefined when the stack has none (a review stack). */
export async function startLiveRelay(options: LiveRelayOptions): Promise<LiveRelay | undefined> {
  const { supervisor, api, namespace } = options;
  const objects = await liveRelayObjects(api, namespace);
  const rendered = objects && relayFromLiveObjects(objects);
  if (!rendered) return undefined;
  const token = () => serviceAccountToken(api, namespace, RELAY_OBJECTS.serviceAccount);
  const dir = supervisor.tempDir(`flipt-relay-${namespace}`);
  const relay = new LocalRelay({
    supervisor,
    rendered,
    upstreamUrl: options.upstreamUrl,
    // The live Secrets hold the real values: no placeholder to fill.
    secretValues: {},
    dataDir: path.join(dir, "volume"),
    namespace,
    api: { server: options.server, ca: options.ca, token: await token() },
    echo: options.echo,
  });
  // LocalRelay keeps the in-pod files beside the volume; the relay re-reads the token at every request.
  const tokenFile = path.join(dir, "serviceaccount", "token");
  const renew = setInterval(() => {
    void token()
      .then((value) => fs.writeFileSync(tokenFile, value, { mode: 0o600 }))
      .catch(() => undefined);
  }, TOKEN_RENEW_MS);
  renew.unref();
  const stop = async () => {
    clearInterval(renew);
    await relay.stop();
  };
  supervisor.onStop(stop);
  await relay.start();
  const status = async (): Promise<RelayStatus | undefined> => {
    const configMap = await api.get("v1", "ConfigMap", RELAY_OBJECTS.statusConfigMap, namespace);
    const text = configMap?.data?.[STATUS_KEY];
    return text === undefined ? undefined : (JSON.parse(text) as RelayStatus);
  };
  return {
    relay,
    repositoryUrl: relay.repositoryUrl(),
    status,
    serving: (timeoutMs = 30_000) =>
      waitFor(async () => {
        const now = await status();
        return now?.servedCommit ? now : undefined;
      }, { timeoutMs, intervalMs: 250, what: `the flags relay's status ConfigMap ${namespace}/${RELAY_OBJECTS.statusConfigMap} to name a served commit` }),
    stop,
  };
}
