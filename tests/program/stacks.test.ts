import { createHash } from "crypto";
import * as yaml from "js-yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { relayProgram } from "../../builders/relayProgram";
import { FLIPT } from "../../builders/names";
import { ProgramRun, byType, isSecretPath, k8sObject, runProgram } from "./harness";
import { readStack } from "../../settings/stackFiles";

const ROLE = "postgresql:index/role:Role";
const DATABASE = "postgresql:index/database:Database";

/**
 * The stacks under test: the two real ones and a review stack made from dev's file, as the review workflow does.
 * `relay`: Flipt reads its flags from the in-cluster flags relay (dev and prod), not from the Git host (review stacks).
 */
const STACKS = [
  { stack: "dev", overrides: {}, replicas: 1, autoscaled: false, pollInterval: "10s", flagsDirectory: "flags/dev", database: "flipt_dev", protect: false, relay: true },
  { stack: "prod", overrides: {}, replicas: 2, autoscaled: true, pollInterval: "5s", flagsDirectory: "flags/prod", database: "flipt_prod", protect: true, relay: true },
  // A review stack is dev's configuration: it serves dev's flags, from the pull request's branch.
  { stack: "pr-123", overrides: {}, replicas: 1, autoscaled: false, pollInterval: "10s", flagsDirectory: "flags/dev", database: "flipt_pr_123", protect: false, relay: false },
] as const;

/** The Git authentication variables Flipt gets when it reads the Git host itself (dev's file: basic with a token). */
const GIT_BASIC_ENV = ["FLIPT_STORAGE_GIT_AUTHENTICATION_BASIC_USERNAME", "FLIPT_STORAGE_GIT_AUTHENTICATION_BASIC_PASSWORD"];

const runs = new Map<string, ProgramRun>();

beforeAll(async () => {
  for (const { stack, overrides } of STACKS) runs.set(stack, await runProgram(stack, overrides));
});

function fliptContainer(run: ProgramRun) {
  const deployment = k8sObject(run, "Deployment", "flipt").inputs;
  return deployment.spec.template.spec.containers.find((c: { name: string }) => c.name === FLIPT.name);
}

function fliptConfig(run: ProgramRun): Record<string, any> {
  return yaml.load(k8sObject(run, "ConfigMap", "flipt-config").inputs.data[FLIPT.configFile]) as Record<string, any>;
}

describe.each(STACKS)("stack $stack", (expected) => {
  const run = () => runs.get(expected.stack)!;

  it("runs the pinned Flipt image with the stack's replica count, or leaves it to the autoscaler", () => {
    const deployment = k8sObject(run(), "Deployment", "flipt").inputs;
    expect(deployment.metadata.namespace).toBe(`flipt-${expected.stack}`);
    const autoscalers = byType(run(), "kubernetes:autoscaling/v2:HorizontalPodAutoscaler");
    if (expected.autoscaled) {
      expect(deployment.spec.replicas).toBeUndefined();
      expect(autoscalers).toHaveLength(1);
      expect(autoscalers[0].inputs.spec.minReplicas).toBe(expected.replicas);
      expect(autoscalers[0].inputs.spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: "flipt" });
    } else {
      expect(deployment.spec.replicas).toBe(expected.replicas);
      expect(autoscalers).toHaveLength(0);
    }
    expect(fliptContainer(run()).image).toBe("docker.flipt.io/flipt/flipt:v1.61.1");
  });

  it("exposes ports http 8080 and grpc 9000 on the container and the Service", () => {
    expect(fliptContainer(run()).ports).toEqual([
      { name: "http", containerPort: 8080, protocol: "TCP" },
      { name: "grpc", containerPort: 9000, protocol: "TCP" },
    ]);
    const service = k8sObject(run(), "Service", "flipt").inputs;
    expect(service.spec.ports.map((p: any) => [p.name, p.port, p.targetPort])).toEqual([
      ["http", 8080, "http"],
      ["grpc", 9000, "grpc"],
    ]);
    expect(service.spec.selector).toEqual(k8sObject(run(), "Deployment", "flipt").inputs.spec.selector.matchLabels);
  });

  it("probes /health on port http, with a startup probe that tolerates a slow first clone", () => {
    const container = fliptContainer(run());
    for (const probe of [container.startupProbe, container.livenessProbe, container.readinessProbe]) {
      expect(probe.httpGet).toEqual({ path: "/health", port: "http" });
    }
    const startupBudget = container.startupProbe.periodSeconds * container.startupProbe.failureThreshold;
    expect(startupBudget).toBeGreaterThanOrEqual(120);
  });

  it("uses the security context of Flipt's chart and writes only to emptyDirs", () => {
    const pod = k8sObject(run(), "Deployment", "flipt").inputs.spec.template.spec;
    expect(pod.securityContext).toMatchObject({
      runAsUser: 100, runAsGroup: 1000, fsGroup: 1000, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" },
    });
    for (const container of [...pod.initContainers, ...pod.containers]) {
      expect(container.securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
      });
      // The relay wait (wget of /ready) mounts nothing; every other container mounts the config and the emptyDirs.
      if (container.name === "wait-for-flags-relay") {
        expect(container.volumeMounts).toBeUndefined();
        continue;
      }
      const writable = container.volumeMounts.filter((m: any) => !m.readOnly).map((m: any) => m.name);
      for (const name of writable) expect(pod.volumes.find((v: any) => v.name === name).emptyDir).toBeDefined();
      expect(container.volumeMounts.map((m: any) => m.mountPath)).toEqual(
        expect.arrayContaining(["/etc/flipt/config", "/var/opt/flipt", "/tmp"]),
      );
      expect(container.resources.requests.cpu).toBeTruthy();
      expect(container.resources.limits.memory).toBeTruthy();
    }
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it("runs `flipt migrate` in an init container with only the database URL", () => {
    const inits = k8sObject(run(), "Deployment", "flipt").inputs.spec.template.spec.initContainers;
    const init = inits.find((c: any) => c.name === "migrate");
    expect(init.command).toEqual(["/flipt", "migrate", "--config", "/etc/flipt/config/default.yml"]);
    expect(init.env.map((e: any) => e.name)).toEqual(["FLIPT_DB_URL"]);
  });

  it(`${expected.relay ? "waits for the flags relay's /ready before migrating" : "has no wait for a relay"}`, () => {
    const inits = k8sObject(run(), "Deployment", "flipt").inputs.spec.template.spec.initContainers;
    expect(inits.map((c: any) => c.name)).toEqual(expected.relay ? ["wait-for-flags-relay", "migrate"] : ["migrate"]);
    if (expected.relay) expect(inits[0].command.join(" ")).toContain(`wget -q -T 2 -O /dev/null http://flags-relay.flipt-${expected.stack}.svc.cluster.local:8080/ready`);
  });

  it(`mounts a config file that reads flags from ${expected.relay ? "the flags relay" : "the Git host"} and keeps evaluation token-free`, () => {
    const config = fliptConfig(run());
    const relayRepository = `http://flags-relay.flipt-${expected.stack}.svc.cluster.local:8080/flipt-deploy.git`;
    expect(config.storage).toEqual({
      type: "git",
      read_only: true,
      git: {
        repository: expected.relay ? relayRepository : readStack(expected.stack).value("gitRepository"),
        ref: "main",
        directory: expected.flagsDirectory,
        poll_interval: expected.pollInterval,
        backend: { type: "memory" },
      },
    });
    expect(config.authentication).toEqual({
      required: true,
      exclude: { management: false, evaluation: true, ofrep: true },
      methods: { token: { enabled: true } },
    });
    expect(config.metrics).toEqual({ enabled: true, exporter: "prometheus" });
    expect(config.meta).toMatchObject({ check_for_updates: false, telemetry_enabled: false });
    expect(config.db.url).toBeUndefined();
  });

  it("rolls the pods when the config changes (checksum of the mounted file)", () => {
    const file = k8sObject(run(), "ConfigMap", "flipt-config").inputs.data[FLIPT.configFile];
    const annotations = k8sObject(run(), "Deployment", "flipt").inputs.spec.template.metadata.annotations;
    expect(annotations["checksum/config"]).toBe(createHash("sha256").update(file).digest("hex"));
  });

  it(`wires every secret variable to a key of a Secret the stack creates${expected.relay ? ", with no Git credential (the relay holds it)" : ""}`, () => {
    const env = (fliptContainer(run()).env as any[]).filter((e) => e.valueFrom !== undefined);
    expect(env.map((e) => e.name)).toEqual([
      "FLIPT_DB_URL",
      "FLIPT_AUTHENTICATION_METHODS_TOKEN_BOOTSTRAP_TOKEN",
      ...(expected.relay ? [] : GIT_BASIC_ENV),
    ]);
    // The Git Secret is created either way: Flipt or the relay reads it.
    expect(Object.keys(k8sObject(run(), "Secret", "flipt-git").inputs.stringData).sort()).toEqual(["credential", "username"]);
    for (const { valueFrom } of env) {
      const { name, key } = valueFrom.secretKeyRef;
      expect(Object.keys(k8sObject(run(), "Secret", name).inputs.stringData)).toContain(key);
    }
  });

  it("creates a login role without privileges and a database it owns", () => {
    const [role] = byType(run(), ROLE);
    const [database] = byType(run(), DATABASE);
    expect(role.inputs).toMatchObject({
      name: expected.database, login: true, superuser: false, createDatabase: false, createRole: false,
      replication: false, connectionLimit: readStack(expected.stack).value("postgresConnectionLimit"),
    });
    expect(database.inputs).toMatchObject({ name: expected.database, owner: expected.database });
    expect(run().outputs.databaseName).toBe(expected.database);
  });

  it(`${expected.protect ? "protects and retains" : "neither protects nor retains"} the database and role`, () => {
    for (const resource of [...byType(run(), ROLE), ...byType(run(), DATABASE)]) {
      expect([resource.protect, resource.retainOnDelete]).toEqual([expected.protect, expected.protect]);
    }
  });

  it(`${expected.stack === "prod" ? "protects every resource, so destroy is refused before it deletes anything" : "protects nothing but what protectDatabase names"}`, () => {
    const unprotected = run().resources.filter((r) => !r.protect).map((r) => `${r.type} ${r.name}`);
    if (expected.stack === "prod") expect(unprotected).toEqual([]);
    else expect(run().resources.filter((r) => r.protect)).toEqual([]);
  });

  it("adds a PodDisruptionBudget only with more than one replica", () => {
    const pdbs = run().resources.filter((r) => r.inputs.kind === "PodDisruptionBudget");
    expect(pdbs.length).toBe(expected.replicas > 1 ? 1 : 0);
  });

  it("admits only its own, the services' and the monitoring namespaces", () => {
    const policy = k8sObject(run(), "NetworkPolicy", "flipt").inputs.spec;
    const [expression] = policy.ingress[0].from[0].namespaceSelector.matchExpressions;
    const services = expected.stack.startsWith("pr-")
      ? []
      : ["dagster", "gate", "llm-gateway", "maestro", "prompts"];
    expect(expression.values).toEqual([...services, `flipt-${expected.stack}`, "monitoring"].sort());
  });

  it("exports the in-cluster URLs and a secret bootstrap token", () => {
    expect(run().outputs).toMatchObject({
      fliptUrl: `http://flipt.flipt-${expected.stack}.svc.cluster.local:8080`,
      fliptGrpcAddress: `flipt.flipt-${expected.stack}.svc.cluster.local:9000`,
      namespace: `flipt-${expected.stack}`,
    });
    expect(run().secretOutputs).toEqual(new Set(["bootstrapToken"]));
  });

  it("sends every Secret's data and every password as a secret", () => {
    for (const secret of run().resources.filter((r) => r.inputs.kind === "Secret")) {
      for (const key of Object.keys(secret.inputs.stringData)) {
        expect(isSecretPath(secret, `stringData.${key}`), `${secret.name} stringData.${key}`).toBe(true);
      }
    }
    expect(isSecretPath(byType(run(), ROLE)[0], "password")).toBe(true);
    expect(isSecretPath(byType(run(), "pulumi:providers:postgresql")[0], "password")).toBe(true);
  });

  it("never puts a secret value into a ConfigMap, label, annotation or plain output", () => {
    const { resources, outputs, secretOutputs, secretValues } = run();
    const forms = secretValues.flatMap((v) => [v, encodeURIComponent(v)]);
    const plainOutputs = Object.entries(outputs).filter(([k]) => !secretOutputs.has(k));
    for (const resource of resources) {
      const visible = JSON.stringify(withoutPaths(resource.inputs, resource.secretPaths));
      for (const form of forms) expect(visible, `${resource.name} shows a secret`).not.toContain(form);
    }
    for (const form of forms) expect(JSON.stringify(plainOutputs)).not.toContain(form);
  });
});

function withoutPaths(inputs: Record<string, any>, paths: string[]): Record<string, any> {
  const copy = JSON.parse(JSON.stringify(inputs));
  for (const path of paths) {
    const keys = path.split(".");
    const last = keys.pop()!;
    const parent = keys.reduce((o, k) => o?.[k], copy);
    if (parent) delete parent[last];
  }
  return copy;
}

describe("stacks side by side", () => {
  it("gives every stack its own namespace, database and role", () => {
    const names = STACKS.map(({ stack }) => {
      const run = runs.get(stack)!;
      return [run.outputs.namespace, byType(run, DATABASE)[0].inputs.name, byType(run, ROLE)[0].inputs.name];
    });
    for (const column of [0, 1, 2]) {
      expect(new Set(names.map((n) => n[column])).size).toBe(STACKS.length);
    }
  });
});

describe("sqlite mode (review stacks that leave the shared PostgreSQL alone)", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram("pr-7", { databaseMode: "sqlite" });
  });

  it("creates no PostgreSQL resources and points Flipt at SQLite on its emptyDir", () => {
    expect(run.resources.filter((r) => r.type.startsWith("postgresql:"))).toEqual([]);
    expect(k8sObject(run, "Secret", "flipt-db").inputs.stringData.url).toBe("file:/var/opt/flipt/flipt.db");
    expect(run.outputs.databaseName).toBe("file:/var/opt/flipt/flipt.db");
  });
});

describe("the database URL", () => {
  it("carries the generated role password URL-encoded", async () => {
    const run = runs.get("dev")!;
    const url = new URL(k8sObject(run, "Secret", "flipt-db").inputs.stringData.url);
    expect(url.protocol).toBe("postgres:");
    expect(url.hostname).toBe(readStack("dev").value("postgresHost"));
    expect(decodeURIComponent(url.username)).toBe("flipt_dev");
    expect(decodeURIComponent(url.password)).toBe("Mock!flipt-database-password:p@ss/w?rd#1");
    expect(url.pathname).toBe("/flipt_dev");
    expect(url.searchParams.get("sslmode")).toBe("require");
  });
});

/** The relay's objects as the program registers them: resource type and Kubernetes name. */
const RELAY_REGISTRATIONS = [
  ["kubernetes:core/v1:ServiceAccount", "flags-relay"],
  ["kubernetes:rbac.authorization.k8s.io/v1:Role", "flags-relay"],
  ["kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "flags-relay"],
  ["kubernetes:rbac.authorization.k8s.io/v1:Role", "flags-override"],
  ["kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "flags-override"],
  ["kubernetes:core/v1:ConfigMap", "flags-relay-program"],
  ["kubernetes:core/v1:PersistentVolumeClaim", "flags-relay"],
  ["kubernetes:apps/v1:Deployment", "flags-relay"],
  ["kubernetes:core/v1:Service", "flags-relay"],
  ["kubernetes:networking.k8s.io/v1:NetworkPolicy", "flags-relay"],
];

/** Resources that are children of the FlagsRelay component. */
function relayChildren(run: ProgramRun) {
  const component = run.resources.find((r) => r.type === "flipt-deploy:index:FlagsRelay");
  if (!component) return [];
  return run.resources.filter((r) => r.parent.endsWith(`::${component.name}`));
}

const urnMatching = (run: ProgramRun, kind: string, name: string) => {
  const resource = k8sObject(run, kind, name);
  return expect.stringMatching(new RegExp(`::${resource.name}$`));
};

describe.each(["dev", "prod"])("the flags relay in stack %s", (stack) => {
  const run = () => runs.get(stack)!;

  it("is a FlagsRelay component whose children are the relay's objects, each with its own resource type", () => {
    // Registration order under the mocks is not the apply order, so compare as sets.
    const registered = relayChildren(run()).map((r) => [r.type, r.inputs.metadata.name]);
    expect(registered.sort()).toEqual([...RELAY_REGISTRATIONS].sort());
    for (const child of relayChildren(run())) expect(child.inputs.metadata.namespace).toBe(`flipt-${stack}`);
  });

  it("waits for Flipt's namespace and the Git Secret it reads", () => {
    for (const child of relayChildren(run())) {
      expect(child.dependencies).toEqual(expect.arrayContaining([urnMatching(run(), "Namespace", `flipt-${stack}`), urnMatching(run(), "Secret", "flipt-git")]));
    }
  });

  it("holds the bundled relay program in its ConfigMap, and rolls the pod when it changes", () => {
    const program = k8sObject(run(), "ConfigMap", "flags-relay-program").inputs.data["flags-relay.mjs"];
    expect(program).toBe(relayProgram());
    const annotations = k8sObject(run(), "Deployment", "flags-relay").inputs.spec.template.metadata.annotations;
    expect(annotations["checksum/program"]).toBe(createHash("sha256").update(program).digest("hex"));
  });

  it("lets the platform-oncall group override flags", () => {
    expect(k8sObject(run(), "RoleBinding", "flags-override").inputs.subjects).toEqual([
      { kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "platform-oncall" },
    ]);
  });

  it("points Flipt at the relay's Service, polling it at the stack's gitPollInterval", () => {
    const config = yaml.load(k8sObject(run(), "ConfigMap", "flipt-config").inputs.data["default.yml"]) as any;
    expect(config.storage.git.repository).toBe(`http://flags-relay.flipt-${stack}.svc.cluster.local:8080/flipt-deploy.git`);
    expect(config.storage.git.poll_interval).toBe(readStack(stack).value("gitPollInterval"));
    const args: string[] = k8sObject(run(), "Deployment", "flags-relay").inputs.spec.template.spec.containers[0].command;
    expect(args).toContain(`--upstream=${readStack(stack).value("gitRepository")}`);
    expect(args).toContain("--poll-interval=5s");
  });
});

describe("the flags relay's protection", () => {
  it("is protected in prod like every other resource (protectStack), and not in dev", () => {
    expect(relayChildren(runs.get("prod")!).every((r) => r.protect)).toBe(true);
    expect(relayChildren(runs.get("dev")!).some((r) => r.protect)).toBe(false);
  });
});

describe("the flags relay in a review stack", () => {
  it("has no flags relay: Flipt reads the Git host itself, with its credentials", () => {
    const run = runs.get("pr-123")!;
    expect(run.resources.filter((r) => r.type === "flipt-deploy:index:FlagsRelay" || r.inputs.metadata?.name?.startsWith("flags-"))).toEqual([]);
    const config = yaml.load(k8sObject(run, "ConfigMap", "flipt-config").inputs.data["default.yml"]) as any;
    expect(config.storage.git.repository).toBe(readStack("dev").value("gitRepository"));
  });
});
