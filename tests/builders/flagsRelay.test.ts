import { createHash } from "crypto";
import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { ENV, fliptConfigDocument, fliptEnvironment } from "../../builders/fliptConfig";
import { RELAY_RESOURCES, flagsRelaySpecs } from "../../builders/flagsRelay";
import { ObjectSpec, deploymentSpec, fliptObjectSpecs } from "../../builders/kubernetes";
import { relayRepositoryUrl } from "../../builders/names";
import { stackObjectSpecs } from "../../builders/stackObjects";
import { renderStack } from "../../scripts/lib/renderedStack";
import { Settings } from "../../settings/types";
import { settingsFor } from "./stackSettings";

/** A stand-in for the bundled program: the builders take its text, whatever it holds. */
const PROGRAM = "// the relay program\nconsole.log('relay');\n";
const SSH = { gitAuth: "ssh", gitRepository: "git@github.com:acme/flags.git", gitSshKnownHosts: "github.com ssh-ed25519 AAAA" };

function relayObject(settings: Settings, kind: string, name: string, program = PROGRAM): any {
  const found = flagsRelaySpecs(settings, program).find((s) => s.kind === kind && s.metadata.name === name);
  if (!found) throw new Error(`no ${kind}/${name}`);
  return found;
}
const relayPod = (settings: Settings, program = PROGRAM) => relayObject(settings, "Deployment", "flags-relay", program).spec.template.spec;
const relayContainer = (settings: Settings) => relayPod(settings).containers[0];
const fliptPod = (settings: Settings) => (deploymentSpec(settings) as any).spec.template.spec;

describe("the flags relay's objects", () => {
  it("are, in apply order, its ServiceAccount, Roles and RoleBindings, program, volume, Deployment, Service and NetworkPolicy", () => {
    expect(flagsRelaySpecs(settingsFor("dev"), PROGRAM).map((s) => `${s.kind}/${s.metadata.name}`)).toEqual([
      "ServiceAccount/flags-relay",
      "Role/flags-relay",
      "RoleBinding/flags-relay",
      "Role/flags-override",
      "RoleBinding/flags-override",
      "ConfigMap/flags-relay-program",
      "PersistentVolumeClaim/flags-relay",
      "Deployment/flags-relay",
      "Service/flags-relay",
      "NetworkPolicy/flags-relay",
    ]);
  });

  it("live in Flipt's namespace with the relay's labels", () => {
    for (const spec of flagsRelaySpecs(settingsFor("prod"), PROGRAM)) {
      expect(spec.metadata.namespace, spec.kind).toBe("flipt-prod");
      expect(spec.metadata.labels, spec.kind).toEqual({
        "app.kubernetes.io/name": "flags-relay",
        "app.kubernetes.io/instance": "flipt-prod",
        "app.kubernetes.io/component": "flags-relay",
        "app.kubernetes.io/part-of": "feature-flags",
        "app.kubernetes.io/managed-by": "pulumi",
      });
    }
  });

  it.each([
    ["flagsRelay is false", "dev", { flagsRelay: false }],
    ["a review stack", "pr-4", {}],
    ["a review stack even with flagsRelay true", "pr-4", { flagsRelay: true }],
  ])("are none when %s", (_, stack, changes) => {
    const settings = settingsFor(stack, changes);
    expect(settings.relay).toBeUndefined();
    expect(flagsRelaySpecs(settings, PROGRAM)).toEqual([]);
    expect(stackObjectSpecs(settings, { dbUrl: "d", bootstrapToken: "b", gitCredential: "c" }).filter((s) => s.metadata.name.startsWith("flags-"))).toEqual([]);
  });
});

describe("the relay's RBAC", () => {
  const configMaps = { apiGroups: [""], resources: ["configmaps"] };

  it("lets the relay read ConfigMaps, create them, and update only its status ConfigMap", () => {
    const settings = settingsFor("dev");
    expect(relayObject(settings, "Role", "flags-relay").rules).toEqual([
      { ...configMaps, verbs: ["get", "list", "watch"] },
      { ...configMaps, verbs: ["create"] },
      { ...configMaps, resourceNames: ["flags-relay-status"], verbs: ["get", "update", "patch"] },
    ]);
    expect(relayObject(settings, "RoleBinding", "flags-relay")).toMatchObject({
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "flags-relay" },
      subjects: [{ kind: "ServiceAccount", name: "flags-relay", namespace: "flipt-dev" }],
    });
    expect(relayPod(settings)).toMatchObject({ serviceAccountName: "flags-relay", automountServiceAccountToken: true });
  });

  it("lets whoever holds flags-override read, create and delete ConfigMaps (the override objects)", () => {
    expect(relayObject(settingsFor("prod"), "Role", "flags-override").rules).toEqual([
      { ...configMaps, verbs: ["get", "list", "watch", "create", "delete"] },
    ]);
  });

  it("binds flags-override to each of flagsOverrideGroups", () => {
    const binding = relayObject(settingsFor("prod", { flagsOverrideGroups: ["platform-oncall", "oidc:sre"] }), "RoleBinding", "flags-override");
    expect(binding.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "flags-override" });
    expect(binding.subjects).toEqual([
      { kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "platform-oncall" },
      { kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "oidc:sre" },
    ]);
  });

  it("binds flags-override to nobody when flagsOverrideGroups is empty (the Role stays, unbound)", () => {
    const names = flagsRelaySpecs(settingsFor("prod", { flagsOverrideGroups: [] }), PROGRAM).map((s) => `${s.kind}/${s.metadata.name}`);
    expect(names).toContain("Role/flags-override");
    expect(names).not.toContain("RoleBinding/flags-override");
  });
});

describe("the relay's program", () => {
  it("is the ConfigMap's one key, mounted read-only where the command runs it", () => {
    const settings = settingsFor("dev");
    expect(relayObject(settings, "ConfigMap", "flags-relay-program").data).toEqual({ "flags-relay.mjs": PROGRAM });
    expect(relayContainer(settings).command.slice(0, 2)).toEqual(["node", "/opt/flags-relay/flags-relay.mjs"]);
  });

  it("rolls the pod when it changes (checksum/program)", () => {
    const checksum = (program: string) => relayObject(settingsFor("dev"), "Deployment", "flags-relay", program).spec.template.metadata.annotations["checksum/program"];
    expect(checksum(PROGRAM)).toBe(createHash("sha256").update(PROGRAM).digest("hex"));
    expect(checksum(`${PROGRAM}// changed\n`)).not.toBe(checksum(PROGRAM));
  });
});

describe("the relay's Deployment", () => {
  it("runs one pod, replaced rather than surged (one ReadWriteOnce volume)", () => {
    const { spec } = relayObject(settingsFor("prod"), "Deployment", "flags-relay");
    expect(spec.replicas).toBe(1);
    expect(spec.strategy).toEqual({ type: "Recreate" });
    expect(spec.selector.matchLabels).toEqual({ "app.kubernetes.io/name": "flags-relay", "app.kubernetes.io/instance": "flipt-prod" });
    expect(relayPod(settingsFor("prod")).terminationGracePeriodSeconds).toBe(30);
  });

  it("tells the relay the stack's upstream, ref, directory, repository name, poll interval, volume, address and namespace", () => {
    const settings = settingsFor("prod", { flagsRelayPollInterval: "7s" });
    expect(relayContainer(settings)).toMatchObject({ name: "flags-relay", image: "node:24.11.1-bookworm" });
    expect(relayContainer(settings).command).toEqual([
      "node",
      "/opt/flags-relay/flags-relay.mjs",
      "--upstream=https://github.com/acme-platform/flipt-deploy.git",
      "--ref=main",
      "--directory=flags/prod",
      "--repository-name=flipt-deploy.git",
      "--poll-interval=7s",
      "--data=/var/lib/flags-relay",
      "--listen=0.0.0.0:8080",
      "--namespace=flipt-prod",
    ]);
  });

  it("has the restricted posture of Flipt's pod, as the node user", () => {
    const pod = relayPod(settingsFor("prod"));
    expect(pod.securityContext).toEqual({
      runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: "RuntimeDefault" },
      fsGroupChangePolicy: "OnRootMismatch",
    });
    expect(pod.containers[0].securityContext).toEqual({
      runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false,
      privileged: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" },
    });
  });

  it("mounts exactly the program (read-only), its volume, a /tmp emptyDir and the Git Secret's keys (read-only, owner-read)", () => {
    const pod = relayPod(settingsFor("dev"));
    expect(pod.volumes).toEqual([
      { name: "program", configMap: { name: "flags-relay-program", items: [{ key: "flags-relay.mjs", path: "flags-relay.mjs" }] } },
      { name: "data", persistentVolumeClaim: { claimName: "flags-relay" } },
      { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
      { name: "git", secret: { secretName: "flipt-git", defaultMode: 0o400, items: [{ key: "username", path: "username" }, { key: "credential", path: "credential" }] } },
    ]);
    expect(pod.containers[0].volumeMounts).toEqual([
      { name: "program", mountPath: "/opt/flags-relay", readOnly: true },
      { name: "data", mountPath: "/var/lib/flags-relay" },
      { name: "tmp", mountPath: "/tmp" },
      { name: "git", mountPath: "/etc/flags-relay/git", readOnly: true },
    ]);
    expect(relayPod(settingsFor("dev", { gitAuth: "none" })).volumes.map((v: any) => v.name)).toEqual(["program", "data", "tmp"]);
  });

  it("serves http on 8080, live on /healthz, ready on /ready, with a startup probe that waits out a slow first clone", () => {
    const container = relayContainer(settingsFor("dev"));
    expect(container.ports).toEqual([{ name: "http", containerPort: 8080, protocol: "TCP" }]);
    expect(container.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "http" });
    expect(container.readinessProbe.httpGet).toEqual({ path: "/ready", port: "http" });
    expect(container.startupProbe.httpGet).toEqual({ path: "/healthz", port: "http" });
    expect(container.startupProbe.periodSeconds * container.startupProbe.failureThreshold).toBeGreaterThanOrEqual(120);
  });

  it("has the resources the bench is to measure", () => {
    expect(relayContainer(settingsFor("dev")).resources).toEqual(RELAY_RESOURCES);
    expect(RELAY_RESOURCES).toEqual({ requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } });
  });
});

describe("the relay's Git credential", () => {
  // Files of the mounted Git Secret, not variables: nothing that prints the environment shows the credential.
  const fromGitSecret = (name: string, key: string) => ({ name, value: `/etc/flags-relay/git/${key}` });

  it.each([
    ["basic", { gitUsername: "x-access-token" }, [
      { name: "FLAGS_RELAY_GIT_AUTH", value: "basic" },
      fromGitSecret("FLAGS_RELAY_GIT_USERNAME_FILE", "username"),
      fromGitSecret("FLAGS_RELAY_GIT_CREDENTIAL_FILE", "credential"),
      { name: "HOME", value: "/tmp" },
    ]],
    ["token", {}, [
      { name: "FLAGS_RELAY_GIT_AUTH", value: "token" },
      fromGitSecret("FLAGS_RELAY_GIT_CREDENTIAL_FILE", "credential"),
      { name: "HOME", value: "/tmp" },
    ]],
    ["none", {}, [{ name: "FLAGS_RELAY_GIT_AUTH", value: "none" }, { name: "HOME", value: "/tmp" }]],
  ])("gitAuth=%s: the relay's environment from the stack's Git Secret", (gitAuth, changes, env) => {
    expect(relayContainer(settingsFor("dev", { gitAuth, ...changes })).env).toEqual(env);
  });

  it("gitAuth=ssh: the key from the Git Secret (owner-read) and known_hosts from Flipt's ConfigMap, as files", () => {
    const settings = settingsFor("dev", SSH);
    expect(relayContainer(settings).env).toEqual([
      { name: "FLAGS_RELAY_GIT_AUTH", value: "ssh" },
      { name: "FLAGS_RELAY_SSH_KEY_FILE", value: "/etc/flags-relay/ssh/private_key" },
      { name: "FLAGS_RELAY_SSH_KNOWN_HOSTS_FILE", value: "/etc/flags-relay/ssh/known_hosts" },
      { name: "FLAGS_RELAY_SSH_USER", value: "git" },
      { name: "HOME", value: "/tmp" },
    ]);
    const pod = relayPod(settings);
    expect(pod.volumes.find((v: any) => v.name === "ssh")).toEqual({
      name: "ssh",
      projected: {
        sources: [
          { secret: { name: "flipt-git", items: [{ key: "credential", path: "private_key", mode: 0o400 }] } },
          { configMap: { name: "flipt-config", items: [{ key: "known_hosts", path: "known_hosts" }] } },
        ],
      },
    });
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: "ssh", mountPath: "/etc/flags-relay/ssh", readOnly: true });
    const fliptConfigMap = fliptObjectSpecs(settings, { dbUrl: "d", bootstrapToken: "b", gitCredential: "k" }).find((s) => s.kind === "ConfigMap") as any;
    expect(fliptConfigMap.data.known_hosts).toBe("github.com ssh-ed25519 AAAA");
  });
});

describe("the relay's volume, Service and NetworkPolicy", () => {
  it("claims flagsRelayStorageSize ReadWriteOnce, of the cluster's default StorageClass unless one is named", () => {
    expect(relayObject(settingsFor("dev"), "PersistentVolumeClaim", "flags-relay").spec).toEqual({
      accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } },
    });
    const named = relayObject(settingsFor("dev", { flagsRelayStorageSize: "5Gi", flagsRelayStorageClass: "fast-ssd" }), "PersistentVolumeClaim", "flags-relay");
    expect(named.spec).toEqual({ accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "5Gi" } }, storageClassName: "fast-ssd" });
  });

  it("is a ClusterIP Service on http 8080 that selects the relay's pod", () => {
    const service = relayObject(settingsFor("dev"), "Service", "flags-relay");
    expect(service.spec).toEqual({
      type: "ClusterIP",
      selector: { "app.kubernetes.io/name": "flags-relay", "app.kubernetes.io/instance": "flipt-dev" },
      ports: [{ name: "http", port: 8080, targetPort: "http", protocol: "TCP" }],
    });
  });

  it("admits only Flipt's pods and the monitoring namespace, on 8080", () => {
    const policy = relayObject(settingsFor("dev", { monitoringNamespace: "observability" }), "NetworkPolicy", "flags-relay");
    expect(policy.spec).toEqual({
      podSelector: { matchLabels: { "app.kubernetes.io/name": "flags-relay", "app.kubernetes.io/instance": "flipt-dev" } },
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [
            { podSelector: { matchLabels: { "app.kubernetes.io/name": "flipt", "app.kubernetes.io/instance": "flipt-dev" } } },
            { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "observability" } } },
          ],
          ports: [{ protocol: "TCP", port: 8080 }],
        },
      ],
    });
  });
});

describe("Flipt with the relay", () => {
  const gitEnv = (settings: Settings) => fliptEnvironment(settings).map((e) => e.name).filter((n) => n.startsWith("FLIPT_STORAGE_GIT") || n === ENV.sshKnownHosts);

  it("clones the relay's Service under the upstream repository's name, without credentials", () => {
    const settings = settingsFor("prod");
    expect((fliptConfigDocument(settings) as any).storage.git.repository).toBe("http://flags-relay.flipt-prod.svc.cluster.local:8080/flipt-deploy.git");
    expect(relayRepositoryUrl(settingsFor("dev", SSH))).toBe("http://flags-relay.flipt-dev.svc.cluster.local:8080/flags.git");
    expect(gitEnv(settings)).toEqual([]);
  });

  it("with gitAuth=ssh, mounts no ssh files into Flipt (the relay has them)", () => {
    const pod = fliptPod(settingsFor("dev", SSH));
    expect(gitEnv(settingsFor("dev", SSH))).toEqual([]);
    expect(pod.volumes.map((v: any) => v.name)).not.toContain("ssh");
  });

  it("keeps the Git Secret, which the relay reads", () => {
    const specs = fliptObjectSpecs(settingsFor("prod"), { dbUrl: "d", bootstrapToken: "b", gitCredential: "c" });
    expect(specs.map((s) => `${s.kind}/${s.metadata.name}`)).toContain("Secret/flipt-git");
  });

  it("without the relay, reads the Git host itself as before: its URL, its credentials, its ssh files", () => {
    const basic = settingsFor("prod", { flagsRelay: false });
    expect((fliptConfigDocument(basic) as any).storage.git.repository).toBe("https://github.com/acme-platform/flipt-deploy.git");
    expect(gitEnv(basic)).toEqual([ENV.basicUsername, ENV.basicPassword]);
    const ssh = settingsFor("dev", { ...SSH, flagsRelay: false });
    expect(gitEnv(ssh)).toEqual([ENV.sshUser, ENV.sshPrivateKey, ENV.sshKnownHosts]);
    expect(fliptPod(ssh).volumes.map((v: any) => v.name)).toContain("ssh");
  });
});

describe("render --stack prod", () => {
  const files = () => renderStack("prod").map((f) => ({ name: f.file.replace(/^\d+-/, ""), spec: yaml.load(f.content) as ObjectSpec }));

  it("writes the relay's objects right after Flipt's", () => {
    const names = files().map((f) => f.name);
    const relayFiles = [
      "serviceaccount-flags-relay.yaml",
      "role-flags-relay.yaml",
      "rolebinding-flags-relay.yaml",
      "role-flags-override.yaml",
      "rolebinding-flags-override.yaml",
      "configmap-flags-relay-program.yaml",
      "persistentvolumeclaim-flags-relay.yaml",
      "deployment-flags-relay.yaml",
      "service-flags-relay.yaml",
      "networkpolicy-flags-relay.yaml",
    ];
    const start = names.indexOf("networkpolicy-flipt.yaml") + 1;
    expect(names.slice(start, start + relayFiles.length)).toEqual(relayFiles);
  });

  it("holds a program in the relay's ConfigMap and points Flipt's config at the relay", () => {
    const program = files().find((f) => f.name === "configmap-flags-relay-program.yaml")!.spec as any;
    expect(program.data["flags-relay.mjs"].length).toBeGreaterThan(0);
    const config = files().find((f) => f.name === "configmap-flipt-config.yaml")!.spec as any;
    expect(config.data["default.yml"]).toContain("repository: http://flags-relay.flipt-prod.svc.cluster.local:8080/flipt-deploy.git");
  });
});
