import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { OVERRIDE_KEYS, OVERRIDE_LABEL, overrideObjectName, RELAY, RELAY_OBJECTS, STATUS_KEY, type OverrideValue, type RelayStatus } from "../../builders/flagsRelayContract";
import { isReviewStack } from "../../settings/parse";
import { readStack, type StackInput } from "../../settings/stackFiles";
import { answerMessage, defaultKubeconfigPath, kubeconfigConnection, kubeRequest, KubeUnreachable, type KubeAnswer, type KubeConnection } from "../lib/kubeConnection";
import { options } from "./cliOptions";
import { UserError } from "./errors";
import { describeFlag, describeValue, findFlag, forcedValueProblem, forceFlagInText, type FoundFlag } from "./flagEdit";
import { readFolder } from "./folder";

/**
 * `flags override`: the break-glass lane for when the Git host is down or main cannot be merged.
 * The override is a ConfigMap in Flipt's namespace, written with the operator's own kubeconfig
 * (RBAC decides who may; the API server's audit log records it); the stack's flags relay applies
 * it on top of upstream's last good commit and Flipt serves it at its next poll.
 */
export const OVERRIDE_USAGE = `override --stack <stack> --flag <namespace>/<key> (--enabled true|false | --rollout <percent>) --reason <text>
      [--kubeconfig <file>] [--context <name>] [--wait <seconds>]
  override --stack <stack> --status        override --stack <stack> --clear --flag <namespace>/<key>
      Break glass when the Git host is down or main cannot be merged: the stack's flags relay serves
      the flag forced (--enabled: on or off for everyone; --rollout: a boolean flag true for that
      share of entities) on top of upstream's last good commit, until upstream's flags carry the
      same values (the pull request this prints) or --clear. Written as a ConfigMap in Flipt's
      namespace with your kubeconfig (context: the stack's kubernetes:context when your kubeconfig
      has it, else its current one); needs the flags-override Role. Waits up to --wait seconds
      (default 60, 0: do not wait) for the relay to report it applied. --status lists overrides
      and what the relay serves.`;

/** What the command needs from outside (tests pass their own). */
export interface OverrideIo {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  stdout(line: string): void;
  stderr(line: string): void;
}

const SPEC = {
  stack: { type: "string" },
  flag: { type: "string" },
  enabled: { type: "string" },
  rollout: { type: "string" },
  reason: { type: "string" },
  status: { type: "boolean" },
  clear: { type: "boolean" },
  kubeconfig: { type: "string" },
  context: { type: "string" },
  wait: { type: "string" },
} as const;

type Action =
  | { readonly kind: "set"; readonly flag: string; readonly value: OverrideValue; readonly reason: string; readonly waitSeconds: number }
  | { readonly kind: "status" }
  | { readonly kind: "clear"; readonly flag: string };

/** The command line as an action; every mistake is one line, before anything reaches the cluster. */
export function parseOverrideArguments(args: string[]): { stack: string; kubeconfig?: string; context?: string; action: Action } {
  const opts = options(args, SPEC, ["stack"]);
  const stack = opts.stack!;
  const common = { stack, kubeconfig: opts.kubeconfig, context: opts.context };
  const given = (name: keyof typeof SPEC) => opts[name] !== undefined;
  if (opts.status) {
    const extra = (["flag", "enabled", "rollout", "reason", "clear"] as const).filter(given);
    if (extra.length > 0) throw new UserError(`--status takes no ${extra.map((e) => `--${e}`).join(", ")} (see --help)`);
    return { ...common, action: { kind: "status" } };
  }
  const flag = opts.flag;
  if (flag === undefined) throw new UserError("missing --flag <namespace>/<key> (see --help)");
  if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(flag)) throw new UserError(`--flag ${JSON.stringify(flag)}: expected <namespace>/<key>, e.g. platform/kill_switches--gate--control_api`);
  if (opts.clear) {
    const extra = (["enabled", "rollout", "reason"] as const).filter(given);
    if (extra.length > 0) throw new UserError(`--clear takes no ${extra.map((e) => `--${e}`).join(", ")} (see --help)`);
    return { ...common, action: { kind: "clear", flag } };
  }
  if (given("enabled") === given("rollout")) throw new UserError("give exactly one of --enabled true|false and --rollout <percent> (see --help)");
  let value: OverrideValue;
  if (opts.enabled !== undefined) {
    if (opts.enabled !== "true" && opts.enabled !== "false") throw new UserError(`--enabled ${JSON.stringify(opts.enabled)}: expected true or false`);
    value = { enabled: opts.enabled === "true" };
  } else {
    const percent = Number(opts.rollout);
    if (opts.rollout!.trim() === "" || !Number.isFinite(percent) || percent < 0 || percent > 100) throw new UserError(`--rollout ${JSON.stringify(opts.rollout)}: expected a percentage from 0 to 100`);
    value = { rollout: percent };
  }
  const reason = opts.reason?.trim() ?? "";
  if (reason === "") throw new UserError("missing --reason <text>: an override is recorded with who, when and why (see --help)");
  const wait = opts.wait ?? "60";
  const waitSeconds = Number(wait);
  if (!Number.isInteger(waitSeconds) || waitSeconds < 0 || waitSeconds > 600) throw new UserError(`--wait ${JSON.stringify(wait)}: expected whole seconds from 0 to 600`);
  return { ...common, action: { kind: "set", flag, value, reason, waitSeconds } };
}

function readStackOrRefuse(stack: string, cwd: string): StackInput {
  const input = readStack(stack, { dir: cwd });
  if (input.settings.relay === undefined) {
    throw new UserError(`stack ${stack} has no flags relay (flagsRelay is off${isReviewStack(stack) ? "; review stacks never have one" : ""}), so there is nothing to override: change the flag with a pull request`);
  }
  return input;
}

/** The operator's connection: --kubeconfig or kubectl's file; --context, else the stack's kubernetes:context when the file has it. */
function connectionFor(input: StackInput, io: OverrideIo, kubeconfig: string | undefined, context: string | undefined): KubeConnection {
  const file = kubeconfig ? path.resolve(io.cwd, kubeconfig) : defaultKubeconfigPath(io.env);
  const stackContext = input.value("kubernetes:context");
  return kubeconfigConnection(file, context, typeof stackContext === "string" ? stackContext : undefined);
}

async function ask(connection: KubeConnection, method: string, apiPath: string, body?: unknown): Promise<KubeAnswer> {
  try {
    return await kubeRequest(connection, method, apiPath, body);
  } catch (error) {
    if (error instanceof KubeUnreachable) throw new UserError(`no cluster access: ${error.message}`);
    throw error;
  }
}

/** Who the API server says the caller is (SelfSubjectReview: any authenticated user may ask). */
async function whoAmI(connection: KubeConnection): Promise<{ username: string; groups: string[] }> {
  const answer = await ask(connection, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" });
  if (answer.status !== 201 && answer.status !== 200) throw new UserError(`no cluster access: the API server (${connection.describe}) did not say who you are: ${answerMessage(answer)}`);
  const info = answer.body?.status?.userInfo ?? {};
  return { username: String(info.username ?? "unknown"), groups: Array.isArray(info.groups) ? info.groups.map(String) : [] };
}

function refused(answer: KubeAnswer, what: string, namespace: string, user?: string): UserError {
  if (answer.status === 403) {
    return new UserError(`${user ?? "you"} may not ${what} in ${namespace}: that needs the ${RELAY_OBJECTS.overrideRole} Role (bound to the stack's flagsOverrideGroups); the API server says: ${answerMessage(answer)}`);
  }
  if (answer.status === 404) return new UserError(`namespace ${namespace} not found: is the stack deployed to this cluster? (${answerMessage(answer)})`);
  return new UserError(`cannot ${what} in ${namespace}: ${answerMessage(answer)}`);
}

function configMapsPath(namespace: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps`;
}

const hash8 = (text: string) => createHash("sha256").update(text).digest("hex");

/** The change that makes the override permanent, as a diff against the checkout's file (git diff --no-index). */
function permanentChange(flagsDir: string, shownDir: string, flag: FoundFlag, value: OverrideValue): string | undefined {
  const file = path.join(flagsDir, flag.file);
  const text = forceFlagInText(fs.readFileSync(file, "utf8"), flag, value);
  if (text === undefined) return undefined;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "flags-override-"));
  try {
    const after = path.join(scratch, path.basename(file));
    fs.writeFileSync(after, text);
    const shown = path.posix.join(shownDir, flag.file);
    try {
      execFileSync("git", ["diff", "--no-index", "--no-color", `--src-prefix=a/`, `--dst-prefix=b/`, file, after], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      return undefined;
    } catch (error) {
      const out = String((error as { stdout?: string }).stdout ?? "");
      return out
        .split("\n")
        .map((line) => line.replace(`a/${file.replace(/^\//, "")}`, `a/${shown}`).replace(`b/${after.replace(/^\//, "")}`, `b/${shown}`))
        .filter((line) => !line.startsWith("index "))
        .join("\n")
        .replace(/^diff --git .*$/m, `diff --git a/${shown} b/${shown}`)
        .trimEnd();
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

async function readStatus(connection: KubeConnection, namespace: string): Promise<RelayStatus | undefined> {
  const answer = await ask(connection, "GET", `${configMapsPath(namespace)}/${RELAY_OBJECTS.statusConfigMap}`);
  if (answer.status === 404) return undefined;
  if (answer.status !== 200) throw refused(answer, `read ConfigMap ${RELAY_OBJECTS.statusConfigMap}`, namespace);
  return JSON.parse(answer.body?.data?.[STATUS_KEY] ?? "{}") as RelayStatus;
}

/** The flag as this checkout's stack directory holds it; an unknown flag or a value it cannot take is refused before the cluster is asked. */
function checkoutFlag(input: StackInput, action: Extract<Action, { kind: "set" }>, io: OverrideIo): FoundFlag {
  const { directory } = input.settings.git;
  const flag = findFlag(readFolder(path.join(io.cwd, directory), directory), action.flag);
  if (flag === undefined) throw new UserError(`unknown flag ${action.flag}: not in ${directory} (stack ${input.stack}'s gitDirectory) of this checkout`);
  const problem = forcedValueProblem(flag, action.value);
  if (problem) throw new UserError(problem);
  return flag;
}

async function setOverride(input: StackInput, connection: KubeConnection, action: Extract<Action, { kind: "set" }>, flag: FoundFlag, io: OverrideIo): Promise<number> {
  const { settings } = input;
  const namespace = settings.namespace;
  const flagsDir = path.join(io.cwd, settings.git.directory);
  const who = await whoAmI(connection);
  const name = overrideObjectName(action.flag, hash8);
  const requestedAt = new Date().toISOString();
  const body = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace, labels: { [OVERRIDE_LABEL]: "true", "app.kubernetes.io/part-of": "feature-flags" } },
    data: {
      [OVERRIDE_KEYS.flag]: action.flag,
      [OVERRIDE_KEYS.value]: JSON.stringify(action.value),
      [OVERRIDE_KEYS.reason]: action.reason,
      [OVERRIDE_KEYS.requestedBy]: who.username,
      [OVERRIDE_KEYS.requestedAt]: requestedAt,
    },
  };
  const created = await ask(connection, "POST", configMapsPath(namespace), body);
  if (created.status === 409) {
    const existing = await ask(connection, "GET", `${configMapsPath(namespace)}/${name}`);
    const data = existing.body?.data ?? {};
    throw new UserError(`an override of ${action.flag} exists (ConfigMap ${namespace}/${name}, ${data[OVERRIDE_KEYS.value]} by ${data[OVERRIDE_KEYS.requestedBy]} at ${data[OVERRIDE_KEYS.requestedAt]}: ${data[OVERRIDE_KEYS.reason]}); --clear it first`);
  }
  if (created.status !== 201) throw refused(created, "create ConfigMaps", namespace, who.username);
  io.stdout(`override ${action.flag} ${describeValue(action.value)} recorded: ConfigMap ${namespace}/${name}, by ${who.username} at ${requestedAt}: ${action.reason}`);
  io.stdout(`(was ${describeFlag(flag)} in this checkout's ${path.posix.join(settings.git.directory, flag.file)})`);
  const change = permanentChange(flagsDir, settings.git.directory, flag, action.value);
  if (change) {
    io.stdout("To end it through the normal path, merge this change (save it and `git apply`, then open the pull request); the override ends by itself once main serves it:");
    io.stdout(change);
  } else io.stdout("This checkout's file already serves that value: the override ends by itself once main's does.");
  if (action.waitSeconds === 0) return 0;
  return waitApplied(connection, namespace, name, action, settings.git.pollIntervalSeconds, io);
}

async function waitApplied(connection: KubeConnection, namespace: string, name: string, action: Extract<Action, { kind: "set" }>, fliptPollSeconds: number, io: OverrideIo): Promise<number> {
  const deadline = Date.now() + action.waitSeconds * 1000;
  while (Date.now() < deadline) {
    const status = await readStatus(connection, namespace).catch(() => undefined);
    const mine = status?.overrides.find((o) => o.name === name);
    if (mine && mine.state !== "rejected") {
      io.stdout(`relay: ${mine.state}: ${mine.message}; served commit ${status?.servedCommit?.slice(0, 12)}. Flipt serves it within its poll (${fliptPollSeconds} s).`);
      return 0;
    }
    if (mine?.state === "rejected") {
      io.stderr(`flags override: the relay did not apply it: ${mine.message}`);
      return 1;
    }
    await new Promise((resolve) => setTimeout(resolve, RELAY.overrideCheckSeconds * 500));
  }
  io.stderr(`flags override: recorded, but the relay has not reported it within ${action.waitSeconds} s; see npm run flags -- override --stack <stack> --status and the ${RELAY.name} pod's log`);
  return 3;
}

async function showStatus(input: StackInput, connection: KubeConnection, io: OverrideIo): Promise<number> {
  const namespace = input.settings.namespace;
  const listed = await ask(connection, "GET", `${configMapsPath(namespace)}?labelSelector=${encodeURIComponent(OVERRIDE_LABEL)}`);
  if (listed.status !== 200) throw refused(listed, "list ConfigMaps", namespace);
  const status = await readStatus(connection, namespace);
  if (status === undefined) io.stdout(`relay: no status in ${namespace} yet (ConfigMap ${RELAY_OBJECTS.statusConfigMap}): is the ${RELAY.name} pod running?`);
  else {
    const fetched = status.upstreamReachable ? "reachable" : `UNREACHABLE (last successful fetch ${status.lastFetchSuccess ?? "never"})`;
    io.stdout(`relay: serving ${status.servedCommit?.slice(0, 12) ?? "nothing yet"} from upstream ${status.goodUpstreamCommit?.slice(0, 12) ?? "-"}; upstream ${fetched}; status of ${status.updatedAt}`);
    if (status.heldBack) {
      io.stdout(`held back: upstream ${status.heldBack.commit.slice(0, 12)} since ${status.heldBack.at}, because:`);
      status.heldBack.problems.forEach((p) => io.stdout(`  ${p}`));
    }
  }
  const items = (listed.body?.items ?? []) as { metadata: { name: string; uid: string }; data?: Record<string, string> }[];
  if (items.length === 0) {
    io.stdout("no overrides");
    return 0;
  }
  for (const item of items) {
    const data = item.data ?? {};
    const reported = status?.overrides.find((o) => o.uid === item.metadata.uid || o.name === item.metadata.name);
    const state = reported ? `${reported.state}: ${reported.message}` : "not yet seen by the relay";
    io.stdout(`${data[OVERRIDE_KEYS.flag]} ${data[OVERRIDE_KEYS.value]} by ${data[OVERRIDE_KEYS.requestedBy]} at ${data[OVERRIDE_KEYS.requestedAt]} (${data[OVERRIDE_KEYS.reason]}) — ${state}${reported?.state === "merged" ? "; remove the record with --clear" : ""}`);
  }
  return 0;
}

async function clearOverride(input: StackInput, connection: KubeConnection, flag: string, io: OverrideIo): Promise<number> {
  const namespace = input.settings.namespace;
  const name = overrideObjectName(flag, hash8);
  const who = await whoAmI(connection);
  const deleted = await ask(connection, "DELETE", `${configMapsPath(namespace)}/${name}`);
  if (deleted.status === 404 && !/namespaces? .*not found/i.test(answerMessage(deleted))) throw new UserError(`no override of ${flag} in ${namespace} (no ConfigMap ${name}); see --status`);
  if (deleted.status !== 200 && deleted.status !== 202) throw refused(deleted, "delete ConfigMaps", namespace, who.username);
  io.stdout(`override of ${flag} cleared by ${who.username}: the relay serves upstream's value within ${RELAY.overrideCheckSeconds} s, Flipt at its next poll (${input.settings.git.pollIntervalSeconds} s)`);
  return 0;
}

export async function override(args: string[], io: OverrideIo): Promise<number> {
  const parsed = parseOverrideArguments(args);
  const input = readStackOrRefuse(parsed.stack, io.cwd);
  const flag = parsed.action.kind === "set" ? checkoutFlag(input, parsed.action, io) : undefined;
  let connection: KubeConnection;
  try {
    connection = connectionFor(input, io, parsed.kubeconfig, parsed.context);
  } catch (error) {
    if (error instanceof KubeUnreachable) throw new UserError(`no cluster access: ${error.message}`);
    throw error;
  }
  switch (parsed.action.kind) {
    case "set":
      return setOverride(input, connection, parsed.action, flag!, io);
    case "status":
      return showStatus(input, connection, io);
    case "clear":
      return clearOverride(input, connection, parsed.action.flag, io);
  }
}
