import { describe, expect, it } from "vitest";
import { ENV, fliptEnvironment, goMemoryLimitValue } from "../../builders/fliptConfig";
import { deploymentSpec, fliptObjectSpecs, horizontalPodAutoscalerSpec, podDisruptionBudgetSpec } from "../../builders/kubernetes";
import { ConfigError } from "../../settings/parse";
import { readStack } from "../../settings/stackFiles";
import { Settings } from "../../settings/types";
import { quantityValue } from "../../settings/validators";
import { testSecret } from "../program/harness";
import { settingsFor } from "./stackSettings";


function problemsOf(stack: string, changes: Record<string, unknown>): string[] {
  try {
    settingsFor(stack, changes);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems as string[];
    throw err;
  }
}

type PodSpec = { affinity?: unknown; topologySpreadConstraints?: { topologyKey: string; whenUnsatisfiable: string }[] };
const podSpec = (settings: Settings) => (deploymentSpec(settings).spec as { template: { spec: PodSpec } }).template.spec;
const deploymentReplicas = (settings: Settings) => (deploymentSpec(settings).spec as { replicas?: number }).replicas;

describe("autoscaling", () => {
  const autoscaled = { autoscaling: true, autoscalingMinReplicas: 2, autoscalingMaxReplicas: 6, autoscalingTargetCpuUtilization: 40, cpuRequest: "1", cpuLimit: "1", postgresConnectionLimit: 100 };

  it("a HorizontalPodAutoscaler (autoscaling/v2) on the Deployment's CPU utilisation, with the configured range and target", () => {
    const settings = settingsFor("dev", autoscaled);
    expect(horizontalPodAutoscalerSpec(settings)).toMatchObject({
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: { name: "flipt", namespace: "flipt-dev" },
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "flipt" },
        minReplicas: 2,
        maxReplicas: 6,
        metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 40 } } }],
      },
    });
    // The autoscaler owns the replicas: the Deployment leaves them out, so `pulumi up` does not undo its scaling.
    expect(deploymentReplicas(settings)).toBeUndefined();
    expect(fliptObjectSpecs(settings, { dbUrl: "d", bootstrapToken: "b", gitCredential: "c" }).map((s) => s.kind)).toContain("HorizontalPodAutoscaler");
  });

  it("no HorizontalPodAutoscaler with autoscaling off; the Deployment sets the replicas", () => {
    const settings = settingsFor("dev", { replicas: 3, postgresConnectionLimit: 16 });
    expect(horizontalPodAutoscalerSpec(settings)).toBeUndefined();
    expect(deploymentReplicas(settings)).toBe(3);
  });

  it.each(["dev", "pr-7"])("the %s stack has none (off in dev and review stacks)", (stack) => {
    const { settings } = readStack(stack, { secretStandIn: testSecret });
    expect(settings.autoscaling).toBeUndefined();
    expect(horizontalPodAutoscalerSpec(settings)).toBeUndefined();
  });

  it("a review stack runs one pod even when dev's file turns autoscaling on (as its services are left unwired)", () => {
    const { settings } = readStack("pr-7", { values: { autoscaling: true }, secretStandIn: testSecret });
    expect(settings.autoscaling).toBeUndefined();
    expect(horizontalPodAutoscalerSpec(settings)).toBeUndefined();
    expect(deploymentReplicas(settings)).toBe(1);
  });

  it("prod autoscales from at least 2 pods, with a PodDisruptionBudget, and its role's connection limit covers the maximum", () => {
    const { settings } = readStack("prod", { secretStandIn: testSecret });
    expect(settings.autoscaling?.minReplicas).toBeGreaterThanOrEqual(2);
    expect(horizontalPodAutoscalerSpec(settings)).toBeDefined();
    expect(podDisruptionBudgetSpec(settings)).toBeDefined();
    const { maxReplicas } = settings.autoscaling!;
    expect(settings.database.postgres!.connectionLimit).toBeGreaterThanOrEqual(maxReplicas * settings.database.maxOpenConns + 1);
  });

  it.each([
    ["min above max", { autoscalingMinReplicas: 5, autoscalingMaxReplicas: 3, postgresConnectionLimit: 100 },
      "flipt-deploy:autoscalingMinReplicas: 5 is invalid; expected at most autoscalingMaxReplicas (3)"],
    ["a role that cannot serve the maximum", { autoscalingMaxReplicas: 8, dbMaxOpenConns: 5, postgresConnectionLimit: 20 },
      "flipt-deploy:postgresConnectionLimit: 20 is invalid; expected at least autoscalingMaxReplicas x dbMaxOpenConns + 1 = 41 (one connection for the migration init container)"],
    ["a PodDisruptionBudget that blocks every eviction", { podDisruptionMaxUnavailable: 0, postgresConnectionLimit: 100 },
      "flipt-deploy:podDisruptionMaxUnavailable: 0 is invalid; expected at least 1 (0 blocks every eviction: a node drain would wait for ever)"],
    ["fixed replicas beside the autoscaler", { replicas: 3, postgresConnectionLimit: 100 },
      "flipt-deploy:replicas: 3 is invalid; expected unset with autoscaling on (the HorizontalPodAutoscaler sets the replicas between autoscalingMinReplicas and autoscalingMaxReplicas)"],
    ["a target the CPU limit never lets pods reach", { autoscalingTargetCpuUtilization: 80, cpuRequest: "1", cpuLimit: "500m", postgresConnectionLimit: 100 },
      "flipt-deploy:cpuLimit: \"500m\" is invalid; expected at least cpuRequest (1)"],
    ["a target above cpuLimit / cpuRequest", { autoscalingTargetCpuUtilization: 90, cpuRequest: "600m", cpuLimit: "500m", postgresConnectionLimit: 100 },
      "flipt-deploy:autoscalingTargetCpuUtilization: 90 is invalid; expected at most cpuLimit / cpuRequest = 83 % (above it pods are throttled at cpuLimit before the autoscaler adds one)"],
    ["a maximum of one pod", { autoscalingMinReplicas: 1, autoscalingMaxReplicas: 1, postgresConnectionLimit: 100 },
      "flipt-deploy:autoscalingMaxReplicas: 1 is invalid; expected at least 2 with autoscaling on (with 1 there is nothing to scale; turn autoscaling off)"],
    ["SQLite with autoscaling", { databaseMode: "sqlite" },
      "flipt-deploy:autoscaling: true is invalid; expected false with databaseMode=sqlite (each pod would have its own database)"],
  ])("refuses %s in one line", (_, changes, problem) => {
    expect(problemsOf("dev", { ...autoscaled, ...changes })).toContain(problem);
  });

  it("each refused combination is one problem", () => {
    expect(problemsOf("dev", { ...autoscaled, autoscalingMinReplicas: 5, autoscalingMaxReplicas: 3, postgresConnectionLimit: 100 })).toHaveLength(1);
  });
});

describe("spread across nodes and zones", () => {
  it.each([
    ["fixed replicas above 1", { replicas: 2 }],
    ["autoscaling", { autoscaling: true, autoscalingMinReplicas: 1, autoscalingMaxReplicas: 3, postgresConnectionLimit: 16, cpuRequest: "500m" }],
  ])("with %s: node anti-affinity and a zone topology spread that never blocks scheduling", (_, changes) => {
    const spec = podSpec(settingsFor("dev", changes));
    expect(spec.affinity).toBeDefined();
    expect(spec.topologySpreadConstraints).toEqual([
      expect.objectContaining({ topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", maxSkew: 1 }),
    ]);
  });

  it("one pod: neither", () => {
    const spec = podSpec(settingsFor("dev", { replicas: 1 }));
    expect(spec.affinity).toBeUndefined();
    expect(spec.topologySpreadConstraints).toBeUndefined();
  });

  it("no PodDisruptionBudget when the autoscaler may go down to one pod", () => {
    expect(podDisruptionBudgetSpec(settingsFor("dev", { autoscaling: true, autoscalingMinReplicas: 1, autoscalingMaxReplicas: 3, postgresConnectionLimit: 16, cpuRequest: "500m" }))).toBeUndefined();
  });
});

describe("Go's memory limit and GOGC", () => {
  it.each(["dev", "prod", "pr-7"])("%s: GOMEMLIMIT is goMemoryLimitPercent of memoryLimit, in whole MiB, on Flipt's container", (stack) => {
    const { settings, value } = readStack(stack, { secretStandIn: testSecret });
    const limit = quantityValue(String(value("memoryLimit")))!;
    const percent = Number(value("goMemoryLimitPercent"));
    const env = fliptEnvironment(settings);
    const expected = `${Math.floor((limit * percent) / 100 / 2 ** 20)}MiB`;
    expect(env.find((e) => e.name === ENV.goMemoryLimit)?.value).toBe(expected);
    expect(env.find((e) => e.name === ENV.goGC)?.value).toBe(String(value("goGC")));
    const container = (deploymentSpec(settings).spec as { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } }).template.spec.containers[0];
    expect(container.env.find((e) => e.name === ENV.goMemoryLimit)?.value).toBe(expected);
  });

  it("follows memoryLimit: 512Mi at 75 % is 384MiB", () => {
    const env = fliptEnvironment(settingsFor("dev", { memoryLimit: "512Mi", goMemoryLimitPercent: 75 }));
    expect(env.find((e) => e.name === ENV.goMemoryLimit)?.value).toBe("384MiB");
  });

  it("0 leaves GOMEMLIMIT unset", () => {
    expect(fliptEnvironment(settingsFor("dev", { goMemoryLimitPercent: 0 })).map((e) => e.name)).not.toContain(ENV.goMemoryLimit);
  });

  it("rounds down to whole MiB", () => {
    expect(goMemoryLimitValue(2 ** 20 * 10.9)).toBe("10MiB");
  });

  it.each([
    [{ goMemoryLimitPercent: 5 }, "flipt-deploy:goMemoryLimitPercent: 5 is invalid; expected 0 (unset) or a percentage from 10 to 100"],
    [{ goMemoryLimitPercent: 120 }, "flipt-deploy:goMemoryLimitPercent: 120 is invalid; expected an integer from 0 to 100"],
    [{ goGC: 10 }, "flipt-deploy:goGC: 10 is invalid; expected an integer from 25 to 1000"],
  ])("refuses %j", (changes, problem) => {
    expect(problemsOf("dev", changes)).toEqual([problem]);
  });
});
