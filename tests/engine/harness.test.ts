// Fast tier: the engine tier's pure helpers (the scenarios themselves run with npm run test:engine).
import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { differencesFromLive, secretAsLive } from "./compare";
import { kubeconfigDocument } from "../../scripts/lib/localWorld/cluster/controlPlane";
import { LOCAL_STORAGE_CLASS, LOCAL_VOLUME_LABEL, relayVolumes, VOLUMES_PER_RELAY } from "../../scripts/lib/localWorld/cluster/existingWorld";
import { readiness } from "../../scripts/deployLocal/liveObjects";
import type { KubeObject } from "../../scripts/lib/localWorld";
import { KUBE_CONTEXTS } from "../../scripts/lib/localWorld";
import { engineStack } from "./harness";
import { readStack } from "../../settings/stackFiles";
import { generatePassword, passwordInputProblems } from "../../scripts/lib/localWorld/random-provider-stand-in/passwords";

describe("rendered versus live", () => {
  it.each([
    { name: "equal", rendered: { a: 1, b: ["x"] }, live: { a: 1, b: ["x"] }, differences: [] },
    { name: "live adds defaults", rendered: { spec: { port: 80 } }, live: { spec: { port: 80, protocol: "TCP" }, status: {} }, differences: [] },
    { name: "a changed value", rendered: { data: { k: "v" } }, live: { data: { k: "w" } }, differences: ['data.k: rendered "v", live has "w"'] },
    { name: "a missing field", rendered: { metadata: { labels: { a: "1" } } }, live: { metadata: {} }, differences: ["metadata.labels: rendered an object, live has undefined"] },
    { name: "a list of another length", rendered: { items: [1, 2] }, live: { items: [1] }, differences: ["items: rendered 2 items, live has 1"] },
    { name: "a list item differs", rendered: { items: [{ n: 1 }] }, live: { items: [{ n: 2 }] }, differences: ["items[0].n: rendered 1, live has 2"] },
  ])("$name", ({ rendered, live, differences }) => {
    expect(differencesFromLive(rendered, live)).toEqual(differences);
  });

  it("compares a rendered Secret's stringData as the API server's base64 data", () => {
    expect(secretAsLive({ kind: "Secret", stringData: { token: "t0k" } })).toEqual({ kind: "Secret", data: { token: Buffer.from("t0k").toString("base64") } });
  });
});

describe("random provider stand-in (test only)", () => {
  it("honours length and special=false", () => {
    const password = generatePassword({ length: 48, special: false });
    expect(password).toHaveLength(48);
    expect(password).toMatch(/^[A-Za-z0-9]+$/);
  });

  it("meets every class's minimum and uses overrideSpecial as the special set", () => {
    for (let i = 0; i < 50; i++) {
      const password = generatePassword({ length: 8, overrideSpecial: "#", minLower: 2, minUpper: 2, minNumeric: 2, minSpecial: 2 });
      expect(password).toHaveLength(8);
      expect(password.match(/[a-z]/g)).toHaveLength(2);
      expect(password.match(/[A-Z]/g)).toHaveLength(2);
      expect(password.match(/[0-9]/g)).toHaveLength(2);
      expect(password.match(/#/g)).toHaveLength(2);
    }
  });

  it("differs between calls (crypto-random)", () => {
    expect(new Set(Array.from({ length: 20 }, () => generatePassword({ length: 32 }))).size).toBe(20);
  });

  it("reports impossible inputs", () => {
    expect(passwordInputProblems({ length: 2, minUpper: 2, minLower: 1 })).toEqual(["length 2 is less than the sum of the minimums (3)"]);
    expect(passwordInputProblems({ length: 0 })).toContain("length must be a positive integer, got 0");
  });
});

describe("engine stacks", () => {
  it("copy dev's plain configuration, replace its secret placeholders, and apply the sqlite override", () => {
    const config = readStack("pr-9", { values: { databaseMode: "sqlite" } }).engineConfig({ gitCredential: "g", postgresAdminPassword: "", grafanaToken: "" });
    expect(config.plain["kubernetes:context"]).toBe("dev");
    expect(config.plain["flipt-deploy:databaseMode"]).toBe("sqlite");
    expect(config.plain["flipt-deploy:gitPollInterval"]).toBe("10s");
    expect(config.secrets).toEqual({ "flipt-deploy:gitCredential": "g", "flipt-deploy:postgresAdminPassword": "", "flipt-deploy:grafanaToken": "" });
    expect(JSON.stringify(config.plain)).not.toContain("Placeholder");
  });

  it("a stack copied from dev under another name gets names of its own", () => {
    const stack = engineStack("conflicting", {}, "dev");
    expect(stack.settings.namespace).toBe("flipt-conflicting");
    expect(stack.rendered.find((o) => o.kind === "Namespace")?.metadata.name).toBe("flipt-conflicting");
  });

  it("the kubeconfig has a context for each stack's kubernetes:context", () => {
    const doc = yaml.load(kubeconfigDocument("https://127.0.0.1:1", "CA", "token", KUBE_CONTEXTS)) as { contexts: { name: string }[] };
    expect(doc.contexts.map((c) => c.name)).toEqual([...KUBE_CONTEXTS]);
  });
});

describe("the existing world's storage", () => {
  const dev = readStack("dev").settings;
  const prod = readStack("prod").settings;
  const spec = (v: KubeObject) => v.spec as { capacity: { storage: string }; storageClassName: string; accessModes: string[]; hostPath: { path: string } };

  it("has volumes of each relay's size in the default class, named apart, under the given directory", () => {
    const volumes = relayVolumes([dev, prod], "/tmp/world/volumes");
    expect(volumes).toHaveLength(2 * VOLUMES_PER_RELAY);
    expect(new Set(volumes.map((v) => v.metadata.name)).size).toBe(volumes.length);
    for (const volume of volumes) {
      expect(spec(volume).capacity.storage).toBe(dev.relay!.storageSize);
      expect(spec(volume).storageClassName).toBe(LOCAL_STORAGE_CLASS);
      expect(spec(volume).accessModes).toEqual(["ReadWriteOnce"]);
      expect(spec(volume).hostPath.path).toBe(`/tmp/world/volumes/${volume.metadata.name}`);
      expect(volume.metadata.labels?.[LOCAL_VOLUME_LABEL]).toBe("true");
    }
  });

  it("has none for a review stack, and puts a stack's named class and size on its own volumes", () => {
    expect(relayVolumes([readStack("pr-3").settings], "/v")).toEqual([]);
    const named = readStack("dev", { name: "sized", values: { flagsRelayStorageClass: "fast-ssd", flagsRelayStorageSize: "5Gi" } }).settings;
    const volumes = relayVolumes([dev, named], "/v");
    expect(volumes.map((v) => `${spec(v).storageClassName} ${spec(v).capacity.storage}`).sort()).toEqual([
      ...Array(VOLUMES_PER_RELAY).fill(`${LOCAL_STORAGE_CLASS} ${dev.relay!.storageSize}`),
      ...Array(VOLUMES_PER_RELAY).fill("fast-ssd 5Gi"),
    ].sort());
  });

  it("a claim reads as ready only when Bound", () => {
    const claim = (phase?: string) => ({ apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "c" }, status: phase ? { phase } : {} });
    expect(readiness(claim("Bound"))).toBe("Bound");
    expect(readiness(claim("Pending"))).toBe("no (Pending)");
    expect(readiness(claim())).toBe("no (no phase)");
  });
});
