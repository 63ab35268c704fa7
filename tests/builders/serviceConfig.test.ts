import { describe, expect, it } from "vitest";
import {
  PATCH_ANNOTATIONS, serviceConfigData, serviceConfigs, serviceConfigSpecs, serviceConfigWritten,
} from "../../builders/serviceConfig";
import { stackObjectSpecs } from "../../builders/stackObjects";
import { renderStack } from "../../scripts/lib/renderedStack";
import { settingsFor } from "./stackSettings";


const DEV_URL = "http://flipt.flipt-dev.svc.cluster.local:8080";

describe("serviceConfigData", () => {
  it("gives a service only FLIPT_URL by default", () => {
    const settings = settingsFor("dev", { services: ["gate/control-api"] });
    expect(serviceConfigData(settings, settings.services.targets[0])).toEqual({ FLIPT_URL: DEV_URL });
  });

  it("adds the gRPC address under serviceGrpcKey, then the entry's extra keys", () => {
    const settings = settingsFor("dev", {
      services: ["gate/control-api?FLIPT_NAMESPACE=gate&FLIPT_TIMEOUT=2s"],
      serviceGrpcKey: "FLIPT_GRPC_ADDRESS",
    });
    const data = serviceConfigData(settings, settings.services.targets[0]);
    expect(data).toEqual({
      FLIPT_URL: DEV_URL,
      FLIPT_GRPC_ADDRESS: "flipt.flipt-dev.svc.cluster.local:9000",
      FLIPT_NAMESPACE: "gate",
      FLIPT_TIMEOUT: "2s",
    });
    expect(Object.keys(data)).toEqual(["FLIPT_URL", "FLIPT_GRPC_ADDRESS", "FLIPT_NAMESPACE", "FLIPT_TIMEOUT"]);
  });

  it("points each stack's services at that stack's Flipt", () => {
    const prod = settingsFor("prod");
    expect(serviceConfigData(prod, prod.services.targets[0]).FLIPT_URL).toBe("http://flipt.flipt-prod.svc.cluster.local:8080");
  });
});

describe("serviceConfigs", () => {
  it("patches an existing ConfigMap with only the data and the field manager annotation", () => {
    const [config] = serviceConfigs(settingsFor("dev", { services: ["llm-gateway/llm-gateway?configMap=llm-gateway-env"] }));
    expect(config.mode).toBe("patched");
    // No labels and no other annotations: the service's own metadata stays its owner's.
    expect(config.spec).toEqual({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "llm-gateway-env",
        namespace: "llm-gateway",
        annotations: { [PATCH_ANNOTATIONS.fieldManager]: "flipt-deploy" },
      },
      data: { FLIPT_URL: DEV_URL },
    });
  });

  it.each([
    [false, { "pulumi.com/patchFieldManager": "flipt-deploy" }],
    [true, { "pulumi.com/patchFieldManager": "flipt-deploy", "pulumi.com/patchForce": "true" }],
  ])("with serviceForceConflicts=%s annotates the patch with %j", (force, annotations) => {
    const [config] = serviceConfigs(
      settingsFor("dev", { services: ["maestro/maestro-api?configMap=maestro-api-env"], serviceForceConflicts: force }),
    );
    expect(config.spec.metadata.annotations).toEqual(annotations);
  });

  it("uses the configured field manager", () => {
    const [config] = serviceConfigs(
      settingsFor("dev", { services: ["maestro/maestro-api?configMap=maestro-api-env"], serviceFieldManager: "platform-flipt" }),
    );
    expect(config.spec.metadata.annotations).toEqual({ "pulumi.com/patchFieldManager": "platform-flipt" });
  });

  it("creates <name>-flipt in the service's namespace for a service without a ConfigMap", () => {
    const [config] = serviceConfigs(settingsFor("dev", { services: ["gate/control-api"], serviceForceConflicts: true }));
    expect(config.mode).toBe("created");
    expect(config.spec.metadata.name).toBe("control-api-flipt");
    expect(config.spec.metadata.namespace).toBe("gate");
    expect(config.spec.metadata.annotations).toBeUndefined();
    expect(config.spec.metadata.labels).toMatchObject({
      "app.kubernetes.io/instance": "flipt-dev",
      "app.kubernetes.io/managed-by": "pulumi",
      "app.kubernetes.io/part-of": "feature-flags",
    });
    // Not Flipt's pod selector: the NetworkPolicy and Service select by app.kubernetes.io/name=flipt.
    expect(config.spec.metadata.labels).not.toHaveProperty("app.kubernetes.io/name");
    expect(config.spec.data).toEqual({ FLIPT_URL: DEV_URL });
  });

  it("wires nothing for a review stack", () => {
    expect(serviceConfigs(settingsFor("pr-123"))).toEqual([]);
  });
});

describe("serviceConfigWritten", () => {
  it("maps each of dev's services to the ConfigMap and keys written", () => {
    expect(serviceConfigWritten(settingsFor("dev"))).toEqual({
      "llm-gateway/llm-gateway": { kind: "patched", configMap: "llm-gateway-env", namespace: "llm-gateway", keys: ["FLIPT_URL"] },
      "maestro/maestro-api": { kind: "patched", configMap: "maestro-api-env", namespace: "maestro", keys: ["FLIPT_URL"] },
      "gate/control-api": { kind: "created", configMap: "control-api-flipt", namespace: "gate", keys: ["FLIPT_URL"] },
      "gate/connector-proxy": { kind: "created", configMap: "connector-proxy-flipt", namespace: "gate", keys: ["FLIPT_URL"] },
      "prompts/prompts-api": { kind: "created", configMap: "prompts-api-flipt", namespace: "prompts", keys: ["FLIPT_URL"] },
      "dagster/dagster-daemon": { kind: "created", configMap: "dagster-daemon-flipt", namespace: "dagster", keys: ["FLIPT_URL"] },
    });
  });

  it("lists the gRPC key and extra keys it wrote", () => {
    const settings = settingsFor("dev", { services: ["gate/control-api?FLIPT_NAMESPACE=gate"], serviceGrpcKey: "FLIPT_GRPC_ADDRESS" });
    expect(serviceConfigWritten(settings)["gate/control-api"].keys).toEqual(["FLIPT_URL", "FLIPT_GRPC_ADDRESS", "FLIPT_NAMESPACE"]);
  });
});

describe("render", () => {
  it("includes every service's ConfigMap after Flipt's own objects", () => {
    const settings = settingsFor("dev");
    const all = stackObjectSpecs(settings, { dbUrl: "db", bootstrapToken: "token", gitCredential: "git" });
    expect(all.slice(-6)).toEqual(serviceConfigSpecs(settings));
  });

  it("writes FLIPT_URL into one file per service of dev, patches named as patches", () => {
    const files = renderStack("dev").filter((f) => f.content.includes("FLIPT_URL:"));
    expect(files.map((f) => f.file.replace(/^\d+-/, ""))).toEqual([
      "configmap-patch-llm-gateway-env.yaml",
      "configmap-patch-maestro-api-env.yaml",
      "configmap-control-api-flipt.yaml",
      "configmap-connector-proxy-flipt.yaml",
      "configmap-prompts-api-flipt.yaml",
      "configmap-dagster-daemon-flipt.yaml",
    ]);
  });
});
