/**
 * `npm run deploy:local -- [--stack dev|prod|pr-<n>] [--once] [--diff] [--port <flipt-http-port>]`:
 * deploys a stack with the real Pulumi CLI and Kubernetes provider into a throw-away cluster on
 * this machine (scripts/lib/localWorld/), with the stack's own configuration less what points at the outside
 * world (localConfig.ts); shows the preview, the live objects and, where a Flipt binary exists, a
 * Flipt started from them; then waits. Ctrl-C or SIGTERM destroys the stack and stops every
 * process. `--once` destroys right away and exits 0 only when every step worked. Preview, up and
 * destroy print one line per resource, as the Pulumi CLI's display does; `--diff` prints the
 * preview's whole detailed diff instead (`pulumi preview --diff`).
 */
import * as path from "node:path";
import { environmentOfStack, isReviewStack } from "../../settings/parse";
import { readStack } from "../../settings/stackFiles";
import { UserError } from "../../settings/userError";
import { Settings } from "../../settings/types";
import { parseFlags, portFlag, runMain, stringFlag, UsageError } from "../cli";
import { CLUSTER_PEOPLE, LOCAL_KUBE_CONTEXT, checkpointResources, OperationKind, OperationResult, LocalWorld, startLocalWorld } from "../lib/localWorld";
import { FliptProcess } from "../lib/fliptProcess";
import { LiveRelay, startLiveRelay } from "../lib/liveRelay";
import { repositoryFlagsDir } from "../lib/localFlipt";
import { exitCodeOf, freePort, handleSignals, Supervisor } from "../lib/processes";
import { ensureToolchain, fliptUnavailableReason, ToolchainPaths } from "../toolchain/paths";
import { formatTable, liveFlipt, liveRows } from "./liveObjects";
import { describeReplacement, localEndpoints, localStackConfig, LocalStackConfig, stackFileSettings } from "./localConfig";
import { FLAGS_CHECK_MS, serveCommittedFlags, ServedFlags } from "./servedFlags";
import { evaluationExample, EvaluationExample } from "./evaluation";

/** A step that failed in a way the output above explains: one line, exit 1, everything stopped. */
class DeployError extends UserError {
  constructor(message: string) {
    super(message, 1);
  }
}

const STACKS = "dev, prod or pr-<number>";

const USAGE = `Usage: npm run deploy:local -- [--stack dev|prod|pr-<number>] [--once] [--diff] [--port <flipt-http-port>]

Deploys the stack (default dev) with the real Pulumi CLI and Kubernetes provider into a throw-away
cluster on this machine, its configuration less what points at the outside world; shows the
preview, the live objects and a Flipt started from them; then waits for Ctrl-C, which destroys the
stack and stops everything. --once destroys right away and exits 0 only if every step worked.
Preview, up and destroy print one line per resource; --diff prints the preview's whole detailed
diff (pulumi preview --diff) instead. Details: docs/deploy-local.md.`;
const print = (line = "") => process.stdout.write(`${line}\n`);
const heading = (title: string) => print(`\n== ${title}`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

interface Options {
  readonly stack: string;
  readonly once: boolean;
  /** The preview's whole detailed diff, as `pulumi preview --diff` prints it, instead of one line per resource. */
  readonly diff: boolean;
  readonly port?: number;
}

async function parseOptions(argv: readonly string[]): Promise<Options> {
  const flags = parseFlags(argv, ["stack", "once", "diff", "port"], USAGE);
  const stack = stringFlag(flags, "stack", "dev");
  if (!isReviewStack(stack) && environmentOfStack(stack) !== stack) throw new UsageError(`--stack ${JSON.stringify(stack)}: expected ${STACKS}`);
  for (const name of ["once", "diff"] as const) {
    if (flags[name] !== undefined && flags[name] !== true) throw new UsageError(`--${name} takes no value`);
  }
  const port = await portFlag(flags.port === undefined ? undefined : stringFlag(flags, "port"));
  return { stack, once: flags.once === true, diff: flags.diff === true, port };
}

type Phase = "setup" | "deploy" | "waiting" | "destroy";

/** One run: the world, the stack's operations, the read-back and Flipt, under one Supervisor. */
class LocalDeploy {
  readonly supervisor = new Supervisor();
  phase: Phase = "setup";
  interrupted: NodeJS.Signals | undefined;
  private wake: (() => void) | undefined;
  private world: LocalWorld | undefined;
  private flags: ServedFlags | undefined;
  private local: LocalStackConfig | undefined;
  /** The flags relay and Flipt from the live objects, once started: stopped before destroy, as the pods stop with their Deployments. */
  private relay: LiveRelay | undefined;
  private flipt: FliptProcess | undefined;
  private example: EvaluationExample | undefined;
  readonly figures: string[] = [];

  constructor(
    readonly options: Options,
    readonly settings: Settings,
    readonly paths: ToolchainPaths,
  ) {}

  /** Ctrl-C/SIGTERM: cancel what runs and destroy; a second one stops at once. */
  onSignal(signal: NodeJS.Signals, count: number): void {
    if (count > 1 || this.phase === "setup") return this.stopNow(signal, count > 1);
    this.interrupted = signal;
    print(`\n${signal}: ${this.phase === "waiting" ? "destroying the stack" : "cancelling the running operation, then destroying the stack"}; a second ${signal} stops at once`);
    if (this.phase === "deploy") this.world?.engine.cancel();
    this.wake?.();
  }

  private stopNow(signal: NodeJS.Signals, second: boolean): void {
    if (second) {
      const left = this.resourcesInState();
      print(`\n${signal} again: stopping at once. ${left} resource(s) were still in the stack's state; they lived only in the local cluster and PostgreSQL, which stop now with every process, and their temp dirs are removed.`);
      this.supervisor.killAllNow();
      process.exit(exitCodeOf(signal));
    }
    print(`\n${signal}: nothing deployed yet; stopping`);
    void this.supervisor.stopAll().finally(() => process.exit(exitCodeOf(signal)));
  }

  resourcesInState(): number {
    return this.world ? checkpointResources(this.world.engine.stateFile(this.options.stack)).length : 0;
  }

  async startWorld(): Promise<void> {
    heading(`starting the local world for stack ${this.options.stack}`);
    const started = Date.now();
    const postgresAdmin = this.settings.database.postgres?.adminUser;
    this.world = await startLocalWorld({ supervisor: this.supervisor, paths: this.paths, stacks: [this.settings], postgresAdmin });
    const { cluster, existing, postgres, engine } = this.world;
    print(`control plane: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok (node ready in ${seconds(cluster.startMs)})`);
    print(`existing world: CRDs ${existing.crds.join(", ")}; namespaces ${existing.namespaces.join(", ")}; ${existing.configMaps.length} service ConfigMap(s) owned by helm`);
    const sizes = [...new Set(existing.volumes.map((v) => (v.spec as { capacity: { storage: string } }).capacity.storage))];
    const volumes = existing.volumes.length > 0 ? `${existing.volumes.length} PersistentVolume(s) of ${sizes.join(", ")} for the flags relay's claim` : "no PersistentVolume (the stack has no flags relay)";
    print(`storage: default StorageClass ${existing.storageClasses.join(", ")} (no provisioner, WaitForFirstConsumer); ${volumes}`);
    if (postgres) print(`PostgreSQL ${postgres.server.host}:${postgres.server.port} as the cluster's, admin ${postgres.adminUser} (CREATEROLE, CREATEDB, not a superuser)`);
    for (const note of engine.providerNotes) print(`provider ${note}`);
    this.flags = await serveCommittedFlags(this.supervisor, this.paths.gitBin, this.settings);
    print(`Git: ${this.flags.url} serves flags/ of this checkout's commit ${this.flags.servedCommit().slice(0, 8)}`);
    this.figures.push(`world ${seconds(Date.now() - started)}`);
  }

  describeConfig(): void {
    const { postgres } = this.world!;
    this.local = localStackConfig(this.options.stack, localEndpoints(LOCAL_KUBE_CONTEXT, this.flags!, postgres));
    heading(`configuration: ${path.basename(this.local.file)}, with what points outside replaced`);
    for (const [key, value] of Object.entries(this.local.reviewOverrides)) print(`${key}: ${JSON.stringify(value)} (a review stack: dev's configuration in sqlite mode, as the review workflow makes it)`);
    for (const replacement of this.local.replacements) print(describeReplacement(replacement));
  }

  /**
   * One engine operation: one line per resource step, as the CLI's display shows them; with `diff`,
   * the CLI's own text instead (lines prefixed `|`), the whole detailed diff of a preview included.
   */
  async operation(op: OperationKind, options: { diff?: boolean } = {}): Promise<OperationResult> {
    heading(`pulumi ${op}${options.diff ? " --diff" : ""} --stack ${this.options.stack}`);
    const result = await this.world!.engine.run(op, this.options.stack, this.local!.config, {
      diff: options.diff,
      progress: options.diff ? "cli" : "steps",
      onLine: (line) => print(`  ${options.diff ? "| " : ""}${line}`),
    });
    const changes = Object.entries(result.changeSummary).map(([kind, n]) => `${n} ${kind}`).join(", ");
    print(`${op}: ${result.ok ? "done" : result.cancelled ? "cancelled" : "FAILED"} in ${result.seconds}s${changes ? ` (${changes})` : ""}`);
    this.figures.push(`${op} ${result.seconds}s${changes ? ` (${changes})` : ""}`);
    return result;
  }

  engineErrors(result: OperationResult): string {
    const errors = [...new Set(result.diagnostics.filter((d) => d.severity === "error").map((d) => d.message.trim()))];
    return errors.length > 0 ? errors.join("\n") : (result.error ?? "no diagnostic");
  }

  async report(outputs: OperationResult["outputs"]): Promise<number> {
    heading("stack outputs");
    for (const [key, output] of Object.entries(outputs)) print(`${key}: ${output.secret ? "[secret]" : JSON.stringify(output.value)}`);
    heading("live objects, read back from the API server");
    const rows = await liveRows(this.world!.cluster.api, this.world!.engine.stateFile(this.options.stack), this.settings.namespace);
    print(formatTable(rows));
    const notReady = rows.filter((r) => r.ready === "MISSING" || /^no\b/.test(r.ready) || /^0\//.test(r.ready));
    print(`${rows.length} objects, ${notReady.length} not ready`);
    print(`\nkubeconfig: ${this.world!.cluster.kubeconfig}   (KUBECONFIG=${this.world!.cluster.kubeconfig} kubectl get all -n ${this.settings.namespace})`);
    print(`state: ${this.world!.engine.stateDir}`);
    if (notReady.length > 0) throw new DeployError(`${notReady.length} object(s) not ready: ${notReady.map((r) => `${r.kind} ${r.name}`).join(", ")}`);
    return rows.length;
  }

  /**
   * The flags relay from the live Deployment, program ConfigMap and Git Secret (the stack's credential), as its
   * ServiceAccount against the local API server, upstream the served repository; undefined for a stack without one.
   */
  async startRelay(): Promise<LiveRelay | undefined> {
    const { cluster } = this.world!;
    const namespace = this.settings.namespace;
    const relay = await startLiveRelay({ supervisor: this.supervisor, api: cluster.api, server: cluster.server, ca: cluster.caCert, namespace, upstreamUrl: this.flags!.url }).catch((error: Error) => {
      throw new DeployError(`the flags relay from the live objects did not become ready: ${error.message}`);
    });
    if (!relay) return undefined;
    this.relay = relay;
    const status = await relay.serving().catch((error: Error) => {
      throw new DeployError(`the flags relay from the live objects serves nothing: ${error.message}`);
    });
    print(
      `flags relay from the live objects (Deployment ${namespace}/flags-relay, as its ServiceAccount): serving commit ${status.servedCommit!.slice(0, 12)}` +
        ` built from upstream ${status.goodUpstreamCommit?.slice(0, 12) ?? "-"} (this checkout's flags/ of ${this.flags!.servedCommit().slice(0, 8)}) at ${relay.repositoryUrl}`,
    );
    this.figures.push(`relay serving ${status.servedCommit!.slice(0, 8)}`);
    return relay;
  }

  /** Flipt from the live ConfigMap, Deployment and Secrets (behind the relay where the stack has one); undefined, with the reason said, where no binary exists. */
  async startFlipt(): Promise<string | undefined> {
    heading("Flipt from the live objects");
    const unavailable = fliptUnavailableReason(this.paths);
    if (unavailable) {
      print(`Flipt not started: ${unavailable} (set FLIPT_BIN to a Flipt v1.61.1 binary); the deploy goes on without it`);
      this.figures.push("Flipt not started (no binary)");
      return undefined;
    }
    // With the relay, Flipt's live configuration clones it without credentials; without one (a review stack), the Git server with the live Secret's.
    const relay = await this.startRelay();
    const dataDir = this.supervisor.tempDir("flipt-deploy-local-flipt");
    const flipt = new FliptProcess(this.supervisor, {
      fliptBin: this.paths.fliptBin,
      rendered: await liveFlipt(this.world!.cluster.api, this.settings.namespace),
      local: { httpPort: this.options.port ?? (await freePort()), grpcPort: await freePort(), repositoryUrl: relay?.repositoryUrl ?? this.flags!.url, dataDir },
      secretValues: {},
    });
    this.flipt = flipt;
    const started = Date.now();
    await flipt.start().catch((error: Error) => {
      throw new DeployError(`Flipt from the live objects did not become healthy: ${error.message}`);
    });
    const example = evaluationExample(repositoryFlagsDir(environmentOfStack(this.options.stack) ?? "dev"));
    this.example = example;
    const served = await example.evaluate(flipt.url);
    print(`healthy in ${seconds(Date.now() - started)}; ${example.namespace}/${example.key} for entity org-1: enabled=${served} (flags/ says ${example.enabled})`);
    if (served !== example.enabled) throw new DeployError(`Flipt served ${example.namespace}/${example.key} enabled=${served}; flags/ says ${example.enabled}`);
    print(`FLIPT_URL=${flipt.url}`);
    print(example.curl(flipt.url));
    this.figures.push(`Flipt ${example.namespace}/${example.key}=${served}`);
    return flipt.url;
  }

  /** How a pushed commit reaches Flipt: through the relay's fetch and Flipt's poll, or Flipt's poll alone. */
  private propagation(): string {
    const { relay } = this.settings;
    return relay && this.relay ? `the flags relay's fetch (every ${relay.pollInterval}) and Flipt's poll of it (every ${this.settings.git.pollInterval})` : `Flipt's poll (every ${this.settings.git.pollInterval})`;
  }

  /** The break-glass command as the on-call person runs it against this cluster, to watch an override land. */
  private overrideHint(): void {
    if (!this.relay || !this.example || !this.flipt) return;
    const { peopleKubeconfigs } = this.world!.cluster;
    // The stack file's kubernetes:context (dev, prod): the people's kubeconfigs have a context of each name, as on a workstation.
    const context = readStack(this.options.stack).value("kubernetes:context");
    const flag = `${this.example.namespace}/${this.example.key}`;
    const base = `npm run flags -- override --stack ${this.options.stack}`;
    const access = `--kubeconfig ${peopleKubeconfigs.oncall}${typeof context === "string" ? ` --context ${context}` : ""}`;
    print(`Break glass as on-call (${CLUSTER_PEOPLE.oncall.name}, group ${CLUSTER_PEOPLE.oncall.groups.join(", ")}, bound to the flags-override Role), then evaluate with the curl line above:`);
    print(`  ${base} --flag ${flag} --enabled ${!this.example.enabled} --reason "trying the relay" ${access}`);
    print(`  ${base} --status ${access}`);
    print(`  ${base} --clear --flag ${flag} ${access}`);
  }

  /** Until Ctrl-C/SIGTERM: commits to flags/ are pushed to the served repository as they land. */
  async waitForInterrupt(): Promise<void> {
    this.phase = "waiting";
    print(`\nRunning. Commit a change to flags/ and it is served within ${this.propagation()}. Ctrl-C destroys the stack and stops everything.`);
    this.overrideHint();
    const timer = setInterval(() => {
      const commit = this.flags!.refresh();
      if (commit) print(`flags/ changed in commit ${commit.slice(0, 8)}: pushed to the served repository; served within ${this.propagation()}`);
    }, FLAGS_CHECK_MS);
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      if (this.interrupted) resolve();
    });
    clearInterval(timer);
  }

  /** Destroys the stack; a protected stack (prod) is refused as in the real one, then unprotected on purpose, since this cluster is throw-away. */
  async destroy(): Promise<boolean> {
    this.phase = "destroy";
    // Their pods would go with the Deployments: the relay must not write its status into a namespace being deleted.
    await this.flipt?.stop();
    await this.relay?.stop();
    if (this.resourcesInState() === 0) {
      print("\nnothing in the stack's state to destroy");
      return true;
    }
    let result = await this.operation("destroy");
    if (!result.ok && /protected/i.test(this.engineErrors(result))) {
      print(`destroy refused, as for the real ${this.options.stack}, changing nothing:\n${indent(describeRefusal(this.engineErrors(result)))}`);
      print("this cluster is throw-away: pulumi state unprotect --all, then destroy (retainOnDelete keeps the role and database in the local PostgreSQL)");
      const unprotect = this.world!.engine.cli(this.options.stack, ["state", "unprotect", "--all", "--yes"]);
      if (!unprotect.ok) throw new DeployError(`pulumi state unprotect failed: ${unprotect.output}`);
      result = await this.operation("destroy");
    }
    if (!result.ok) {
      print(indent(this.engineErrors(result)));
      return false;
    }
    // Each deletion had its line above; what a line cannot say is that a patched ConfigMap stays.
    const removed = result.steps.filter((s) => s.op === "delete" && s.kind);
    const patched = removed.filter((s) => s.type.endsWith("Patch"));
    print(`removed ${result.changeSummary.delete ?? 0} resources, ${removed.length} of them Kubernetes objects${patched.length > 0 ? "; these patched ConfigMaps lost only our keys and stay, with their release's:" : ""}`);
    for (const step of patched) print(`  ${step.kind} ${step.namespace ? `${step.namespace}/` : ""}${step.name}`);
    return true;
  }
}

/** The engine's refusal, one line per protected resource it named, and its explanation once. */
export function describeRefusal(errors: string): string {
  const named = [...errors.matchAll(/resource "urn:pulumi:[^:]+::[^:]+::(.+?)::([^"]+)" cannot be deleted/g)].map(([, type, name]) => `${type.split("$").pop()} ${name}`);
  if (named.length === 0) return errors;
  return [`${named.length} resource(s) "cannot be deleted because it is protected":`, ...named.map((n) => `  ${n}`)].join("\n");
}

function indent(text: string): string {
  return text.split("\n").map((line) => `  ${line}`).join("\n");
}

async function deploy(run: LocalDeploy): Promise<void> {
  await run.startWorld();
  run.describeConfig();
  run.phase = "deploy";
  const preview = await run.operation("preview", { diff: run.options.diff });
  if (!preview.ok && !preview.cancelled) throw new DeployError(`preview failed:\n${indent(run.engineErrors(preview))}`);
  if (run.interrupted) return;
  const up = await run.operation("up");
  if (!up.ok && !up.cancelled) throw new DeployError(`up failed:\n${indent(run.engineErrors(up))}`);
  if (run.interrupted) return;
  const objects = await run.report(up.outputs);
  run.figures.push(`${objects} live objects ready`);
  await run.startFlipt();
  if (!run.options.once) await run.waitForInterrupt();
}

async function main(): Promise<void> {
  const started = Date.now();
  // The reader may be gone (npm ended by SIGTERM) while the stack is destroyed: output is then dropped, the cleanup goes on.
  process.stdout.on("error", () => undefined);
  const options = await parseOptions(process.argv.slice(2));
  const settings = stackFileSettings(options.stack);
  print(`deploy:local: stack ${options.stack}${options.once ? " (--once)" : ""}; the tools are built once on first use (setup.sh says how long)`);
  const paths = ensureToolchain(process.env, { engine: true });
  const run = new LocalDeploy(options, settings, paths);
  handleSignals((signal, count) => run.onSignal(signal, count));
  let failure: string | undefined;
  try {
    await deploy(run);
  } catch (error) {
    // Whatever failed, what was created is destroyed and everything stopped; the message is one line (or the engine's own).
    failure = error instanceof DeployError ? error.message : `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
    print(`\n${failure}`);
  }
  const destroyed = await run.destroy().catch((error: Error) => {
    print(error.message);
    return false;
  });
  await run.supervisor.stopAll();
  const left = run.supervisor.leftovers();
  const leftText = left.processes.length + left.dirs.length === 0 ? "no process or temp dir left" : `LEFT: processes ${left.processes.join(", ") || "none"}; dirs ${left.dirs.join(", ") || "none"}`;
  const clean = left.processes.length + left.dirs.length === 0;
  const total = seconds(Date.now() - started);
  const outcome = failure ? `FAILED (${failure.split("\n")[0]})` : !destroyed ? "FAILED (destroy)" : !clean ? "FAILED (cleanup)" : run.interrupted ? `stopped on ${run.interrupted}` : "OK";
  print(`\ndeploy:local ${options.stack}: ${outcome}; ${run.figures.join("; ")}; ${total} in all; ${leftText}`);
  if (run.interrupted) process.exit(exitCodeOf(run.interrupted));
  process.exit(failure || !destroyed || !clean ? 1 : 0);
}

if (require.main === module) runMain(main);
