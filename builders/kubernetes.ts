import { createHash } from "crypto";
import { Settings } from "../settings/types";
import { ENV, fliptConfigYaml, fliptEnvironment, fliptGitAuth } from "./fliptConfig";
import { RELAY } from "./flagsRelayContract";
import { FLIPT, SECRET_KEYS, commonLabels, fliptConfigPath, objectNames, relayServiceUrl, selectorLabels, versionedLabels } from "./names";

/**
 * Kubernetes object specs for Flipt, as plain data. `V` is how secret values are carried:
 * `pulumi.Output<string>` in the program, a visible placeholder string in `npm run render`.
 */
export interface ObjectSpec {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
  readonly [field: string]: unknown;
}

export interface FliptSecretValues<V> {
  readonly dbUrl: V;
  readonly bootstrapToken: V;
  /** Present unless gitAuth is none. */
  readonly gitCredential?: V;
}

function metadata(settings: Settings, name: string, extra: Partial<ObjectSpec["metadata"]> = {}) {
  return { name, namespace: settings.namespace, labels: commonLabels(settings), ...extra };
}

export function namespaceSpec(settings: Settings): ObjectSpec {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name: settings.namespace,
      labels: {
        ...commonLabels(settings),
        // Flipt's pod meets the restricted Pod Security Standard; enforce it for the whole namespace.
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "latest",
      },
    },
  };
}

export function serviceAccountSpec(settings: Settings): ObjectSpec {
  return {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: metadata(settings, objectNames().serviceAccount),
    automountServiceAccountToken: false,
  };
}

export function configMapSpec(settings: Settings): ObjectSpec {
  const data: Record<string, string> = { [FLIPT.configFile]: fliptConfigYaml(settings) };
  // known_hosts for whoever reads the Git host over ssh: Flipt, or the flags relay in its place.
  if (settings.git.auth === "ssh") data[FLIPT.knownHostsFile] = settings.git.sshKnownHosts;
  return { apiVersion: "v1", kind: "ConfigMap", metadata: metadata(settings, objectNames().config), data };
}

function secretSpec<V>(settings: Settings, name: string, stringData: Record<string, V>): ObjectSpec {
  return { apiVersion: "v1", kind: "Secret", metadata: metadata(settings, name), type: "Opaque", stringData };
}

/** The Secrets Flipt reads: database URL, bootstrap token, and Git credentials when the repository needs them. */
export function secretSpecs<V>(settings: Settings, values: FliptSecretValues<V>): ObjectSpec[] {
  const names = objectNames();
  const specs = [
    secretSpec(settings, names.dbSecret, { [SECRET_KEYS.dbUrl]: values.dbUrl }),
    secretSpec(settings, names.bootstrapSecret, { [SECRET_KEYS.bootstrapToken]: values.bootstrapToken }),
  ];
  if (settings.git.auth !== "none" && values.gitCredential !== undefined) {
    const data: Record<string, V | string> = { [SECRET_KEYS.gitCredential]: values.gitCredential };
    if (settings.git.auth === "basic") data[SECRET_KEYS.gitUsername] = settings.git.username;
    specs.push(secretSpec(settings, names.gitSecret, data));
  }
  return specs;
}

/** sha256 of the config file: on the pod template, so a config change rolls the pods. */
export function configChecksum(settings: Settings): string {
  return createHash("sha256").update(fliptConfigYaml(settings)).digest("hex");
}

/** A container's security context under the restricted Pod Security Standard, as Flipt's chart sets it. */
export function restrictedContainerSecurityContext(uid: number, gid: number) {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: gid,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** The pod's side of the same posture: non-root, the volumes' group, RuntimeDefault seccomp. */
export function restrictedPodSecurityContext(uid: number, gid: number) {
  return { runAsNonRoot: true, runAsUser: uid, runAsGroup: gid, fsGroup: gid, seccompProfile: { type: "RuntimeDefault" } };
}

function probe(periodSeconds: number, failureThreshold: number) {
  return {
    httpGet: { path: FLIPT.healthPath, port: FLIPT.httpPortName },
    periodSeconds,
    timeoutSeconds: 3,
    failureThreshold,
  };
}

function volumesAndMounts(settings: Settings) {
  const names = objectNames();
  const volumes: Record<string, unknown>[] = [
    { name: "config", configMap: { name: names.config, items: [{ key: FLIPT.configFile, path: FLIPT.configFile }] } },
    { name: "data", emptyDir: { sizeLimit: "256Mi" } },
    { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
  ];
  const mounts: Record<string, unknown>[] = [
    { name: "config", mountPath: FLIPT.configDir, readOnly: true },
    { name: "data", mountPath: FLIPT.dataDir },
    { name: "tmp", mountPath: FLIPT.tmpDir },
  ];
  if (fliptGitAuth(settings) === "ssh") {
    volumes.push({ name: "ssh", configMap: { name: names.config, items: [{ key: FLIPT.knownHostsFile, path: FLIPT.knownHostsFile }] } });
    mounts.push({ name: "ssh", mountPath: FLIPT.sshDir, readOnly: true });
  }
  return { volumes, mounts };
}

/** The Flipt Deployment: migration init container, probes, hardened security context, checksum annotation. */
export function deploymentSpec(settings: Settings): ObjectSpec {
  const names = objectNames();
  const { volumes, mounts } = volumesAndMounts(settings);
  const env = fliptEnvironment(settings);
  const container = {
    image: settings.image,
    imagePullPolicy: "IfNotPresent",
    env,
    volumeMounts: mounts,
    securityContext: restrictedContainerSecurityContext(FLIPT.uid, FLIPT.gid),
    resources: settings.resources,
  };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: metadata(settings, names.deployment, { labels: versionedLabels(settings) }),
    spec: {
      // With autoscaling the HorizontalPodAutoscaler owns the replicas: setting them here would undo its
      // scaling at every `pulumi up` and show as drift.
      ...(settings.autoscaling ? {} : { replicas: settings.replicas }),
      revisionHistoryLimit: 5,
      selector: { matchLabels: selectorLabels(settings) },
      // Surge first: a new pod must be ready (flags cloned) before the old one goes.
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: {
          labels: versionedLabels(settings),
          annotations: { "checksum/config": configChecksum(settings) },
        },
        spec: {
          serviceAccountName: names.serviceAccount,
          automountServiceAccountToken: false,
          securityContext: restrictedPodSecurityContext(FLIPT.uid, FLIPT.gid),
          terminationGracePeriodSeconds: 30,
          initContainers: [
            ...(settings.relay ? [waitForRelayContainer(settings, container)] : []),
            {
              name: "migrate",
              ...container,
              command: [FLIPT.binary, "migrate", "--config", fliptConfigPath],
              env: env.filter((e) => e.name === ENV.dbUrl),
            },
          ],
          containers: [
            {
              name: FLIPT.name,
              ...container,
              command: [FLIPT.binary, "--config", fliptConfigPath],
              ports: [
                { name: FLIPT.httpPortName, containerPort: FLIPT.httpPort, protocol: "TCP" },
                { name: FLIPT.grpcPortName, containerPort: FLIPT.grpcPort, protocol: "TCP" },
              ],
              // The first clone of the flags repository can take a while: up to 5 minutes before liveness applies.
              startupProbe: probe(5, 60),
              livenessProbe: probe(10, 3),
              readinessProbe: probe(5, 2),
            },
          ],
          volumes,
          ...(mostPods(settings) > 1 ? { affinity: antiAffinity(settings), topologySpreadConstraints: zoneSpread(settings) } : {}),
        },
      },
    },
  };
}

/**
 * With the relay: a Flipt pod waits until the relay is ready (has a served commit) instead of
 * exiting on a failed first clone and backing off, which on a first deploy (the relay's image
 * pulled, its first fetch) would leave Flipt in CrashLoopBackOff for minutes. Flipt's image is
 * Alpine's, whose busybox has sh and wget; the wait gives up with the pod's startup, never.
 */
function waitForRelayContainer(settings: Settings, container: Record<string, unknown>) {
  const ready = `${relayServiceUrl(settings)}${RELAY.readyPath}`;
  return {
    name: "wait-for-flags-relay",
    image: container.image,
    imagePullPolicy: container.imagePullPolicy,
    securityContext: container.securityContext,
    resources: container.resources,
    command: ["/bin/sh", "-c", `until wget -q -T 2 -O /dev/null ${ready}; do echo "waiting for ${ready}"; sleep 2; done`],
  };
}

/** The most Flipt pods the stack runs: the fixed replicas, or the autoscaler's maximum. */
export function mostPods(settings: Settings): number {
  return settings.autoscaling?.maxReplicas ?? settings.replicas;
}

/**
 * Pods spread across zones, as the anti-affinity spreads them across nodes: a zone outage then takes
 * at most about half of them. ScheduleAnyway, so a cluster in one zone (or without zone labels)
 * still schedules; pod-template-hash, so a rolling update spreads the new ReplicaSet's pods by themselves.
 */
function zoneSpread(settings: Settings) {
  return [
    {
      maxSkew: 1,
      topologyKey: "topology.kubernetes.io/zone",
      whenUnsatisfiable: "ScheduleAnyway",
      labelSelector: { matchLabels: selectorLabels(settings) },
      matchLabelKeys: ["pod-template-hash"],
    },
  ];
}

function antiAffinity(settings: Settings) {
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 100,
          podAffinityTerm: { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: selectorLabels(settings) } },
        },
      ],
    },
  };
}

export function serviceSpec(settings: Settings): ObjectSpec {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: metadata(settings, objectNames().service),
    spec: {
      type: "ClusterIP",
      selector: selectorLabels(settings),
      ports: [
        { name: FLIPT.httpPortName, port: FLIPT.httpPort, targetPort: FLIPT.httpPortName, protocol: "TCP" },
        { name: FLIPT.grpcPortName, port: FLIPT.grpcPort, targetPort: FLIPT.grpcPortName, protocol: "TCP" },
      ],
    },
  };
}

/** Only when there are always more than one pod: with one, a PDB would block node drains forever. */
export function podDisruptionBudgetSpec(settings: Settings): ObjectSpec | undefined {
  if (settings.replicas <= 1) return undefined;
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: metadata(settings, objectNames().pdb),
    spec: { maxUnavailable: settings.podDisruptionMaxUnavailable, selector: { matchLabels: selectorLabels(settings) } },
  };
}

/** With autoscaling on: a HorizontalPodAutoscaler on the Deployment's CPU utilisation (of its request). */
export function horizontalPodAutoscalerSpec(settings: Settings): ObjectSpec | undefined {
  const { autoscaling } = settings;
  if (!autoscaling) return undefined;
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: metadata(settings, objectNames().autoscaler),
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: objectNames().deployment },
      minReplicas: autoscaling.minReplicas,
      maxReplicas: autoscaling.maxReplicas,
      metrics: [
        { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: autoscaling.targetCpuUtilization } } },
      ],
    },
  };
}

/** Namespaces allowed to reach Flipt: its own, the services', the monitoring one and any configured extra. */
export function admittedNamespaces(settings: Settings): string[] {
  const namespaces = [
    settings.namespace,
    settings.monitoring.namespace,
    ...settings.services.targets.map((t) => t.namespace),
    ...settings.allowedNamespaces,
  ];
  return [...new Set(namespaces)].sort();
}

export function networkPolicySpec(settings: Settings): ObjectSpec {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: metadata(settings, objectNames().networkPolicy),
    spec: {
      podSelector: { matchLabels: selectorLabels(settings) },
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [
            {
              namespaceSelector: {
                matchExpressions: [
                  { key: "kubernetes.io/metadata.name", operator: "In", values: admittedNamespaces(settings) },
                ],
              },
            },
          ],
          ports: [
            { protocol: "TCP", port: FLIPT.httpPort },
            { protocol: "TCP", port: FLIPT.grpcPort },
          ],
        },
      ],
    },
  };
}

/** Every Kubernetes object of Flipt itself, in apply order. */
export function fliptObjectSpecs<V>(settings: Settings, secrets: FliptSecretValues<V>): ObjectSpec[] {
  const pdb = podDisruptionBudgetSpec(settings);
  const autoscaler = horizontalPodAutoscalerSpec(settings);
  return [
    namespaceSpec(settings),
    serviceAccountSpec(settings),
    configMapSpec(settings),
    ...secretSpecs(settings, secrets),
    deploymentSpec(settings),
    serviceSpec(settings),
    ...(pdb ? [pdb] : []),
    ...(autoscaler ? [autoscaler] : []),
    networkPolicySpec(settings),
  ];
}
