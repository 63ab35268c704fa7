import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { ConfigError, parseSettings } from "../../settings/parse";
import { readStackConfig } from "../../settings/stackFiles";
import { runProgram, testSecret } from "../program/harness";

/** dev's real configuration with some keys changed; `undefined` removes a key, `secret` lists keys given as secrets. */
function devWith(changes: Record<string, unknown>, secrets?: string[]) {
  const base = readStackConfig("dev", testSecret);
  const values: Record<string, unknown> = { ...base.values };
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) delete values[key];
    else values[key] = value;
  }
  const secretKeys = new Set(secrets ?? [...base.secretKeys].filter((k) => !(k in changes)));
  return { ...base, values, secretKeys };
}

function problemsOf(changes: Record<string, unknown>, secrets?: string[]): string[] {
  try {
    parseSettings(devWith(changes, secrets));
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
}

const BAD_VALUES: [string, Record<string, unknown>, string][] = [
  ["a missing repository", { gitRepository: undefined }, "flipt-deploy:gitRepository: missing; expected URL of the repository"],
  ["a repository that is no URL", { gitRepository: "flags-repo" }, 'flipt-deploy:gitRepository: "flags-repo" is invalid; expected an https://, http://, ssh:// or user@host:path repository URL'],
  ["a poll interval in words", { gitPollInterval: "5 minutes" }, 'flipt-deploy:gitPollInterval: "5 minutes" is invalid; expected a Go duration between 1s and 1h, such as 10s, 30s or 1m30s'],
  ["a poll interval over an hour", { gitPollInterval: "2h" }, 'flipt-deploy:gitPollInterval: "2h" is invalid; expected a Go duration between 1s and 1h'],
  ["negative replicas", { replicas: -1 }, "flipt-deploy:replicas: -1 is invalid; expected an integer from 1 to 10"],
  ["replicas as text", { replicas: "two" }, 'flipt-deploy:replicas: "two" is invalid; expected an integer from 1 to 10'],
  ["a port out of range", { postgresPort: 70000 }, "flipt-deploy:postgresPort: 70000 is invalid; expected an integer from 1 to 65535"],
  ["an unknown sslmode", { postgresSslmode: "strict" }, 'flipt-deploy:postgresSslmode: "strict" is invalid; expected one of disable, allow, prefer, require, verify-ca, verify-full'],
  ["an unpinned image", { image: "docker.flipt.io/flipt/flipt:latest" }, 'flipt-deploy:image: "docker.flipt.io/flipt/flipt:latest" is invalid; expected an image pinned by tag or digest'],
  ["an unknown log level", { logLevel: "verbose" }, 'flipt-deploy:logLevel: "verbose" is invalid; expected one of debug, info, warn, error'],
  ["a memory limit under the request", { memoryRequest: "128Mi", memoryLimit: "64Mi" }, 'flipt-deploy:memoryLimit: "64Mi" is invalid; expected at least memoryRequest (128Mi)'],
  ["a CPU quantity with a unit typo", { cpuRequest: "100mc" }, 'flipt-deploy:cpuRequest: "100mc" is invalid; expected a Kubernetes quantity'],
  ["an unknown key", { replica: 2 }, "flipt-deploy:replica: 2 is invalid; expected a key declared in Pulumi.yaml (unknown key)"],
  ["a namespace that is no DNS label", { namespace: "Flipt_{stack}" }, 'flipt-deploy:namespace: "Flipt_dev" is invalid; expected a DNS-1123 label'],
  ["a database name with a dash", { postgresDatabase: "flipt-db" }, 'flipt-deploy:postgresDatabase: "flipt-db" is invalid; expected a PostgreSQL identifier'],
  ["ssh without known hosts", { gitAuth: "ssh", gitRepository: "git@github.com:acme/flags.git" }, 'flipt-deploy:gitSshKnownHosts: "" is invalid; expected the Git server\'s known_hosts lines'],
  ["a token over ssh", { gitAuth: "token", gitRepository: "ssh://git@github.com/acme/flags.git" }, 'flipt-deploy:gitAuth: "token" is invalid; expected ssh with the ssh repository URL'],
  ["basic auth without a user", { gitAuth: "basic", gitUsername: "" }, 'flipt-deploy:gitUsername: "" is invalid; expected a user name with gitAuth=basic'],
  ["sqlite with two replicas", { databaseMode: "sqlite", replicas: 2 }, "flipt-deploy:replicas: 2 is invalid; expected 1 with databaseMode=sqlite"],
  ["too few connections for the replicas", { replicas: 4, postgresConnectionLimit: 10 }, "flipt-deploy:postgresConnectionLimit: 10 is invalid; expected at least replicas x dbMaxOpenConns + 1 = 21"],
  ["a service listed twice", { services: ["gate/control-api", "gate/control-api?configMap=x"] }, 'flipt-deploy:services: "gate/control-api?configMap=x" is invalid; expected each service listed once (gate/control-api is listed twice)'],
  ["a service with an invalid namespace", { services: ["Gate/control-api"] }, 'flipt-deploy:services: "Gate/control-api" is invalid; expected <namespace>/<name>[?configMap=<existing ConfigMap>&KEY=value] with a valid namespace'],
  ["a service with an invalid ConfigMap name", { services: ["gate/control-api?configMap=Control_Env"] }, 'flipt-deploy:services: "gate/control-api?configMap=Control_Env" is invalid; expected a configMap name that is a DNS-1123 subdomain'],
  ["a service entry without a namespace", { services: ["control-api"] }, 'flipt-deploy:services: "control-api" is invalid; expected <namespace>/<name>'],
  ["an extra key that overrides FLIPT_URL", { services: ["gate/control-api?FLIPT_URL=http://x"] }, 'flipt-deploy:services: "gate/control-api?FLIPT_URL=http://x" is invalid; expected extra keys that are environment variable names other than FLIPT_URL'],
  ["a scrape interval in words", { serviceMonitorInterval: "half a minute" }, 'flipt-deploy:serviceMonitorInterval: "half a minute" is invalid; expected a Prometheus duration'],
  ["an error ratio over 1", { alertEvaluationErrorRatio: "5" }, 'flipt-deploy:alertEvaluationErrorRatio: "5" is invalid; expected a number between 0 and 1'],
  ["the flags root instead of an environment's directory", { gitDirectory: "flags" }, 'flipt-deploy:gitDirectory: "flags" is invalid; expected one environment\'s directory, flags/dev or flags/prod (flags/ holds one directory per environment)'],
  ["dev serving prod's flags", { gitDirectory: "flags/prod" }, 'flipt-deploy:gitDirectory: "flags/prod" is invalid; expected flags/dev, the dev environment\'s flags, for stack dev'],
  ["a directory outside the repository", { gitDirectory: "../flags/dev" }, 'flipt-deploy:gitDirectory: "../flags/dev" is invalid; expected a relative directory such as flags/dev'],
  ["a Grafana URL without a token", { grafanaUrl: "https://grafana.example.com", grafanaToken: "" }, 'flipt-deploy:grafanaToken: (secret value not shown) is invalid; expected a non-empty secret when grafanaUrl is set'],
  ["a relay poll interval in words", { flagsRelayPollInterval: "5 seconds" }, 'flipt-deploy:flagsRelayPollInterval: "5 seconds" is invalid; expected a Go duration between 1s and 1h'],
  ["a relay poll interval under a second", { flagsRelayPollInterval: "500ms" }, 'flipt-deploy:flagsRelayPollInterval: "500ms" is invalid; expected a Go duration between 1s and 1h'],
  ["an unpinned relay image", { flagsRelayImage: "node:latest" }, 'flipt-deploy:flagsRelayImage: "node:latest" is invalid; expected an image pinned by tag or digest, e.g. node:24.11.1-bookworm (not :latest)'],
  ["an untagged relay image", { flagsRelayImage: "node" }, 'flipt-deploy:flagsRelayImage: "node" is invalid; expected an image pinned by tag or digest'],
  ["a relay volume size in words", { flagsRelayStorageSize: "one gig" }, 'flipt-deploy:flagsRelayStorageSize: "one gig" is invalid; expected a Kubernetes quantity such as 1Gi'],
  ["a relay volume of no size", { flagsRelayStorageSize: "0" }, 'flipt-deploy:flagsRelayStorageSize: "0" is invalid; expected a Kubernetes quantity such as 1Gi'],
  ["a StorageClass that is no DNS subdomain", { flagsRelayStorageClass: "Fast_SSD" }, 'flipt-deploy:flagsRelayStorageClass: "Fast_SSD" is invalid; expected a DNS-1123 subdomain'],
  ["an override group with a space", { flagsOverrideGroups: ["platform oncall"] }, 'flipt-deploy:flagsOverrideGroups: "platform oncall" is invalid; expected Kubernetes group names without spaces'],
  ["an override group listed twice", { flagsOverrideGroups: ["sre", "sre"] }, 'flipt-deploy:flagsOverrideGroups: "sre" is invalid; expected each group listed once (sre is listed twice)'],
  ["override groups that are no list", { flagsOverrideGroups: "platform-oncall" }, 'flipt-deploy:flagsOverrideGroups: "platform-oncall" is invalid; expected a list of strings'],
];

describe("configuration errors", () => {
  it.each(BAD_VALUES)("rejects %s with one line naming key, value and expected form", (_, changes, message) => {
    const problems = problemsOf(changes, [...readStackConfig("dev", testSecret).secretKeys]);
    expect(problems.some((p) => p.startsWith(message)), problems.join("\n")).toBe(true);
    for (const problem of problems) expect(problem).not.toContain("\n");
  });

  it("rejects a plaintext where a secret is required, without printing the value", () => {
    const problems = problemsOf({ gitCredential: "ghp_plaintext_token" });
    expect(problems).toEqual([
      "flipt-deploy:gitCredential: a plaintext value was given; expected a secret (pulumi config set --secret gitCredential <value>)",
    ]);
  });

  it("reports every problem at once", () => {
    expect(problemsOf({ replicas: -1, postgresPort: 0, logLevel: "loud" }, [...readStackConfig("dev", testSecret).secretKeys])).toHaveLength(3);
  });

  it("accepts the committed dev and prod configurations", () => {
    for (const stack of ["dev", "prod"]) expect(() => parseSettings(readStackConfig(stack, testSecret))).not.toThrow();
  });

  it("fails the Pulumi program with a RunError, which Pulumi prints without a stack trace", async () => {
    const failure = await runProgram("dev", { gitPollInterval: "5 minutes" }).catch((err: unknown) => err);
    expect(pulumi.RunError.isInstance(failure)).toBe(true);
    expect((failure as Error).message).toMatch(/^flipt-deploy:gitPollInterval: "5 minutes" is invalid/);
  });
});

describe("which flags directory a stack serves", () => {
  const settingsOf = (stack: string, values: Record<string, unknown> = {}) => {
    const base = readStackConfig(stack, testSecret);
    return parseSettings({ ...base, values: { ...base.values, ...values } });
  };

  it.each([
    ["dev", "flags/dev"],
    ["prod", "flags/prod"],
    ["pr-7", "flags/dev"],
  ])("stack %s serves %s from its stack file", (stack, directory) => {
    expect(settingsOf(stack).git.directory).toBe(directory);
  });

  it("refuses prod serving dev's flags", () => {
    expect(() => settingsOf("prod", { gitDirectory: "flags/dev" })).toThrow(
      'flipt-deploy:gitDirectory: "flags/dev" is invalid; expected flags/prod, the prod environment\'s flags, for stack prod',
    );
  });
});

describe("stack names in resource names", () => {
  it.each([
    ["pr-123", "flipt-pr-123", "flipt_pr_123"],
    ["Feature.Branch_1", "flipt-feature-branch-1", "flipt_feature_branch_1"],
  ])("derives names for stack %s", (stack, namespace, database) => {
    const settings = parseSettings({ ...readStackConfig("dev", testSecret), stack });
    expect(settings.namespace).toBe(namespace);
    expect(settings.database.postgres?.database).toBe(database);
    expect(settings.database.postgres?.role).toBe(database);
  });

  it("wires no services from a review stack, so dev's services keep pointing at dev", () => {
    expect(parseSettings({ ...readStackConfig("dev", testSecret), stack: "pr-9" }).services.targets).toEqual([]);
  });
});

describe("the flags relay's settings", () => {
  const settingsOf = (stack: string, values: Record<string, unknown> = {}) => {
    const base = readStackConfig(stack, testSecret);
    return parseSettings({ ...base, values: { ...base.values, ...values } });
  };

  it("runs the relay in dev and prod with the declared defaults and the stacks' override group", () => {
    for (const stack of ["dev", "prod"]) {
      expect(settingsOf(stack).relay).toEqual({
        image: "node:24.11.1-bookworm",
        pollInterval: "5s",
        pollIntervalSeconds: 5,
        storageSize: "1Gi",
        storageClass: undefined,
        overrideGroups: ["platform-oncall"],
      });
    }
  });

  it("prod's Flipt polls the in-cluster relay every 5 s; dev keeps its 10 s", () => {
    expect(settingsOf("prod").git.pollInterval).toBe("5s");
    expect(settingsOf("dev").git.pollInterval).toBe("10s");
  });

  it.each([
    ["is off with flagsRelay false", "dev", { flagsRelay: false }],
    ["is never in a review stack", "pr-12", {}],
    ["is never in a review stack, even with flagsRelay true", "pr-12", { flagsRelay: true }],
  ])("%s", (_, stack, values) => {
    expect(settingsOf(stack, values).relay).toBeUndefined();
  });

  it("takes a StorageClass, a volume size and no override group", () => {
    expect(settingsOf("dev", { flagsRelayStorageClass: "fast-ssd", flagsRelayStorageSize: "5Gi", flagsOverrideGroups: [] }).relay).toMatchObject({
      storageClass: "fast-ssd", storageSize: "5Gi", overrideGroups: [],
    });
  });
});
