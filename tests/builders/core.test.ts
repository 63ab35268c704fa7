import { describe, expect, it } from "vitest";
import { SQLITE_URL, databaseSpec, databaseSpecSql, fliptDatabaseUrl, postgresUrl } from "../../builders/database";
import { ENV, fliptConfigDocument, fliptEnvName, fliptEnvironment } from "../../builders/fliptConfig";
import { admittedNamespaces, fliptObjectSpecs, podDisruptionBudgetSpec } from "../../builders/kubernetes";
import { imageVersion } from "../../builders/names";
import { PostgresSettings } from "../../settings/types";
import { goDurationSeconds, pinnedImage, quantityValue } from "../../settings/validators";
import { settingsFor } from "./stackSettings";

const POSTGRES: PostgresSettings = {
  host: "pg.internal", port: 5433, sslmode: "verify-full", adminUser: "admin",
  database: "flipt_dev", role: "flipt_dev", connectionLimit: 20,
};


describe("postgresUrl", () => {
  it.each(["plain", "p@ss:w/rd?#%&=+ ", "ümlaut'\"\\", "%41%"])("round-trips the password %j through URL parsing", (password) => {
    const url = new URL(postgresUrl(POSTGRES, password));
    expect(decodeURIComponent(url.password)).toBe(password);
    expect(url.username).toBe("flipt_dev");
    expect(url.host).toBe("pg.internal:5433");
    expect(url.pathname).toBe("/flipt_dev");
    expect(url.searchParams.get("sslmode")).toBe("verify-full");
  });

  it("uses SQLite on the data emptyDir in sqlite mode", () => {
    expect(fliptDatabaseUrl(settingsFor("dev", { databaseMode: "sqlite" }), "unused")).toBe(SQLITE_URL);
    expect(SQLITE_URL).toBe("file:/var/opt/flipt/flipt.db");
  });
});

describe("databaseSpec", () => {
  it("declares a login role without privileges that owns its database", () => {
    const spec = databaseSpec(POSTGRES);
    expect(spec.role).toEqual({
      name: "flipt_dev", login: true, superuser: false, createDatabase: false, createRole: false,
      replication: false, connectionLimit: 20,
    });
    expect(spec.database.owner).toBe(spec.role.name);
  });

  it("renders the same spec as SQL with quoted identifiers and literals", () => {
    expect(databaseSpecSql(databaseSpec(POSTGRES), "it's")).toEqual([
      `CREATE ROLE "flipt_dev" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION CONNECTION LIMIT 20 PASSWORD 'it''s'`,
      `CREATE DATABASE "flipt_dev" OWNER "flipt_dev" ENCODING 'UTF8' TEMPLATE template0`,
    ]);
  });
});

describe("Flipt environment", () => {
  it("names variables the way Flipt binds configuration paths", () => {
    expect(fliptEnvName("db.url")).toBe("FLIPT_DB_URL");
    expect(fliptEnvName("storage.git.authentication.token.access_token")).toBe(
      "FLIPT_STORAGE_GIT_AUTHENTICATION_TOKEN_ACCESS_TOKEN",
    );
  });

  // Flipt authenticates to the Git host only when it reads it itself: without the flags relay.
  it.each([
    ["none", [ENV.dbUrl, ENV.bootstrapToken]],
    ["token", [ENV.dbUrl, ENV.bootstrapToken, ENV.accessToken]],
    ["basic", [ENV.dbUrl, ENV.bootstrapToken, ENV.basicUsername, ENV.basicPassword]],
  ] as const)("gitAuth=%s without the relay sets %j", (auth, names) => {
    const settings = settingsFor("dev", { gitAuth: auth, gitUsername: "flipt-bot", flagsRelay: false });
    const goRuntime: string[] = [ENV.goMemoryLimit, ENV.goGC];
    expect(fliptEnvironment(settings).map((e) => e.name).filter((name) => !goRuntime.includes(name))).toEqual(names);
  });

  it.each(["token", "basic"])("gitAuth=%s with the relay sets no Git credential: Flipt reads the relay without one", (auth) => {
    const settings = settingsFor("dev", { gitAuth: auth, gitUsername: "flipt-bot" });
    expect(fliptEnvironment(settings).map((e) => e.name).filter((name) => name.startsWith("FLIPT_STORAGE_GIT"))).toEqual([]);
  });

  it("gitAuth=ssh without the relay sets the key from a Secret and the known_hosts file from the ConfigMap", () => {
    const settings = settingsFor("dev", {
      gitAuth: "ssh", gitRepository: "git@github.com:acme/flags.git", gitSshKnownHosts: "github.com ssh-ed25519 AAAA", flagsRelay: false,
    });
    const env = fliptEnvironment(settings);
    expect(env.find((e) => e.name === ENV.sshPrivateKey)?.valueFrom?.secretKeyRef.name).toBe("flipt-git");
    expect(env.find((e) => e.name === ENV.sshKnownHosts)?.value).toBe("/etc/flipt/ssh/known_hosts");
    const specs = fliptObjectSpecs(settings, { dbUrl: "d", bootstrapToken: "b", gitCredential: "k" });
    const configMap = specs.find((s) => s.kind === "ConfigMap") as unknown as { data: Record<string, string> };
    expect(configMap.data.known_hosts).toBe("github.com ssh-ed25519 AAAA");
  });

  it("keeps the Git secret out of the spec list when no credential is needed", () => {
    const specs = fliptObjectSpecs(settingsFor("dev", { gitAuth: "none" }), { dbUrl: "d", bootstrapToken: "b" });
    expect(specs.filter((s) => s.kind === "Secret").map((s) => s.metadata.name)).toEqual(["flipt-db", "flipt-bootstrap"]);
  });

  it.each([true, false])("puts no database URL, token or credential into the config document (relay %s)", (flagsRelay) => {
    const text = JSON.stringify(fliptConfigDocument(settingsFor("prod", { flagsRelay })));
    expect(text).not.toMatch(/"url"|bootstrap|password|access_token|private_key|T3st/);
  });
});

describe("Kubernetes specs", () => {
  it("adds a PodDisruptionBudget only for more than one replica", () => {
    expect(podDisruptionBudgetSpec(settingsFor("dev"))).toBeUndefined();
    expect(podDisruptionBudgetSpec(settingsFor("prod"))?.spec).toMatchObject({ maxUnavailable: 1 });
  });

  it("admits extra namespaces once each, sorted", () => {
    const settings = settingsFor("dev", { allowedNamespaces: ["gate", "ops"] });
    expect(admittedNamespaces(settings)).toEqual(["dagster", "flipt-dev", "gate", "llm-gateway", "maestro", "monitoring", "ops", "prompts"]);
  });

  it.each([
    ["docker.flipt.io/flipt/flipt:v1.61.1", "v1.61.1"],
    [`flipt/flipt@sha256:${"a".repeat(64)}`, "aaaaaaaaaaaa"],
  ])("labels %s with version %s", (image, version) => {
    expect(imageVersion(image)).toBe(version);
  });
});

describe("validators", () => {
  it.each([
    ["30s", 30], ["1m30s", 90], ["1h", 3600], ["500ms", 0.5], ["5 minutes", undefined], ["30", undefined],
  ])("goDurationSeconds(%j) = %j", (text, seconds) => expect(goDurationSeconds(text)).toBe(seconds));

  it.each([["128Mi", 134217728], ["500m", 0.5], ["1", 1], ["1.5Gi", 1610612736], ["12XB", undefined]])(
    "quantityValue(%j) = %j",
    (text, value) => expect(quantityValue(text)).toBe(value),
  );

  it.each([
    ["docker.flipt.io/flipt/flipt:v1.61.1", true],
    ["registry.local:5000/flipt:1.61", true],
    ["flipt/flipt", false],
    ["flipt/flipt:latest", false],
    ["node:24.11.1-bookworm", true],
    ["node", false],
    ["node:latest", false],
  ])("pinnedImage(%j) accepts: %j", (image, ok) => expect(pinnedImage(image) === undefined).toBe(ok));
});
