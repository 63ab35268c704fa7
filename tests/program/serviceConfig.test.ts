import { beforeAll, describe, expect, it } from "vitest";
import { ProgramRun, RecordedResource, byType, runProgram } from "./harness";

const CONFIG_MAP_PATCH = "kubernetes:core/v1:ConfigMapPatch";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const SERVICE_CONFIG = "flipt-deploy:index:ServiceConfig";
const FIELD_MANAGER = "pulumi.com/patchFieldManager";
const FORCE = "pulumi.com/patchForce";

/** dev's and prod's `services`: two existing ConfigMaps to patch, four services that get `<name>-flipt`. */
const PATCHED = [
  { service: "llm-gateway/llm-gateway", namespace: "llm-gateway", configMap: "llm-gateway-env" },
  { service: "maestro/maestro-api", namespace: "maestro", configMap: "maestro-api-env" },
];
const CREATED = [
  { service: "gate/control-api", namespace: "gate", configMap: "control-api-flipt" },
  { service: "gate/connector-proxy", namespace: "gate", configMap: "connector-proxy-flipt" },
  { service: "prompts/prompts-api", namespace: "prompts", configMap: "prompts-api-flipt" },
  { service: "dagster/dagster-daemon", namespace: "dagster", configMap: "dagster-daemon-flipt" },
];
type Wired = (typeof PATCHED)[number];

const STACKS = [
  { stack: "dev", url: "http://flipt.flipt-dev.svc.cluster.local:8080", patched: PATCHED, created: CREATED },
  { stack: "prod", url: "http://flipt.flipt-prod.svc.cluster.local:8080", patched: PATCHED, created: CREATED },
  // A review stack is dev's config, but wiring dev's services would point them at the review Flipt.
  { stack: "pr-123", url: "http://flipt.flipt-pr-123.svc.cluster.local:8080", patched: [] as Wired[], created: [] as Wired[] },
];

const runs = new Map<string, ProgramRun>();

beforeAll(async () => {
  for (const { stack } of STACKS) runs.set(stack, await runProgram(stack));
});

function serviceComponent(run: ProgramRun): RecordedResource {
  const [component] = byType(run, SERVICE_CONFIG);
  if (!component) throw new Error("no ServiceConfig component");
  return component;
}

/** ConfigMaps the service wiring created (Flipt's own flipt-config is not a child of ServiceConfig). */
function createdConfigMaps(run: ProgramRun): RecordedResource[] {
  const parent = serviceComponent(run);
  return byType(run, CONFIG_MAP).filter((r) => r.parent.endsWith(`::${parent.name}`));
}

const where = (r: RecordedResource) => ({ namespace: r.inputs.metadata.namespace, configMap: r.inputs.metadata.name });

describe.each(STACKS)("service wiring of $stack", ({ stack, url, patched, created }) => {
  const run = () => runs.get(stack)!;

  it("patches each existing ConfigMap once, with exactly FLIPT_URL under the fixed field manager and no force", () => {
    const patches = byType(run(), CONFIG_MAP_PATCH);
    expect(patches.map(where)).toEqual(patched.map(({ namespace, configMap }) => ({ namespace, configMap })));
    for (const patch of patches) {
      expect(patch.inputs.data).toEqual({ FLIPT_URL: url });
      expect(patch.inputs.metadata.annotations).toEqual({ [FIELD_MANAGER]: "flipt-deploy" });
    }
  });

  it("creates <name>-flipt in the service's namespace for each service without a ConfigMap", () => {
    const configMaps = createdConfigMaps(run());
    expect(configMaps.map(where)).toEqual(created.map(({ namespace, configMap }) => ({ namespace, configMap })));
    for (const configMap of configMaps) {
      expect(configMap.inputs.data).toEqual({ FLIPT_URL: url });
      expect(configMap.inputs.metadata.labels["app.kubernetes.io/managed-by"]).toBe("pulumi");
    }
  });

  it("exports serviceConfig: service → the ConfigMap and keys written", () => {
    const entry = (kind: string) => ({ service, namespace, configMap }: Wired) =>
      [service, { kind, configMap, namespace, keys: ["FLIPT_URL"] }] as const;
    const expected = Object.fromEntries([...patched.map(entry("patched")), ...created.map(entry("created"))]);
    expect(run().outputs.serviceConfig).toEqual(expected);
  });

  it("lets destroy undo the wiring: nothing is retained, protected only where the whole stack is (prod), and a patch carries no other field", () => {
    // Deleting a ConfigMapPatch gives up its field manager's fields, so destroy removes exactly the keys above
    // (and the field-manager annotation) and leaves the service's other keys, labels and annotations alone.
    for (const resource of [...byType(run(), CONFIG_MAP_PATCH), ...createdConfigMaps(run())]) {
      expect(resource.protect).toBe(stack === "prod");
      expect(resource.retainOnDelete).toBe(false);
    }
    for (const patch of byType(run(), CONFIG_MAP_PATCH)) {
      expect(Object.keys(patch.inputs).sort()).toEqual(["apiVersion", "data", "kind", "metadata"]);
      expect(Object.keys(patch.inputs.metadata).sort()).toEqual(["annotations", "name", "namespace"]);
    }
  });
});

describe("service wiring options", () => {
  it("forces conflicts on the patches only when serviceForceConflicts is set", async () => {
    const run = await runProgram("dev", { serviceForceConflicts: true });
    const patches = byType(run, CONFIG_MAP_PATCH);
    expect(patches).toHaveLength(2);
    for (const patch of patches) {
      expect(patch.inputs.metadata.annotations).toEqual({ [FIELD_MANAGER]: "flipt-deploy", [FORCE]: "true" });
    }
    for (const configMap of createdConfigMaps(run)) expect(configMap.inputs.metadata.annotations).toBeUndefined();
  });

  it("writes the gRPC address and extra keys, and reports them in serviceConfig", async () => {
    const run = await runProgram("dev", {
      services: ["maestro/maestro-api?configMap=maestro-api-env&FLIPT_NAMESPACE=maestro", "gate/control-api"],
      serviceGrpcKey: "FLIPT_GRPC_ADDRESS",
      serviceFieldManager: "platform-flipt",
    });
    const [patch] = byType(run, CONFIG_MAP_PATCH);
    expect(patch.inputs.data).toEqual({
      FLIPT_URL: "http://flipt.flipt-dev.svc.cluster.local:8080",
      FLIPT_GRPC_ADDRESS: "flipt.flipt-dev.svc.cluster.local:9000",
      FLIPT_NAMESPACE: "maestro",
    });
    expect(patch.inputs.metadata.annotations).toEqual({ [FIELD_MANAGER]: "platform-flipt" });
    const [configMap] = createdConfigMaps(run);
    expect(configMap.inputs.data).toEqual({
      FLIPT_URL: "http://flipt.flipt-dev.svc.cluster.local:8080",
      FLIPT_GRPC_ADDRESS: "flipt.flipt-dev.svc.cluster.local:9000",
    });
    expect(run.outputs.serviceConfig).toEqual({
      "maestro/maestro-api": {
        kind: "patched", configMap: "maestro-api-env", namespace: "maestro", keys: ["FLIPT_URL", "FLIPT_GRPC_ADDRESS", "FLIPT_NAMESPACE"],
      },
      "gate/control-api": { kind: "created", configMap: "control-api-flipt", namespace: "gate", keys: ["FLIPT_URL", "FLIPT_GRPC_ADDRESS"] },
    });
  });

  it.each([
    ["a service listed twice", ["gate/control-api", "gate/control-api?configMap=control-env"], "each service listed once (gate/control-api is listed twice)"],
    ["an invalid namespace", ["Gate/control-api"], "with a valid namespace"],
    ["an invalid ConfigMap name", ["gate/control-api?configMap=Control_Env"], "a configMap name that is a DNS-1123 subdomain"],
  ])("stops the program on %s with a config error naming the entry", async (_case, services, expected) => {
    await expect(runProgram("dev", { services })).rejects.toThrow(expected);
  });
});
