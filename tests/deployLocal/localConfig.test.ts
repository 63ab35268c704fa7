import * as fs from "node:fs";
import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { localStackConfig, LocalEndpoints } from "../../scripts/deployLocal/localConfig";
import { isSecureValue, stackFileFor } from "../../settings/stackFiles";
import { readStack, REVIEW_VALUES } from "../../settings/stackFiles";

const LOCAL: LocalEndpoints = {
  kubeContext: "local",
  gitRepository: "http://127.0.0.1:40001/flipt-deploy.git",
  gitCredential: "local-git-token",
  postgres: { host: "127.0.0.1", port: 40002, adminPassword: "local-admin-password" },
};

function stackFile(stack: string): Record<string, unknown> {
  return (yaml.load(fs.readFileSync(stackFileFor(stack), "utf8")) as { config: Record<string, unknown> }).config;
}

/** dev's outward-pointing keys, written out by hand from its stack file: the cluster, the Git remote, PostgreSQL, Grafana's token. */
const DEV_OUTWARD = {
  plain: {
    "kubernetes:context": "local",
    "flipt-deploy:gitRepository": LOCAL.gitRepository,
    "flipt-deploy:postgresHost": "127.0.0.1",
    "flipt-deploy:postgresPort": 40002,
    "flipt-deploy:postgresSslmode": "disable",
  } as Record<string, unknown>,
  secrets: { "flipt-deploy:gitCredential": "local-git-token", "flipt-deploy:postgresAdminPassword": "local-admin-password", "flipt-deploy:grafanaToken": "" },
};

const OUTWARD: Record<string, { plain: Record<string, unknown>; secrets: Record<string, string> }> = {
  dev: DEV_OUTWARD,
  // prod also points at a Grafana.
  prod: { plain: { ...DEV_OUTWARD.plain, "flipt-deploy:grafanaUrl": "" }, secrets: DEV_OUTWARD.secrets },
  // A review stack is dev's file in sqlite mode: PostgreSQL is not reached, so its address stays as the file has it.
  "pr-1": {
    plain: { "kubernetes:context": "local", "flipt-deploy:gitRepository": LOCAL.gitRepository, "flipt-deploy:databaseMode": "sqlite" },
    secrets: { ...DEV_OUTWARD.secrets, "flipt-deploy:postgresAdminPassword": "" },
  },
};

describe("deploy:local's configuration: the stack's own file with only the outward-pointing keys replaced", () => {
  it.each(Object.keys(OUTWARD))("%s: the replaced keys are exactly the outward-pointing ones, with the local values", (stack) => {
    const { config, replacements } = localStackConfig(stack, LOCAL);
    const file = stackFile(stack);
    const changedPlain = Object.keys(config.plain).filter((key) => JSON.stringify(config.plain[key]) !== JSON.stringify(file[key]));
    expect(Object.fromEntries(changedPlain.map((key) => [key, config.plain[key]]))).toEqual(OUTWARD[stack].plain);
    expect(config.secrets).toEqual(OUTWARD[stack].secrets);
    // The review rule's values (REVIEW_VALUES) are what makes a review stack, not replacements to announce.
    const reviewKeys = Object.keys(REVIEW_VALUES).map((k) => `flipt-deploy:${k}`);
    const expectedLines = [...Object.keys(OUTWARD[stack].plain), ...Object.keys(OUTWARD[stack].secrets)].filter((k) => !reviewKeys.includes(k));
    expect(replacements.map((r) => r.key).sort()).toEqual(expectedLines.sort());
  });

  it.each(Object.keys(OUTWARD))("%s: every other key equals the stack file", (stack) => {
    const { config } = localStackConfig(stack, LOCAL);
    const file = stackFile(stack);
    for (const [key, value] of Object.entries(file)) {
      if (key in OUTWARD[stack].plain || key in OUTWARD[stack].secrets) continue;
      expect(isSecureValue(value), key).toBe(false);
      expect(config.plain[key], key).toEqual(value);
    }
  });

  it("says each replacement in one line, naming the stack file's value and never a secret's", () => {
    const { replacements } = localStackConfig("prod", LOCAL);
    const lines = Object.fromEntries(replacements.map((r) => [r.key, r]));
    expect(lines["flipt-deploy:postgresHost"].from).toBe(readStack("prod").value("postgresHost"));
    expect(lines["flipt-deploy:postgresPort"].from).toBe("5432 (default)");
    expect(lines["flipt-deploy:grafanaUrl"]).toMatchObject({ from: readStack("prod").value("grafanaUrl"), to: '""' });
    expect(lines["flipt-deploy:postgresAdminPassword"]).toMatchObject({ from: "(secret)", to: "(secret)" });
    expect(JSON.stringify(replacements)).not.toContain(LOCAL.postgres!.adminPassword);
    expect(JSON.stringify(replacements)).not.toContain(LOCAL.gitCredential);
  });

  it("refuses a postgres stack without a local PostgreSQL", () => {
    expect(() => localStackConfig("dev", { ...LOCAL, postgres: undefined })).toThrow(/databaseMode postgres needs the local PostgreSQL/);
  });
});
