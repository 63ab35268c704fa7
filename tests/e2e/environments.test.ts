import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { localToday } from "../../scripts/flags/dates";
import { environmentDirectory, FLAGS_ROOT } from "../../scripts/flags/environments";
import { run } from "../../scripts/flags/main";
import { LocalFlipt, prepareLocalFlipt, REPOSITORY_FLAGS_ROOT } from "../../scripts/lib/localFlipt";
import { Supervisor, waitFor } from "../../scripts/lib/processes";
import { toolchainPaths } from "../../scripts/toolchain/paths";
import { killSwitches, readFlagFiles, withFlagEnabled } from "../../scripts/lib/flagFiles";
import { OpenFeatureClients, closeOpenFeature } from "../../scripts/lib/openFeatureClients";
import { describeWithFlipt } from "./harness/stack";
import { figure } from "./harness/summary";

/** Slack on top of prod's poll interval for the fetch, the snapshot rebuild and the evaluation. */
const PROPAGATION_SLACK_MS = 2000;
const EVALUATE_EVERY_MS = 50;

describeWithFlipt("scenario 8: flag environments from one repository (dev before prod, promotion)", () => {
  let supervisor: Supervisor;
  let fixtureRoot: string;
  let dev: LocalFlipt;
  let prod: LocalFlipt;
  let devClients: OpenFeatureClients;
  let prodClients: OpenFeatureClients;
  let flag: { namespace: string; key: string; legacyKey: string };

  beforeAll(async () => {
    supervisor = new Supervisor();
    // This repository's flags/, with one kill switch engaged in dev only: a change on its way to prod.
    fixtureRoot = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "flipt-e2e-envs-")), FLAGS_ROOT);
    fs.cpSync(REPOSITORY_FLAGS_ROOT, fixtureRoot, { recursive: true });
    const devDir = path.join(fixtureRoot, "dev");
    flag = killSwitches(devDir).find((s) => readEnabled(devDir, s.namespace, s.key) === false)!;
    const change = withFlagEnabled(devDir, flag.namespace, flag.key, true);
    fs.writeFileSync(path.join(devDir, change.file), change.content);

    const tools = toolchainPaths();
    const common = { supervisor, fliptBin: tools.fliptBin, gitBin: tools.gitBin, flagsDir: fixtureRoot };
    dev = await prepareLocalFlipt({ ...common, stack: "dev" });
    // The prod stack's rendered Flipt cloning the same repository from the same Git server.
    prod = await prepareLocalFlipt({ ...common, stack: "prod", flagsServer: dev.flagsServer });
    await Promise.all([dev.flipt.start(), prod.flipt.start()]);
    devClients = new OpenFeatureClients(dev.flipt.url);
    prodClients = new OpenFeatureClients(prod.flipt.url);
  });
  afterAll(async () => {
    await closeOpenFeature();
    await supervisor?.stopAll();
    if (fixtureRoot) fs.rmSync(path.dirname(fixtureRoot), { recursive: true, force: true });
  });

  const evaluate = (clients: OpenFeatureClients) => clients.boolean(flag.namespace, flag.key, false, { targetingKey: "org-1" });

  test("one repository: the dev stack's Flipt serves the flag on while the prod stack's serves it off", async ({ task }) => {
    expect(prod.repository).toBe(dev.repository);
    expect([dev.settings.git.directory, prod.settings.git.directory]).toEqual([environmentDirectory("dev"), environmentDirectory("prod")]);
    expect(await evaluate(devClients)).toBe(true);
    expect(await evaluate(prodClients)).toBe(false);
    figure(task, "flag", `${flag.namespace}/${flag.key}`);
    figure(task, "served", "dev on, prod off");
  });

  test("a promotion commit (npm run flags -- promote) is served by prod within its poll interval plus 2 s", async ({ task }) => {
    const workFlags = dev.repository.workTreePath(FLAGS_ROOT);
    const out: string[] = [];
    const io = { cwd: dev.repository.workTree, today: localToday(), stdout: (l: string) => out.push(l), stderr: (l: string) => out.push(l) };
    const code = run(["promote", "--dir", workFlags, "--from", "dev", "--to", "prod", "--flag", `${flag.namespace}/${flag.key}`], io);
    expect(code, out.join("\n")).toBe(0);
    expect(out.join("\n")).toContain("everyone: false → true");
    dev.repository.commit(`promote ${flag.namespace}/${flag.key} from dev to prod`);
    const committed = Date.now();
    const pollMs = prod.settings.git.pollIntervalSeconds * 1000;
    await waitFor(async () => (await evaluate(prodClients)) === true, {
      timeoutMs: pollMs + PROPAGATION_SLACK_MS + 5000,
      intervalMs: EVALUATE_EVERY_MS,
      what: `prod to serve ${flag.namespace}/${flag.key} on after the promotion`,
    });
    const measured = Date.now() - committed;
    expect(await evaluate(devClients)).toBe(true);
    figure(task, "prod poll interval", prod.settings.git.pollInterval);
    figure(task, "promotion commit → prod serves it", `${measured} ms`);
    figure(task, "limit", `${pollMs + PROPAGATION_SLACK_MS} ms`);
    expect(measured).toBeLessThan(pollMs + PROPAGATION_SLACK_MS);
  });
});

function readEnabled(dir: string, namespace: string, key: string): boolean | undefined {
  return readFlagFiles(dir).find((f) => f.document.namespace === namespace)?.document.flags.find((f) => f.key === key)?.enabled;
}
