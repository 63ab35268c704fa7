import { afterAll, beforeAll, expect, test } from "vitest";
import { waitFor } from "../../scripts/lib/processes";
import { killSwitches, withFlagEnabled } from "../../scripts/lib/flagFiles";
import { OpenFeatureClients, closeOpenFeature } from "../../scripts/lib/openFeatureClients";
import { E2EStack, describeWithFlipt, startStack } from "./harness/stack";
import { figure } from "./harness/summary";

/** Slack on top of the poll interval for the fetch, the snapshot rebuild and the evaluation. */
const PROPAGATION_SLACK_MS = 2000;
const EVALUATE_EVERY_MS = 50;

describeWithFlipt("scenario 4: a flag change propagates", () => {
  let stack: E2EStack;
  let clients: OpenFeatureClients;

  beforeAll(async () => {
    stack = await startStack({ database: "sqlite" });
    clients = new OpenFeatureClients(stack.flipt.url);
  });
  afterAll(async () => {
    await closeOpenFeature();
    await stack?.stop();
  });

  test("a committed kill-switch change is served within the poll interval plus 2 s", async ({ task }) => {
    const pollMs = stack.settings.git.pollIntervalSeconds * 1000;
    const flagsDir = stack.repository.flagsPath();
    const [{ namespace, key, legacyKey }] = killSwitches(flagsDir);
    const evaluate = () => clients.boolean(namespace, key, false, { targetingKey: "org-1" });
    const initial = await evaluate();

    const measured: number[] = [];
    // Engage the switch, then release it: two independent samples of where in the poll cycle a merge lands.
    for (const enabled of [!initial, initial]) {
      const { file, content } = withFlagEnabled(flagsDir, namespace, key, enabled);
      stack.repository.writeFlags({ [file]: content });
      stack.repository.commit(`${enabled ? "engage" : "release"} ${legacyKey}`);
      const committed = Date.now();
      await waitFor(async () => (await evaluate()) === enabled, {
        timeoutMs: pollMs + PROPAGATION_SLACK_MS + 5000,
        intervalMs: EVALUATE_EVERY_MS,
        what: `${namespace}/${key} to become ${enabled}`,
      });
      measured.push(Date.now() - committed);
    }
    figure(task, "poll interval", stack.settings.git.pollInterval);
    figure(task, "commit → new value", measured.map((ms) => `${ms} ms`).join(", "));
    figure(task, "limit", `${pollMs + PROPAGATION_SLACK_MS} ms`);
    for (const ms of measured) expect(ms).toBeLessThan(pollMs + PROPAGATION_SLACK_MS);
  });
});
