import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { RELAY_METRICS, RELAY_OBJECTS, STATUS_KEY, type RelayStatus } from "../../builders/flagsRelayContract";
import { databaseSpec, databaseSpecSql, postgresUrl } from "../../builders/database";
import { BOOLEAN_FLAG_TYPE } from "../../scripts/flags/document";
import { folderFlags, forceFlagInText, type FoundFlag } from "../../scripts/flags/flagEdit";
import { readFolder } from "../../scripts/flags/folder";
import { evaluateBoolean } from "../../scripts/lib/booleanEvaluation";
import { metricValue } from "../../scripts/lib/metricsExposition";
import { PostgresServer } from "../../scripts/lib/postgres";
import { Supervisor, waitFor } from "../../scripts/lib/processes";
import { startRelayedFlipt, type RelayedFlipt } from "../../scripts/lib/relayedFlipt";
import { startLocalWorld, type LocalWorld } from "../../scripts/lib/localWorld";
import type { LocalFlipt } from "../../scripts/lib/localFlipt";
import { toolchainPaths } from "../../scripts/toolchain/paths";
import { runCliAsync } from "../flags/helpers";
import { describeWithFlipt, REPO_FLAGS_ROOT, ROLE_PASSWORD, testPostgresSettings } from "./harness/stack";
import { figure } from "./harness/summary";

const STACK = "prod";
const SUBJECT = "org-relay-7";
/** On top of the relay's override check and Flipt's poll: a loaded 2-core machine's margin. */
const SLACK_MS = 5000;

const evaluate = (flipt: LocalFlipt, flag: FoundFlag) => evaluateBoolean(flipt.flipt.url, flag, SUBJECT);

// One deployment (PostgreSQL, control plane, upstream Git server, relay, Flipt); the scenarios build on each other, in order.
describeWithFlipt("flags relay: the in-cluster mirror keeps Flipt serving when the Git host is down or main is broken", () => {
  const supervisor = new Supervisor();
  let world: LocalWorld;
  let relayed: RelayedFlipt;
  let flipt: LocalFlipt;
  let flags: FoundFlag[];
  let pollMs: number;
  /** The pull request the first override printed: the change that makes it permanent. */
  let printedDiff: string;
  const [a, b, c] = [0, 1, 2];

  const override = (args: string[], kubeconfig = world.kubeconfig) =>
    runCliAsync(["override", "--stack", STACK, ...args, "--kubeconfig", kubeconfig, "--context", STACK], { env: {} });
  const status = async (): Promise<RelayStatus> => {
    const configMap = await world.cluster.api.get("v1", "ConfigMap", RELAY_OBJECTS.statusConfigMap, relayed.settings.namespace);
    return JSON.parse(configMap?.data?.[STATUS_KEY] ?? "{}") as RelayStatus;
  };
  const overrideObjects = async () => (await world.cluster.api.list("v1", "ConfigMap", relayed.settings.namespace)).filter((o) => o.metadata.name.startsWith("flags-override-"));
  const served = (flag: FoundFlag, expected: boolean, what: string, timeoutMs = pollMs + SLACK_MS) =>
    waitFor(async () => (await evaluate(flipt, flag)) === expected, { timeoutMs, intervalMs: 200, what: `${flag.namespace}/${flag.key} served as ${expected} (${what})` });
  /** A flag's file in upstream's work tree, relative to the stack's flags directory. */
  const upstreamFile = (flag: FoundFlag) => flag.file;
  const setUpstream = (flag: FoundFlag, value: { enabled: boolean } | { rollout: number }, message: string) => {
    const file = upstreamFile(flag);
    const text = fs.readFileSync(relayed.upstream.repository.flagsPath(file), "utf8");
    relayed.upstream.repository.writeFlags({ [file]: forceFlagInText(text, flag, value)! });
    return relayed.upstream.repository.commit(message);
  };

  beforeAll(async () => {
    const paths = toolchainPaths();
    const settings = (await import("../../settings/stackFiles")).readStack(STACK).settings;
    world = await startLocalWorld({ supervisor, paths, stacks: [settings] });
    const postgres = await PostgresServer.start(supervisor, { pgBinDir: paths.pgBinDir, superuserPassword: "superuser-secret" });
    const postgresSettings = testPostgresSettings(settings.database.postgres!, postgres);
    postgres.psql(databaseSpecSql(databaseSpec(postgresSettings), ROLE_PASSWORD));
    relayed = await startRelayedFlipt({
      supervisor,
      fliptBin: paths.fliptBin,
      gitBin: paths.gitBin,
      stack: STACK,
      flagsDir: REPO_FLAGS_ROOT,
      api: { kube: world.cluster.api, server: world.cluster.server, ca: world.cluster.caCert },
      dbUrl: postgresUrl(postgresSettings, ROLE_PASSWORD),
    });
    flipt = relayed.local;
    await flipt.flipt.start();
    pollMs = relayed.settings.git.pollIntervalSeconds * 1000;
    // Boolean flags without rollouts, whatever flags/ holds today: three are needed.
    flags = folderFlags(readFolder(path.join(REPO_FLAGS_ROOT, path.basename(relayed.settings.git.directory)))).filter((f) => f.type === BOOLEAN_FLAG_TYPE && f.rollouts.length === 0);
    expect(flags.length, "the scenarios need three boolean flags without rollouts in the stack's flags").toBeGreaterThanOrEqual(3);
  }, 180_000);
  afterAll(async () => {
    await supervisor.stopAll();
  });

  test("Flipt's repository is the relay, and it serves upstream's flags through it", async () => {
    for (const flag of flags.slice(0, 3)) expect(await evaluate(flipt, flag)).toBe(flag.enabled);
    expect(metricValue(await relayed.relay.metrics(), RELAY_METRICS.upstreamUp)).toBe(1);
    expect((await status()).goodUpstreamCommit).toBe(relayed.upstream.repository.head());
  });

  test("with the upstream Git server stopped, a restarted Flipt becomes healthy from the relay and serves the last mirrored values", async ({ task }) => {
    await relayed.upstream.gitServer.stop();
    await flipt.flipt.stop();
    const started = Date.now();
    await flipt.flipt.start();
    figure(task, "Flipt start to healthy, upstream down (ms)", Date.now() - started);
    for (const flag of flags.slice(0, 3)) expect(await evaluate(flipt, flag)).toBe(flag.enabled);
    await waitFor(async () => metricValue(await relayed.relay.metrics(), RELAY_METRICS.upstreamUp) === 0, { timeoutMs: 30_000, what: "the relay to report upstream down" });
  });

  test("the relay restarted while upstream is down serves from its volume", async () => {
    await relayed.relay.stop();
    await relayed.relay.start();
    await flipt.flipt.stop();
    await flipt.flipt.start();
    expect(await evaluate(flipt, flags[a])).toBe(flags[a].enabled);
  });

  test("an override lands within one Flipt poll while upstream is down, recorded with who, when and why", async ({ task }) => {
    const before = await overrideObjects();
    const result = await override(["--flag", `${flags[a].namespace}/${flags[a].key}`, "--enabled", String(!flags[a].enabled), "--reason", "incident 4711: upstream down"]);
    expect(result.stderr).toEqual([]);
    expect(result.code).toBe(0);
    const recorded = Date.now();
    await served(flags[a], !flags[a].enabled, "override");
    figure(task, "override recorded to served (ms)", Date.now() - recorded);
    const objects = await overrideObjects();
    expect(objects.length).toBe(before.length + 1);
    const mine = objects.find((o) => o.data?.flag === `${flags[a].namespace}/${flags[a].key}`)!;
    expect(mine.data?.requestedBy).toBe("flipt-deploy-local-admin");
    expect(mine.data?.reason).toBe("incident 4711: upstream down");
    const output = result.stdout.join("\n");
    expect(output).toContain(`diff --git a/${relayed.settings.git.directory}/${flags[a].file}`);
    printedDiff = `${output.slice(output.indexOf("diff --git"), output.indexOf("\nrelay: "))}\n`;
    expect((await override(["--status"])).stdout.join("\n")).toMatch(/applied/);
  });

  test("upstream returns with a change to another flag: both the change and the override are served", async () => {
    await relayed.upstream.gitServer.start();
    setUpstream(flags[b], { enabled: !flags[b].enabled }, "flip b upstream");
    await served(flags[b], !flags[b].enabled, "upstream change", relayed.settings.relay!.pollIntervalSeconds * 1000 + pollMs + SLACK_MS);
    expect(await evaluate(flipt, flags[a])).toBe(!flags[a].enabled);
  });

  test("the same change merged upstream (the diff the override printed): the override ends by itself", async () => {
    execFileSync("git", ["apply", "--whitespace=nowarn", "-"], { cwd: relayed.upstream.repository.workTreePath(), input: printedDiff });
    expect(relayed.upstream.repository.commit("merge the override of a, as printed")).toBeDefined();
    await waitFor(async () => (await status()).overrides.find((o) => o.flag === `${flags[a].namespace}/${flags[a].key}`)?.state === "merged", { timeoutMs: 30_000, what: "the override to end as merged" });
    expect(await evaluate(flipt, flags[a])).toBe(!flags[a].enabled);
    expect(metricValue(await relayed.relay.metrics(), RELAY_METRICS.overrides, { state: "applied" })).toBe(0);
    const cleared = await override(["--clear", "--flag", `${flags[a].namespace}/${flags[a].key}`]);
    expect(cleared.code).toBe(0);
  });

  test("a conflicting upstream change: the override stays and is reported", async () => {
    const flag = `${flags[c].namespace}/${flags[c].key}`;
    expect((await override(["--flag", flag, "--enabled", String(!flags[c].enabled), "--reason", "conflict check"])).code).toBe(0);
    await served(flags[c], !flags[c].enabled, "override of c");
    setUpstream(flags[c], { rollout: 50 }, "upstream rolls c out to half");
    await waitFor(async () => (await status()).overrides.find((o) => o.flag === flag)?.state === "conflict", { timeoutMs: 30_000, what: "the override to be reported in conflict" });
    expect(await evaluate(flipt, flags[c])).toBe(!flags[c].enabled);
    expect(metricValue(await relayed.relay.metrics(), RELAY_METRICS.overrides, { state: "conflict" })).toBe(1);
    expect((await override(["--status"])).stdout.join("\n")).toMatch(/conflict: upstream changed/);
  });

  test("an invalid commit on upstream main is held back: Flipt keeps serving and a new Flipt pod still starts", async () => {
    const heldBefore = metricValue(await relayed.relay.metrics(), RELAY_METRICS.heldBackTotal) ?? 0;
    const good = (await status()).goodUpstreamCommit;
    const file = upstreamFile(flags[b]);
    relayed.upstream.repository.writeFlags({ [file]: `version: "1.4"\nnamespace: ${flags[b].namespace}\nflags:\n  - key: [unclosed\n` });
    const bad = relayed.upstream.repository.commit("a broken flag file");
    await waitFor(async () => metricValue(await relayed.relay.metrics(), RELAY_METRICS.heldBack) === 1, { timeoutMs: 30_000, what: "the relay to hold the commit back" });
    const held = await waitFor(async () => ((await status()).heldBack?.commit === bad ? status() : undefined), { timeoutMs: 10_000, what: "the status ConfigMap to name the held-back commit" });
    expect(held.heldBack?.commit).toBe(bad);
    expect(held.heldBack?.problems.join("\n")).toMatch(/YAML syntax error/);
    expect(held.goodUpstreamCommit).toBe(good);
    expect(metricValue(await relayed.relay.metrics(), RELAY_METRICS.heldBackTotal)).toBe(heldBefore + 1);
    expect(await evaluate(flipt, flags[b])).toBe(!flags[b].enabled);
    const second = await relayed.newFlipt();
    await second.flipt.start();
    expect(await evaluate(second, flags[b])).toBe(!flags[b].enabled);
    await second.flipt.stop();
  });

  test("bad input gets one line and a non-zero exit, and nothing changes on the relay", async () => {
    const before = (await overrideObjects()).map((o) => o.metadata.name).sort();
    const servedBefore = (await status()).servedCommit;
    const flag = `${flags[b].namespace}/${flags[b].key}`;
    const cases: [string, string[], RegExp][] = [
      ["unknown flag", ["--flag", `${flags[b].namespace}/no-such-flag`, "--enabled", "true", "--reason", "r"], /unknown flag/],
      ["percentage outside 0..100", ["--flag", flag, "--rollout", "120", "--reason", "r"], /percentage from 0 to 100/],
      ["negative percentage", ["--flag", flag, "--rollout=-1", "--reason", "r"], /percentage from 0 to 100/],
      ["missing --reason", ["--flag", flag, "--enabled", "true"], /missing --reason/],
      ["no cluster access", ["--flag", flag, "--enabled", "true", "--reason", "r", "--kubeconfig", path.join(path.dirname(world.kubeconfig), "no-such-kubeconfig")], /no cluster access/],
    ];
    for (const [what, args, message] of cases) {
      const result = await runCliAsync(["override", "--stack", STACK, ...args, ...(args.includes("--kubeconfig") ? [] : ["--kubeconfig", world.kubeconfig])], { env: {} });
      expect(result.code, what).not.toBe(0);
      expect(result.stderr, what).toHaveLength(1);
      expect(result.stderr[0], what).toMatch(message);
    }
    const review = await runCliAsync(["override", "--stack", "pr-7", "--flag", flag, "--enabled", "true", "--reason", "r", "--kubeconfig", world.kubeconfig], { env: {} });
    expect(review.code).not.toBe(0);
    expect(review.stderr).toHaveLength(1);
    expect(review.stderr[0]).toMatch(/has no flags relay/);
    // The cluster's API server down: a port nothing listens on.
    const down = execFileSync("sed", ["-e", "s#https://127.0.0.1:[0-9]*#https://127.0.0.1:9#", world.kubeconfig], { encoding: "utf8" });
    const downFile = path.join(path.dirname(world.kubeconfig), "kubeconfig-down");
    fs.writeFileSync(downFile, down);
    const unreachable = await runCliAsync(["override", "--stack", STACK, "--flag", flag, "--enabled", "true", "--reason", "r", "--kubeconfig", downFile, "--context", STACK], { env: {} });
    expect(unreachable.code).not.toBe(0);
    expect(unreachable.stderr).toHaveLength(1);
    expect(unreachable.stderr[0]).toMatch(/no cluster access: cannot reach the API server/);
    expect((await overrideObjects()).map((o) => o.metadata.name).sort()).toEqual(before);
    expect((await status()).servedCommit).toBe(servedBefore);
  });
});
