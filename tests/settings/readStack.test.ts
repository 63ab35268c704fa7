import { describe, expect, it } from "vitest";
import { readStack, REVIEW_STACK_BASE } from "../../settings/stackFiles";
import { ConfigError } from "../../settings/parse";

const SECRETS = { gitCredential: "g", postgresAdminPassword: "p", grafanaToken: "" };

describe("readStack: one stack's input, the review-stack rule inside it", () => {
  it("a stack with a file reads its own file, nothing set on top", () => {
    const prod = readStack("prod");
    expect(prod).toMatchObject({ stack: "prod", from: "prod", overrides: {} });
    expect(prod.file).toMatch(/Pulumi\.prod\.yaml$/);
    expect(prod.settings.stack).toBe("prod");
  });

  it("a review stack is dev's file in SQLite mode, under its own name", () => {
    const review = readStack("pr-42");
    expect(review).toMatchObject({ stack: "pr-42", from: REVIEW_STACK_BASE, overrides: { "flipt-deploy:databaseMode": "sqlite" } });
    expect(review.settings.database.mode).toBe("sqlite");
    expect(review.settings.namespace).toBe("flipt-pr-42");
    expect(review.value("databaseMode")).toBe("sqlite");
    expect(review.value("flipt-deploy:gitPollInterval")).toBe(readStack("dev").value("gitPollInterval"));
  });

  it("the engine's configuration: the file's plain values, the overrides and extras on top, secrets in place of the placeholders", () => {
    const config = readStack("pr-9").engineConfig(SECRETS, { "kubernetes:context": "local" });
    expect(config.plain["flipt-deploy:databaseMode"]).toBe("sqlite");
    expect(config.plain["kubernetes:context"]).toBe("local");
    expect(config.secrets["flipt-deploy:gitCredential"]).toBe("g");
    expect(JSON.stringify(config)).not.toContain("Placeholder");
    expect(() => readStack("dev").engineConfig({})).toThrow(/no value for the secret flipt-deploy:gitCredential/);
  });

  it("a stack made from another's file gets its own name; settings are parsed only when asked for", () => {
    const bad = readStack("dev", { name: "misconfigured", values: { replicas: 0 } });
    expect(bad.stack).toBe("misconfigured");
    expect(bad.engineConfig(SECRETS).plain["flipt-deploy:replicas"]).toBe(0);
    expect(() => bad.settings).toThrow(ConfigError);
  });
});
