import { afterAll, beforeAll, expect, test } from "vitest";
import { describeExit } from "../../scripts/lib/fliptProcess";
import { sleep, waitFor } from "../../scripts/lib/processes";
import { FlagRef, killSwitches, readFlagFiles, withFlagEnabled } from "../../scripts/lib/flagFiles";
import { GIT_SYNC_ERRORS, declaresMetric, metricValue } from "../../scripts/lib/metricsExposition";
import { OpenFeatureClients, closeOpenFeature, servedValues } from "../../scripts/lib/openFeatureClients";
import { E2EStack, describeWithFlipt, startStack } from "./harness/stack";
import { figure } from "./harness/summary";

const SUBJECT = "org-42";
/** Slack on top of the poll interval for Flipt to notice a change or a failure. */
const POLL_SLACK_MS = 5000;
/** How long Flipt gets to either become healthy or give up when it starts while Git is unreachable. */
const RESTART_OBSERVATION_MS = 60_000;

/** Not a flag file Flipt can read: YAML with an unclosed flow sequence. */
const INVALID_FLAG_FILE = `version: "1.4"\nnamespace: broken\nflags:\n  - key: [unclosed\n`;
const INVALID_FILE_NAME = "broken.features.yml";

// The faults build on each other, in order, against one deployment (PostgreSQL, Git server, Flipt).
describeWithFlipt("scenario 5: faults", () => {
  let stack: E2EStack;
  let clients: OpenFeatureClients;
  let flags: FlagRef[];
  let pollMs: number;

  const values = () => servedValues(clients, flags, SUBJECT);
  const syncErrors = async () => metricValue(await stack.flipt.metrics(), GIT_SYNC_ERRORS) ?? 0;
  /** Waits for Flipt's next failed sync: proof that it tried, and that the metric counts it. */
  const nextSyncError = async (before: number) => {
    const started = Date.now();
    try {
      await waitFor(async () => (await syncErrors()) > before, { timeoutMs: pollMs + POLL_SLACK_MS, intervalMs: 250, what: `${GIT_SYNC_ERRORS} to exceed ${before}` });
    } catch (error) {
      // Say so plainly if this Flipt exports no such series at all.
      if (!declaresMetric(await stack.flipt.metrics(), GIT_SYNC_ERRORS)) throw new Error(`Flipt exports no ${GIT_SYNC_ERRORS} series, even after a failed sync`);
      throw error;
    }
    return Date.now() - started;
  };

  beforeAll(async () => {
    stack = await startStack({ database: "postgres" });
    clients = new OpenFeatureClients(stack.flipt.url);
    pollMs = stack.settings.git.pollIntervalSeconds * 1000;
    flags = readFlagFiles(stack.repository.flagsPath()).flatMap(({ document }) => document.flags.map((f) => ({ namespace: document.namespace, key: f.key })));
  });
  afterAll(async () => {
    await closeOpenFeature();
    await stack?.stop();
  });

  test("a commit with an invalid flag file: Flipt keeps serving the last good flags and counts a sync error", async ({ task }) => {
    const good = await values();
    const errorsBefore = await syncErrors();
    // The bad commit also flips a kill switch in a valid file: it must not be served either.
    const [killSwitch] = killSwitches(stack.repository.flagsPath());
    const flipped = good[`${killSwitch.namespace}/${killSwitch.key}`] !== "true";
    const change = withFlagEnabled(stack.repository.flagsPath(), killSwitch.namespace, killSwitch.key, flipped);
    stack.repository.writeFlags({ [change.file]: change.content, [INVALID_FILE_NAME]: INVALID_FLAG_FILE });
    stack.repository.commit("flip a kill switch and add an invalid flag file");

    const detectedMs = await nextSyncError(errorsBefore);
    figure(task, `${GIT_SYNC_ERRORS}`, `${errorsBefore} → ${await syncErrors()} (${detectedMs} ms after the commit)`);
    expect(await values()).toEqual(good);
    const logLine = stack.flipt.output().find((l) => l.includes("git backend flag sync failed"));
    expect(logLine, "Flipt logs the failed sync").toBeDefined();
    figure(task, "log", logSummary(logLine!));
    // A poll later: still the last good flags, and another error — every poll fails while the bad
    // commit is the head, so an alert on the counter's increase keeps firing until it is fixed.
    const errorsAfter = await syncErrors();
    await sleep(pollMs + 1000);
    expect(await values()).toEqual(good);
    const errorsLater = await syncErrors();
    figure(task, "one poll later", `${GIT_SYNC_ERRORS} ${errorsAfter} → ${errorsLater}, last good flags still served`);
    expect(errorsLater).toBeGreaterThan(errorsAfter);

    // Fixing forward: a commit that removes the bad file is served, the kill switch flip included.
    stack.repository.writeFlags({ [INVALID_FILE_NAME]: null });
    stack.repository.commit("remove the invalid flag file");
    const fixed = Date.now();
    await waitFor(async () => (await values())[`${killSwitch.namespace}/${killSwitch.key}`] === String(flipped), {
      timeoutMs: pollMs + POLL_SLACK_MS,
      what: "the fixed commit to be served",
    });
    figure(task, "fix served after", `${Date.now() - fixed} ms`);
  });

  test("Flipt (re)started while the head commit is invalid: it exits until a fix is committed", async ({ task }) => {
    const before = await values();
    stack.repository.writeFlags({ [INVALID_FILE_NAME]: INVALID_FLAG_FILE });
    stack.repository.commit("add an invalid flag file again");
    await stack.flipt.stop();
    const proc = await stack.flipt.launch();
    const status = await proc.exitWithin(RESTART_OBSERVATION_MS);
    figure(task, "outcome", `exited (${describeExit(status)})`);
    figure(task, "log", logSummary(proc.tail(1)));
    expect(status.code).not.toBe(0);

    stack.repository.writeFlags({ [INVALID_FILE_NAME]: null });
    stack.repository.commit("remove the invalid flag file again");
    await stack.flipt.start();
    expect(await values()).toEqual(before);
  });

  test("Git server stopped: evaluations keep their values", async ({ task }) => {
    const before = await values();
    const errorsBefore = await syncErrors();
    await stack.gitServer.stop();
    const detectedMs = await nextSyncError(errorsBefore);
    expect(await values()).toEqual(before);
    expect(await stack.flipt.healthy()).toBe(true);
    figure(task, "sync failing", `${GIT_SYNC_ERRORS} rose ${detectedMs} ms after the stop; /health still 200; values unchanged`);
  });

  test("PostgreSQL stopped: evaluations keep working", async ({ task }) => {
    const before = await values();
    await stack.postgres!.stop();
    try {
      expect(await values()).toEqual(before);
      const healthy = await stack.flipt.healthy();
      const management = await fetch(`${stack.flipt.url}/api/v1/namespaces`, { headers: { Authorization: `Bearer ${stack.secretValues.bootstrapToken}` } });
      figure(task, "while PostgreSQL is down", `evaluations unchanged; /health ${healthy ? 200 : "failing"}; management API with token ${management.status}`);
    } finally {
      await stack.postgres!.startServer();
    }
  });

  test("Flipt restarted while Git is unreachable: it does not start serving", async ({ task }) => {
    expect(stack.gitServer.running).toBe(false);
    const before = await values();
    await stack.flipt.stop();
    const started = Date.now();
    const proc = await stack.flipt.launch();
    const status = await proc.exitWithin(RESTART_OBSERVATION_MS);
    const failure = proc.output().find((l) => l.includes("performing initial clone")) ?? proc.tail(1);
    figure(task, "outcome", `exited (${describeExit(status)}) after ${Date.now() - started} ms, never healthy`);
    figure(task, "log", logSummary(failure));
    expect(status.code).not.toBe(0);

    // Once Git is back, a restart serves the same flags again.
    await stack.gitServer.start();
    const restarted = Date.now();
    await stack.flipt.start();
    expect(await values()).toEqual(before);
    figure(task, "after Git is back", `healthy ${Date.now() - restarted} ms after start, same values`);
  });

  test("Flipt stopped: the OpenFeature client returns the caller's default without throwing", async ({ task }) => {
    await stack.flipt.stop();
    const { namespace, key } = flags[0];
    const client = await clients.client(namespace);
    const seen: string[] = [];
    for (const callerDefault of [true, false]) {
      const started = Date.now();
      const details = await client.getBooleanDetails(key, callerDefault, { targetingKey: SUBJECT });
      expect(details.value).toBe(callerDefault);
      expect(details.errorCode).toBeDefined();
      expect(await client.getBooleanValue(key, callerDefault, { targetingKey: SUBJECT })).toBe(callerDefault);
      seen.push(`default ${callerDefault} → ${details.value} in ${Date.now() - started} ms (${details.errorCode})`);
    }
    figure(task, "evaluations", seen.join("; "));
  });
});

/** A Flipt log line, JSON or plain, as "message: error" for the summary. */
function logSummary(line: string): string {
  try {
    const entry = JSON.parse(line) as { M?: string; error?: string; errors?: unknown };
    return `${entry.M}: ${JSON.stringify(entry.errors ?? entry.error ?? "")}`;
  } catch {
    return line;
  }
}

