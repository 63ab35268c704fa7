import { afterEach, expect, test } from "vitest";
import { ENV } from "../../builders/fliptConfig";
import { containerEnvironment, describeExit } from "../../scripts/lib/fliptProcess";
import { readFlagFiles } from "../../scripts/lib/flagFiles";
import { E2EStack, REPO_FLAGS_DIR, describeWithFlipt, startStack } from "./harness/stack";
import { figure } from "./harness/summary";

/** Flipt gives up on a clone it cannot authenticate within this; it should be seconds. */
const STARTUP_FAILURE_TIMEOUT_MS = 60_000;

/** The Git credential variable the rendered Deployment sets for the dev stack's gitAuth. */
function gitCredentialVariable(stack: E2EStack): string {
  return stack.settings.git.auth === "basic" ? ENV.basicPassword : ENV.accessToken;
}

describeWithFlipt("scenario 2: Git with credentials", () => {
  let stack: E2EStack | undefined;
  afterEach(async () => stack?.stop());

  test("Flipt clones the flags repository with the credential from the rendered Secret", async ({ task }) => {
    stack = await startStack({ database: "sqlite" });
    const { rendered, secretValues } = stack.flipt.options;
    const env = containerEnvironment(rendered.serve.env, rendered.secrets, secretValues);
    expect(env[gitCredentialVariable(stack)]).toBe(secretValues.gitCredential);

    // The server does insist on credentials...
    const repoUrl = stack.gitServer.url(stack.repository.barePath.split("/").pop()!);
    const anonymous = await fetch(`${repoUrl}/info/refs?service=git-upload-pack`);
    expect(anonymous.status).toBe(401);
    // ...and Flipt's were accepted every time: it serves every flag of the repository.
    expect(stack.gitServer.counts.served).toBeGreaterThan(0);
    expect(stack.gitServer.counts.rejected).toBe(1);
    const token = { Authorization: `Bearer ${secretValues.bootstrapToken}` };
    for (const { document } of readFlagFiles(REPO_FLAGS_DIR)) {
      const response = await fetch(`${stack.flipt.url}/api/v1/namespaces/${document.namespace}/flags`, { headers: token });
      const body = (await response.json()) as { flags: { key: string }[] };
      expect(body.flags.map((f) => f.key).sort()).toEqual(document.flags.map((f) => f.key).sort());
    }
    figure(task, "auth", `${stack.settings.git.auth} (${gitCredentialVariable(stack)})`);
    figure(task, "git requests", `${stack.gitServer.counts.served} authenticated`);
  });

  test("a wrong credential makes startup fail with a clear log line", async ({ task }) => {
    stack = await startStack({ database: "sqlite", fliptGitCredential: "not-the-credential", start: false });
    const started = Date.now();
    const proc = await stack.flipt.launch();
    const status = await proc.exitWithin(STARTUP_FAILURE_TIMEOUT_MS);
    figure(task, "exit", `${describeExit(status)} after ${Date.now() - started} ms`);
    expect(status.code).not.toBe(0);
    expect(await stack.flipt.healthy()).toBe(false);
    expect(stack.gitServer.counts.rejected).toBeGreaterThan(0);
    const line = proc.output().find((l) => /authentication required/i.test(l));
    expect(line, `no line about authentication in Flipt's output:\n${proc.tail()}`).toBeDefined();
    // Flipt v1.61.1 names the step, not the repository: "Error: performing initial clone: authentication required: …".
    expect(line).toMatch(/performing initial clone: authentication required/);
    figure(task, "log line", line!);
  });
});
