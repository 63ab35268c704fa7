import { RELAY, RELAY_OBJECTS, relayRepositoryName } from "./flagsRelayContract";
import { Settings } from "../settings/types";

/** Ports, paths and names defined once; every builder, test and script reads them from here. */
export const FLIPT = {
  name: "flipt",
  httpPort: 8080,
  grpcPort: 9000,
  httpPortName: "http",
  grpcPortName: "grpc",
  healthPath: "/health",
  metricsPath: "/metrics",
  binary: "/flipt",
  configDir: "/etc/flipt/config",
  configFile: "default.yml",
  /** Writable emptyDir: SQLite database (sqlite mode) and Flipt's state directory. */
  dataDir: "/var/opt/flipt",
  tmpDir: "/tmp",
  sshDir: "/etc/flipt/ssh",
  knownHostsFile: "known_hosts",
  uid: 100,
  gid: 1000,
} as const;

export const fliptConfigPath = `${FLIPT.configDir}/${FLIPT.configFile}`;

/** Keys inside the Secrets the Deployment reads. */
export const SECRET_KEYS = {
  dbUrl: "url",
  bootstrapToken: "token",
  gitUsername: "username",
  gitCredential: "credential",
} as const;

/** Kubernetes object names; unique per stack because the namespace is. */
export function objectNames() {
  return {
    serviceAccount: FLIPT.name,
    config: `${FLIPT.name}-config`,
    dbSecret: `${FLIPT.name}-db`,
    gitSecret: `${FLIPT.name}-git`,
    bootstrapSecret: `${FLIPT.name}-bootstrap`,
    deployment: FLIPT.name,
    service: FLIPT.name,
    pdb: FLIPT.name,
    autoscaler: FLIPT.name,
    networkPolicy: FLIPT.name,
    serviceMonitor: FLIPT.name,
    prometheusRule: FLIPT.name,
  } as const;
}

/** The image tag (or digest) as the version label. */
export function imageVersion(image: string): string {
  const digest = image.split("@")[1];
  if (digest) return digest.replace(/^sha256:/, "").slice(0, 12);
  return image.slice(image.lastIndexOf(":") + 1);
}

/** Labels that select Flipt's pods; they never change for a stack (a Deployment's selector is immutable). */
export function selectorLabels(settings: Settings): Record<string, string> {
  return {
    "app.kubernetes.io/name": FLIPT.name,
    "app.kubernetes.io/instance": settings.namespace,
  };
}

/** Labels that select the flags relay's pod (flags-relay/), beside Flipt's; as fixed as Flipt's for the same reason. */
export function relaySelectorLabels(settings: Settings): Record<string, string> {
  return { "app.kubernetes.io/name": RELAY.name, "app.kubernetes.io/instance": settings.namespace };
}

/**
 * Labels on every object the program creates. They do not change with the image: an image bump
 * then updates the Deployment alone (see versionedLabels), not every object in a PR's preview.
 */
export function commonLabels(settings: Settings): Record<string, string> {
  return {
    ...selectorLabels(settings),
    "app.kubernetes.io/component": "flag-server",
    "app.kubernetes.io/part-of": "feature-flags",
    "app.kubernetes.io/managed-by": "pulumi",
  };
}

/** Common labels plus the running version: on the Deployment and its pods, which are what the image changes. */
export function versionedLabels(settings: Settings): Record<string, string> {
  return { ...commonLabels(settings), "app.kubernetes.io/version": imageVersion(settings.image) };
}

export function fliptServiceHost(settings: Settings): string {
  return `${objectNames().service}.${settings.namespace}.svc.cluster.local`;
}

/** The value services get as FLIPT_URL. */
export function fliptUrl(settings: Settings): string {
  return `http://${fliptServiceHost(settings)}:${FLIPT.httpPort}`;
}

export function fliptGrpcAddress(settings: Settings): string {
  return `${fliptServiceHost(settings)}:${FLIPT.grpcPort}`;
}

/** The relay's Service inside the cluster: http://flags-relay.<namespace>.svc.cluster.local:8080. */
export function relayServiceUrl(settings: Settings): string {
  return `http://${RELAY_OBJECTS.service}.${settings.namespace}.svc.cluster.local:${RELAY.port}`;
}

/**
 * The repository Flipt clones when the flags relay runs: the relay's Service, serving gitRepository
 * under its own name, over plain HTTP inside the namespace (no credentials: the relay holds them).
 */
export function relayRepositoryUrl(settings: Settings): string {
  return `${relayServiceUrl(settings)}/${relayRepositoryName(settings.git.repository)}`;
}
