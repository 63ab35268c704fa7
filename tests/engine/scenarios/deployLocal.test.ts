/**
 * `npm run deploy:local` as a person runs it: a child process whose stdout is read, started the way
 * a terminal or a process manager starts it, and stopped the ways they stop it. Each test checks
 * that nothing of the run is left afterwards: no process of the local world and no temp dir.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { projectDir } from "../../../settings/schema";
import { sleep, waitFor } from "../../../scripts/lib/processes";
import { figure } from "../../e2e/harness/summary";
import { newWorldProcesses, newWorldTempDirs, snapshot, Snapshot } from "../leftovers";

/** A run of dev with --once: world, preview, up, read-back, Flipt when it can run, destroy. */
const ONCE_TIMEOUT_MS = 10 * 60_000;
/** What a stopped run may take to destroy and stop everything. */
const STOP_TIMEOUT_MS = 3 * 60_000;

interface Run {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `npm run deploy:local -- <args>` in a process group of its own, as a terminal's job. */
function deployLocal(args: readonly string[]): Run {
  const child = spawn("npm", ["run", "--silent", "deploy:local", "--", ...args], { cwd: projectDir, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  child.stdout!.on("data", (chunk: Buffer) => (text += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  return { child, output: () => text, exited };
}

async function within<T>(promise: Promise<T>, ms: number, what: string, run: Run): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} not within ${ms} ms; output:\n${run.output().slice(-3000)}`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits until nothing of the run is left: the world's processes gone and its temp dirs removed. */
async function expectNothingLeft(before: Snapshot): Promise<void> {
  await waitFor(() => newWorldProcesses(before).length === 0 && newWorldTempDirs(before).length === 0, { timeoutMs: 30_000, what: "no process or temp dir of the run" }).catch(() => undefined);
  expect(newWorldProcesses(before)).toEqual([]);
  expect(newWorldTempDirs(before)).toEqual([]);
}

const summaryLine = (output: string, stack: string) => output.split("\n").find((line) => line.startsWith(`deploy:local ${stack}: `));

let running: Run | undefined;
afterEach(() => {
  // A failed assertion must not leave the run going: its whole group is killed.
  if (running?.child.pid && running.child.exitCode === null && running.child.signalCode === null) {
    try {
      process.kill(-running.child.pid, "SIGKILL");
    } catch {
      // the group is gone already
    }
  }
  running = undefined;
});

describe("deploy:local", () => {
  it("--once deploys dev, shows the preview and the live objects in under 250 lines, the flags relay from them, destroys it, exits 0 with one summary line, and leaves nothing", async ({ task }) => {
    const before = snapshot();
    const started = Date.now();
    const run = (running = deployLocal(["--once"]));
    const { code } = await within(run.exited, ONCE_TIMEOUT_MS, "deploy:local --once", run);
    const output = run.output();
    figure(task, "dev --once", `${((Date.now() - started) / 1000).toFixed(1)}s`);
    expect(code, output.slice(-4000)).toBe(0);
    expect(summaryLine(output, "dev")).toMatch(/^deploy:local dev: OK; .*up [\d.]+s \(\d+ create\).*live objects ready.*destroy [\d.]+s.*no process or temp dir left$/);
    // One line per resource step, as the CLI's display shows them; the whole diff only with --diff.
    expect(output).toContain("== pulumi preview --stack dev");
    expect(output).toMatch(/^ {2}\+ kubernetes:core\/v1:Namespace \S+ create$/m);
    expect(output.split("== pulumi up")[1]).toMatch(/^ {2}\+ kubernetes:apps\/v1:Deployment \S+ created \([\d.]+s\)$/m);
    expect(output).not.toMatch(/^ {2}\| /m);
    const lines = output.trimEnd().split("\n").length;
    figure(task, "lines", String(lines));
    // 223 at the relay's arrival (its 12 resources are a line each in preview, up and destroy, and rows of the table).
    expect(lines, output).toBeLessThan(250);
    expect(output).toMatch(/kubernetes:context: dev → "local"/);
    // The live-object table: the header and the rows a person checks first.
    expect(output).toMatch(/^KIND +NAMESPACE +NAME +READY$/m);
    expect(output).toMatch(/^Namespace +flipt-dev +Active$/m);
    expect(output).toMatch(/^Deployment +flipt-dev +flipt +1\/1$/m);
    expect(output).toMatch(/^Pod +flipt-dev +flipt-[a-z0-9-]+ +yes$/m);
    expect(output).toMatch(/^ConfigMap +llm-gateway +llm-gateway-env +yes$/m);
    // The relay's claim is Bound to one of the existing world's volumes, so its Deployment became Available.
    expect(output).toMatch(/^storage: default StorageClass local-volumes \(no provisioner, WaitForFirstConsumer\); \d+ PersistentVolume\(s\) of 1Gi/m);
    expect(output).toMatch(/^PersistentVolumeClaim +flipt-dev +flags-relay +Bound$/m);
    expect(output).toMatch(/^Deployment +flipt-dev +flags-relay +1\/1$/m);
    if (!/Flipt not started/.test(output)) {
      expect(output).toMatch(/^flags relay from the live objects \(Deployment flipt-dev\/flags-relay, as its ServiceAccount\): serving commit [0-9a-f]{12} built from upstream [0-9a-f]{12} .* at http:\/\/127\.0\.0\.1:\d+\/\S+\.git$/m);
      expect(summaryLine(output, "dev")).toMatch(/; relay serving [0-9a-f]{8};/);
    }
    expect(output).toMatch(/kubeconfig: \S+kubeconfig/);
    expect(output).toMatch(/removed \d+ resources/);
    figure(task, "summary", summaryLine(output, "dev")!.replace(/^deploy:local dev: /, ""));
    await expectNothingLeft(before);
  }, ONCE_TIMEOUT_MS + 60_000);

  it("a bad stack name ends with one line naming the choices and exit 2, nothing started", async () => {
    const before = snapshot();
    const run = (running = deployLocal(["--stack", "staging", "--once"]));
    const { code } = await within(run.exited, 60_000, "deploy:local --stack staging", run);
    expect(code).toBe(2);
    expect(run.output().trim().split("\n")).toEqual(['error: --stack "staging": expected dev, prod or pr-<number>']);
    await expectNothingLeft(before);
  });

  it("a Flipt port already taken ends with one line and exit 2, nothing started", async () => {
    const before = snapshot();
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const run = (running = deployLocal(["--port", String(port)]));
      const { code } = await within(run.exited, 60_000, "deploy:local --port <taken>", run);
      expect(code).toBe(2);
      expect(run.output().trim().split("\n")).toEqual([`error: --port ${port}: already in use on 127.0.0.1`]);
    } finally {
      taken.close();
    }
    await expectNothingLeft(before);
  });

  it("--diff shows the preview's whole diff; Ctrl-C while it waits destroys the stack and stops every process", async ({ task }) => {
    const before = snapshot();
    const run = (running = deployLocal(["--stack", "pr-1", "--diff"]));
    await within(waitFor(() => run.output().includes("\nRunning."), { timeoutMs: ONCE_TIMEOUT_MS, what: "Running." }), ONCE_TIMEOUT_MS, "the interactive run to be up", run);
    const interrupted = Date.now();
    // A terminal's Ctrl-C: SIGINT to the foreground job's whole process group.
    process.kill(-run.child.pid!, "SIGINT");
    // npm itself dies of the SIGINT (a terminal shows its prompt again); deploy:local goes on destroying.
    await within(run.exited, STOP_TIMEOUT_MS, "npm to end after Ctrl-C", run);
    await within(waitFor(() => summaryLine(run.output(), "pr-1"), { timeoutMs: STOP_TIMEOUT_MS, what: "the summary line" }), STOP_TIMEOUT_MS, "the stop after Ctrl-C", run);
    figure(task, "Ctrl-C to stopped", `${((Date.now() - interrupted) / 1000).toFixed(1)}s`);
    const output = run.output();
    // The CLI's own `preview --diff` text: each resource's inputs, under its URN.
    const preview = output.split("== pulumi preview --diff --stack pr-1")[1]?.split("== pulumi up")[0] ?? "";
    expect(preview).toMatch(/^ {2}\| .*\+ kubernetes:apps\/v1:Deployment: \(create\)$/m);
    expect(preview).toMatch(/^ {2}\| +\[urn=urn:pulumi:pr-1::/m);
    expect(output).toContain("SIGINT: destroying the stack");
    // A review stack has no flags relay: no relay line and no break-glass command.
    expect(output).toMatch(/no PersistentVolume \(the stack has no flags relay\)/);
    expect(output).not.toMatch(/flags relay from the live objects|npm run flags -- override/);
    expect(output).toMatch(/removed \d+ resources/);
    expect(summaryLine(output, "pr-1")).toMatch(/stopped on SIGINT; .*no process or temp dir left$/);
    await expectNothingLeft(before);
  }, ONCE_TIMEOUT_MS + STOP_TIMEOUT_MS);

  it("SIGTERM to the npm process during up cancels it, destroys what was created and stops every process", async ({ task }) => {
    const before = snapshot();
    const run = (running = deployLocal(["--stack", "pr-1", "--once"]));
    await within(waitFor(() => /^ {2}\+ kubernetes:\S+ \S+ created/m.test(run.output().split("== pulumi up")[1] ?? ""), { timeoutMs: ONCE_TIMEOUT_MS, what: "up creating Kubernetes objects" }), ONCE_TIMEOUT_MS, "up to start creating", run);
    const terminated = Date.now();
    // As `timeout`, a CI runner or a process manager sends it: to npm alone, which then exits without passing it on.
    process.kill(run.child.pid!, "SIGTERM");
    await within(run.exited, 30_000, "npm to exit", run);
    // npm is gone; what it started must notice and clean up by itself.
    await waitFor(() => newWorldProcesses(before).length === 0, { timeoutMs: STOP_TIMEOUT_MS, intervalMs: 500, what: "every process of the run to stop" }).catch(() => undefined);
    figure(task, "SIGTERM to stopped", `${((Date.now() - terminated) / 1000).toFixed(1)}s`);
    await sleep(500);
    const output = run.output();
    expect(output).toMatch(/SIGTERM: cancelling the running operation, then destroying the stack/);
    expect(summaryLine(output, "pr-1")).toMatch(/stopped on SIGTERM; .*no process or temp dir left$/);
    await expectNothingLeft(before);
  }, ONCE_TIMEOUT_MS + STOP_TIMEOUT_MS);
});
