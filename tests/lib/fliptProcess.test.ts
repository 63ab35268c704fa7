import * as yaml from "js-yaml";
import { describe, expect, test } from "vitest";
import { ENV } from "../../builders/fliptConfig";
import { adaptConfigForLocalRun, containerEnvironment, localSqliteUrl, renderedFlipt } from "../../scripts/lib/fliptProcess";
import { renderStack } from "../../scripts/lib/renderedStack";

const local = { httpPort: 18080, grpcPort: 19000, repositoryUrl: "http://127.0.0.1:18081/flipt-deploy.git", dataDir: "/tmp/flipt-local" };

/** Dotted paths whose leaf values differ between two plain objects. */
function changedPaths(a: unknown, b: unknown, prefix = ""): string[] {
  if (typeof a !== "object" || a === null || typeof b !== "object" || b === null) return a === b ? [] : [prefix];
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].flatMap((k) => changedPaths((a as any)[k], (b as any)[k], prefix ? `${prefix}.${k}` : k));
}

describe("running the rendered Flipt locally", () => {
  const rendered = renderedFlipt(renderStack("dev"));

  test("the local config differs from the ConfigMap's only in address, ports, repository and state directory", () => {
    const adapted = adaptConfigForLocalRun(rendered.configYaml, local);
    expect(changedPaths(yaml.load(rendered.configYaml), adapted).sort()).toEqual([
      "meta.state_directory",
      "server.grpc_port",
      "server.host",
      "server.http_port",
      "storage.git.repository",
    ]);
    expect(adapted.server.host).toBe("127.0.0.1");
    expect(adapted.meta.state_directory).toBe("/tmp/flipt-local/state");
  });

  test("the Deployment's Secret references become the test values behind the placeholders", () => {
    const env = containerEnvironment(rendered.serve.env, rendered.secrets, { dbUrl: "postgres://x", bootstrapToken: "t0ken", gitCredential: "g1t" });
    expect(env[ENV.dbUrl]).toBe("postgres://x");
    expect(env[ENV.bootstrapToken]).toBe("t0ken");
    // dev's Flipt reads the in-cluster flags relay, which holds the Git credential: Flipt gets none.
    expect(env[ENV.basicUsername]).toBeUndefined();
    // A review stack's Flipt reads GitHub itself, with basic auth: the fixed user name and the token as password.
    const review = renderedFlipt(renderStack("pr-1"));
    const reviewEnv = containerEnvironment(review.serve.env, review.secrets, { dbUrl: "postgres://x", bootstrapToken: "t0ken", gitCredential: "g1t" });
    expect(reviewEnv[ENV.basicUsername]).toBe("x-access-token");
    expect(reviewEnv[ENV.basicPassword]).toBe("g1t");
  });

  test("a placeholder without a test value is an error that names it", () => {
    expect(() => containerEnvironment(rendered.serve.env, rendered.secrets, { dbUrl: "postgres://x" })).toThrow("<secret:bootstrapToken>");
  });

  test("the migration step gets only the database URL, as the init container does", () => {
    expect(Object.keys(containerEnvironment(rendered.migrate.env, rendered.secrets, { dbUrl: "postgres://x" }))).toEqual([ENV.dbUrl]);
  });

  test("SQLite lives in the local data directory", () => {
    expect(localSqliteUrl("/tmp/flipt-local")).toBe("file:/tmp/flipt-local/flipt.db");
  });
});
