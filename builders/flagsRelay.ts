import { createHash } from "crypto";
import { RELAY, RELAY_ENV, RELAY_OBJECTS, relayArgumentList, relayRepositoryName } from "./flagsRelayContract";
import { RelaySettings, Settings } from "../settings/types";
import { EnvVar } from "./fliptConfig";
import { ObjectSpec, restrictedContainerSecurityContext, restrictedPodSecurityContext } from "./kubernetes";
import { FLIPT, SECRET_KEYS, commonLabels, objectNames, relaySelectorLabels, selectorLabels } from "./names";

/**
 * The flags relay's Kubernetes objects (the in-cluster mirror of gitRepository that Flipt reads
 * from, flags-relay/), in Flipt's namespace. The program text is an argument, so these stay pure:
 * the component and render pass builders/relayProgram.ts's relayProgram().
 */

/**
 * The relay container's requests and limits. The bench measures the relay (npm run bench); these are
 * the starting figures, to be replaced by its measured ones.
 */
export const RELAY_RESOURCES = {
  requests: { cpu: "50m", memory: "128Mi" },
  limits: { cpu: "500m", memory: "256Mi" },
} as const;

/** Where the relay listens inside its pod. */
const RELAY_LISTEN = `0.0.0.0:${RELAY.port}`;
/** The ssh private key's file name under RELAY.sshDir (gitAuth=ssh). */
const SSH_KEY_FILE = "private_key";
const RBAC_API_GROUP = "rbac.authorization.k8s.io";

/** Labels on every relay object: the stack's common labels, with the relay's name and component. */
export function relayLabels(settings: Settings): Record<string, string> {
  return { ...commonLabels(settings), ...relaySelectorLabels(settings), "app.kubernetes.io/component": RELAY.name };
}

function metadata(settings: Settings, name: string) {
  return { name, namespace: settings.namespace, labels: relayLabels(settings) };
}

/** sha256 of the program: on the pod template, so a new program rolls the pod. */
export function relayProgramChecksum(program: string): string {
  return createHash("sha256").update(program).digest("hex");
}

function serviceAccountSpec(settings: Settings): ObjectSpec {
  return { apiVersion: "v1", kind: "ServiceAccount", metadata: metadata(settings, RELAY_OBJECTS.serviceAccount) };
}

const configMaps = (verbs: string[], resourceNames?: string[]) => ({
  apiGroups: [""],
  resources: ["configmaps"],
  ...(resourceNames ? { resourceNames } : {}),
  verbs,
});

function role(settings: Settings, name: string, rules: Record<string, unknown>[]): ObjectSpec {
  return { apiVersion: `${RBAC_API_GROUP}/v1`, kind: "Role", metadata: metadata(settings, name), rules };
}

function roleBinding(settings: Settings, name: string, roleName: string, subjects: Record<string, unknown>[]): ObjectSpec {
  return {
    apiVersion: `${RBAC_API_GROUP}/v1`,
    kind: "RoleBinding",
    metadata: metadata(settings, name),
    roleRef: { apiGroup: RBAC_API_GROUP, kind: "Role", name: roleName },
    subjects,
  };
}

/** The relay reads the override ConfigMaps and writes its status ConfigMap (create cannot be narrowed by name). */
function relayRbacSpecs(settings: Settings): ObjectSpec[] {
  return [
    role(settings, RELAY_OBJECTS.role, [
      configMaps(["get", "list", "watch"]),
      configMaps(["create"]),
      configMaps(["get", "update", "patch"], [RELAY_OBJECTS.statusConfigMap]),
    ]),
    roleBinding(settings, RELAY_OBJECTS.roleBinding, RELAY_OBJECTS.role, [
      { kind: "ServiceAccount", name: RELAY_OBJECTS.serviceAccount, namespace: settings.namespace },
    ]),
  ];
}

/**
 * Who may override a flag: create and delete the override ConfigMaps. RBAC cannot narrow create or
 * delete to ConfigMaps with the override label, so the Role can create and delete any ConfigMap in
 * Flipt's namespace (flipt-config included): grant it to on-call only. No groups, no RoleBinding.
 */
function overrideRbacSpecs(settings: Settings, relay: RelaySettings): ObjectSpec[] {
  const overrideRole = role(settings, RELAY_OBJECTS.overrideRole, [configMaps(["get", "list", "watch", "create", "delete"])]);
  if (relay.overrideGroups.length === 0) return [overrideRole];
  const groups = relay.overrideGroups.map((name) => ({ kind: "Group", apiGroup: RBAC_API_GROUP, name }));
  return [overrideRole, roleBinding(settings, RELAY_OBJECTS.overrideRoleBinding, RELAY_OBJECTS.overrideRole, groups)];
}

function programConfigMapSpec(settings: Settings, program: string): ObjectSpec {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: metadata(settings, RELAY_OBJECTS.program), data: { [RELAY.programFile]: program } };
}

function claimSpec(settings: Settings, relay: RelaySettings): ObjectSpec {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: {
      ...metadata(settings, RELAY_OBJECTS.claim),
      // The Deployment's await covers the volume (its pod is not ready without it); the provider's own wait for
      // Bound hangs on a WaitForFirstConsumer StorageClass, where nothing binds until the pod exists.
      annotations: { "pulumi.com/skipAwait": "true" },
    },
    spec: {
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: relay.storageSize } },
      ...(relay.storageClass !== undefined ? { storageClassName: relay.storageClass } : {}),
    },
  };
}

/** The relay's environment: the kind of Git authentication and the credential from the stack's Git Secret. */
export function relayEnvironment(settings: Settings): EnvVar[] {
  const { git } = settings;
  const env: EnvVar[] = [{ name: RELAY_ENV.gitAuth, value: git.auth }];
  // Files from the mounted Git Secret rather than variables: nothing that dumps the environment shows the credential.
  if (git.auth === "basic") env.push({ name: RELAY_ENV.gitUsernameFile, value: `${RELAY.gitSecretDir}/${SECRET_KEYS.gitUsername}` });
  if (git.auth === "basic" || git.auth === "token") env.push({ name: RELAY_ENV.gitCredentialFile, value: `${RELAY.gitSecretDir}/${SECRET_KEYS.gitCredential}` });
  if (git.auth === "ssh") {
    env.push(
      { name: RELAY_ENV.sshKeyFile, value: `${RELAY.sshDir}/${SSH_KEY_FILE}` },
      { name: RELAY_ENV.sshKnownHostsFile, value: `${RELAY.sshDir}/${FLIPT.knownHostsFile}` },
      { name: RELAY_ENV.sshUser, value: git.sshUser },
    );
  }
  // git and ssh write their own files under HOME; the root filesystem is read-only.
  env.push({ name: "HOME", value: RELAY.tmpDir });
  return env;
}

function relayVolumesAndMounts(settings: Settings) {
  const volumes: Record<string, unknown>[] = [
    { name: "program", configMap: { name: RELAY_OBJECTS.program, items: [{ key: RELAY.programFile, path: RELAY.programFile }] } },
    { name: "data", persistentVolumeClaim: { claimName: RELAY_OBJECTS.claim } },
    { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
  ];
  const mounts: Record<string, unknown>[] = [
    { name: "program", mountPath: RELAY.programDir, readOnly: true },
    { name: "data", mountPath: RELAY.dataDir },
    { name: "tmp", mountPath: RELAY.tmpDir },
  ];
  if (settings.git.auth === "basic" || settings.git.auth === "token") {
    const keys = settings.git.auth === "basic" ? [SECRET_KEYS.gitUsername, SECRET_KEYS.gitCredential] : [SECRET_KEYS.gitCredential];
    volumes.push({ name: "git", secret: { secretName: objectNames().gitSecret, defaultMode: 0o400, items: keys.map((key) => ({ key, path: key })) } });
    mounts.push({ name: "git", mountPath: RELAY.gitSecretDir, readOnly: true });
  }
  if (settings.git.auth === "ssh") {
    // The key from the stack's Git Secret (owner-read only), known_hosts from Flipt's ConfigMap.
    volumes.push({
      name: "ssh",
      projected: {
        sources: [
          { secret: { name: objectNames().gitSecret, items: [{ key: SECRET_KEYS.gitCredential, path: SSH_KEY_FILE, mode: 0o400 }] } },
          { configMap: { name: objectNames().config, items: [{ key: FLIPT.knownHostsFile, path: FLIPT.knownHostsFile }] } },
        ],
      },
    });
    mounts.push({ name: "ssh", mountPath: RELAY.sshDir, readOnly: true });
  }
  return { volumes, mounts };
}

function probe(path: string, periodSeconds: number, failureThreshold: number) {
  return { httpGet: { path, port: RELAY.portName }, periodSeconds, timeoutSeconds: 3, failureThreshold };
}

function relayContainer(settings: Settings, relay: RelaySettings, mounts: Record<string, unknown>[]) {
  const args = relayArgumentList({
    upstream: settings.git.repository,
    ref: settings.git.ref,
    directory: settings.git.directory,
    repositoryName: relayRepositoryName(settings.git.repository),
    pollInterval: relay.pollInterval,
    dataDir: RELAY.dataDir,
    listen: RELAY_LISTEN,
    namespace: settings.namespace,
  });
  return {
    name: RELAY.name,
    image: relay.image,
    imagePullPolicy: "IfNotPresent",
    command: ["node", `${RELAY.programDir}/${RELAY.programFile}`, ...args],
    env: relayEnvironment(settings),
    ports: [{ name: RELAY.portName, containerPort: RELAY.port, protocol: "TCP" }],
    // The first clone of the flags repository can take a while: up to 5 minutes before liveness applies.
    startupProbe: probe(RELAY.healthPath, 5, 60),
    livenessProbe: probe(RELAY.healthPath, 10, 3),
    readinessProbe: probe(RELAY.readyPath, 5, 2),
    resources: RELAY_RESOURCES,
    securityContext: restrictedContainerSecurityContext(RELAY.uid, RELAY.gid),
    volumeMounts: mounts,
  };
}

function deploymentSpec(settings: Settings, relay: RelaySettings, program: string): ObjectSpec {
  const { volumes, mounts } = relayVolumesAndMounts(settings);
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: metadata(settings, RELAY_OBJECTS.deployment),
    spec: {
      replicas: 1,
      revisionHistoryLimit: 5,
      selector: { matchLabels: relaySelectorLabels(settings) },
      // One ReadWriteOnce volume: the old pod must let go of it before the new one starts.
      strategy: { type: "Recreate" },
      template: {
        metadata: { labels: relayLabels(settings), annotations: { "checksum/program": relayProgramChecksum(program) } },
        spec: {
          serviceAccountName: RELAY_OBJECTS.serviceAccount,
          // The relay lists the override ConfigMaps and writes its status through the API.
          automountServiceAccountToken: true,
          // OnRootMismatch: the volume's group is set once, not walked through the whole clone at every start.
          securityContext: { ...restrictedPodSecurityContext(RELAY.uid, RELAY.gid), fsGroupChangePolicy: "OnRootMismatch" },
          terminationGracePeriodSeconds: 30,
          containers: [relayContainer(settings, relay, mounts)],
          volumes,
        },
      },
    },
  };
}

function serviceSpec(settings: Settings): ObjectSpec {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: metadata(settings, RELAY_OBJECTS.service),
    spec: {
      type: "ClusterIP",
      selector: relaySelectorLabels(settings),
      ports: [{ name: RELAY.portName, port: RELAY.port, targetPort: RELAY.portName, protocol: "TCP" }],
    },
  };
}

/** Only Flipt's pods (which clone from it) and Prometheus (which scrapes it) reach the relay. */
function networkPolicySpec(settings: Settings): ObjectSpec {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: metadata(settings, RELAY_OBJECTS.networkPolicy),
    spec: {
      podSelector: { matchLabels: relaySelectorLabels(settings) },
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [
            { podSelector: { matchLabels: selectorLabels(settings) } },
            { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": settings.monitoring.namespace } } },
          ],
          ports: [{ protocol: "TCP", port: RELAY.port }],
        },
      ],
    },
  };
}

/** Every object of the flags relay, in apply order; none when the relay is off. */
export function flagsRelaySpecs(settings: Settings, program: string): ObjectSpec[] {
  const { relay } = settings;
  if (!relay) return [];
  return [
    serviceAccountSpec(settings),
    ...relayRbacSpecs(settings),
    ...overrideRbacSpecs(settings, relay),
    programConfigMapSpec(settings, program),
    claimSpec(settings, relay),
    deploymentSpec(settings, relay, program),
    serviceSpec(settings),
    networkPolicySpec(settings),
  ];
}
