/**
 * Child processes and temporary directories that must not outlive their owner: the local runner
 * and the end-to-end tests start Flipt, PostgreSQL and a Git server through one Supervisor, which
 * kills every process group it started and removes every temporary directory it made — on a
 * normal stop, on a failure, on SIGINT/SIGTERM and when the owning process exits.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

/** Lines of output a process keeps in memory for error messages and assertions. */
const KEPT_LINES = 2000;
/** How long a process gets to exit after its stop signal before it is killed. */
const STOP_GRACE_MS = 10_000;

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  /** Names the condition in the timeout error. */
  readonly what?: string;
}

/**
 * Polls `condition` until it returns a value other than undefined/false, and returns that value.
 * Exceptions count as "not yet"; the last one is quoted when the wait times out.
 */
export async function waitFor<T>(condition: () => Promise<T | undefined | false> | T | undefined | false, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? `; last error: ${lastError.message}` : "";
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${options.what ?? "a condition"}${cause}`);
    }
    await sleep(options.intervalMs ?? 200);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A TCP port that is free on 127.0.0.1 right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface SpawnOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Run as this user and group (the caller must be root). */
  readonly uid?: number;
  readonly gid?: number;
  /** Output is also appended to this file. */
  readonly logFile?: string;
  /** Echo output lines to this stream, prefixed with the process name. */
  readonly echo?: NodeJS.WritableStream;
  /** Called with each output line as it arrives (progress for a person watching). */
  readonly onLine?: (line: string) => void;
}

/** A process started by a Supervisor, in its own process group. */
export class ManagedProcess {
  private readonly lines: string[] = [];
  private status: ExitStatus | undefined;
  readonly exited: Promise<ExitStatus>;

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    options: SpawnOptions,
  ) {
    const log = options.logFile ? fs.createWriteStream(options.logFile, { flags: "a" }) : undefined;
    const collect = (chunk: Buffer) => {
      log?.write(chunk);
      for (const line of chunk.toString("utf8").split("\n")) {
        if (line === "") continue;
        this.lines.push(line);
        options.echo?.write(`[${name}] ${line}\n`);
        options.onLine?.(line);
      }
      if (this.lines.length > KEPT_LINES) this.lines.splice(0, this.lines.length - KEPT_LINES);
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    this.exited = new Promise((resolve) => {
      child.on("error", (error) => {
        this.lines.push(`failed to start: ${error.message}`);
        this.status = { code: null, signal: null };
        resolve(this.status);
      });
      child.on("exit", (code, signal) => {
        this.status = { code, signal };
        log?.end();
        resolve(this.status);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.status === undefined && this.child.pid !== undefined;
  }

  get exitStatus(): ExitStatus | undefined {
    return this.status;
  }

  /** Output lines so far (stdout and stderr interleaved as they arrived). */
  output(): readonly string[] {
    return this.lines;
  }

  tail(count = 30): string {
    return this.lines.slice(-count).join("\n");
  }

  /** Sends a signal to the whole process group. */
  signal(signal: NodeJS.Signals): void {
    if (!this.running || this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // already gone
    }
  }

  /** Sends a signal to the process alone, not its group: it decides what its children get (the Pulumi CLI cancels gracefully). */
  signalLeader(signal: NodeJS.Signals): void {
    if (!this.running || this.child.pid === undefined) return;
    try {
      process.kill(this.child.pid, signal);
    } catch {
      // already gone
    }
  }

  /** Waits for a process that is expected to exit on its own; rejects, with its last output, if it is still running after `timeoutMs`. */
  async exitWithin(timeoutMs: number): Promise<ExitStatus> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.name} still running after ${timeoutMs} ms; its last output:\n${this.tail()}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits for a bounded run to end, killing it once `limitMs` have passed; the status says which it was. */
  async exitedOrKilledAfter(limitMs: number): Promise<ExitStatus> {
    const timer = setTimeout(() => this.killNow(), limitMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Signals the process group, waits up to the grace period, then kills it. */
  async stop(signal: NodeJS.Signals = "SIGTERM", graceMs = STOP_GRACE_MS): Promise<ExitStatus> {
    if (!this.running) return this.status ?? this.exited;
    this.signal(signal);
    const timer = setTimeout(() => this.signal("SIGKILL"), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
      this.killGroupLeftovers();
    }
  }

  /** What the leader started and left behind in its group (a plugin of the Pulumi CLI, say) goes with it. */
  private killGroupLeftovers(): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, "SIGKILL");
    } catch {
      // no process left in the group
    }
  }

  /** Synchronous last resort, for process exit handlers. */
  killNow(): void {
    this.signal("SIGKILL");
  }
}

/** Starts processes and makes temporary directories, and guarantees they are cleaned up. */
export class Supervisor {
  private readonly processes = new Set<ManagedProcess>();
  private readonly tempDirs = new Set<string>();
  private readonly cleanups: (() => Promise<void> | void)[] = [];

  constructor() {
    liveSupervisors.add(this);
    installExitHandlers();
  }

  /** Every process group this Supervisor started, for the check that none is left. */
  private readonly groups = new Set<number>();

  /** Processes still alive in any group this Supervisor started, and temp dirs it made that still exist. */
  leftovers(): { processes: string[]; dirs: string[] } {
    const processes = liveProcesses().filter((p) => this.groups.has(p.pgrp)).map((p) => `${p.pid} ${p.command}`);
    return { processes, dirs: [...this.tempDirs].filter((dir) => fs.existsSync(dir)) };
  }

  spawn(name: string, command: string, args: readonly string[], options: SpawnOptions = {}): ManagedProcess {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      uid: options.uid,
      gid: options.gid,
      // Own process group: stop() reaches grandchildren, and a terminal's Ctrl-C does not.
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const managed = new ManagedProcess(name, child, options);
    this.processes.add(managed);
    if (child.pid !== undefined) this.groups.add(child.pid);
    void managed.exited.then(() => this.processes.delete(managed));
    return managed;
  }

  /** A new directory under the system temp dir, removed by stopAll(). */
  tempDir(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
    this.tempDirs.add(dir);
    return dir;
  }

  /** Runs at stopAll(), after the processes are stopped, in reverse order of registration. */
  onStop(cleanup: () => Promise<void> | void): void {
    this.cleanups.push(cleanup);
  }

  private stopRequested = false;

  /** True once stopAll() has begun: processes exiting from then on are expected to. */
  get stopping(): boolean {
    return this.stopRequested;
  }

  /** Stops every process, runs the cleanups and removes the temp dirs. */
  async stopAll(): Promise<void> {
    this.stopRequested = true;
    const processes = [...this.processes].reverse();
    await Promise.all(processes.map((p) => p.stop()));
    for (const cleanup of this.cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        process.stderr.write(`cleanup failed: ${error instanceof Error ? error.message : String(error)}\n`);
      }
    }
    // Kept in the set once removed: leftovers() checks that each is gone, and removing again is a no-op.
    for (const dir of this.tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  }

  /** Synchronous last resort for exit handlers: kill everything, remove what can be removed. */
  killAllNow(): void {
    for (const p of this.processes) p.killNow();
    for (const dir of this.tempDirs) {
      try {
        fs.rmSync(dir, { recursive: true, force: true });
      } catch {
        // best effort while exiting
      }
    }
  }
}

const liveSupervisors = new Set<Supervisor>();
let exitHandlersInstalled = false;

/** What a command does on SIGINT/SIGTERM/SIGHUP instead of the default stop; `count` is 1 for the first signal. */
export type SignalHandler = (signal: NodeJS.Signals, count: number) => void;
let signalOwner: SignalHandler | undefined;
let signalsSeen = 0;

/**
 * Takes over SIGINT/SIGTERM/SIGHUP (and the loss of the process that started this one) from the
 * default, which stops every Supervisor and exits: a command that must do more first, such as
 * `deploy:local` destroying its stack, handles them itself and stops its Supervisors when done.
 */
export function handleSignals(handler: SignalHandler): void {
  installExitHandlers();
  signalOwner = handler;
}

export function exitCodeOf(signal: NodeJS.Signals): number {
  return signal === "SIGINT" ? 130 : signal === "SIGHUP" ? 129 : 143;
}

/** The same signal again within this window is the same Ctrl-C delivered twice, not a second one. */
const REPEATED_SIGNAL_MS = 1000;
let lastSignal: { readonly signal: NodeJS.Signals; readonly at: number } | undefined;

function onSignal(signal: NodeJS.Signals): void {
  // A terminal sends Ctrl-C to the whole process group, and a parent that relays it (tsx) can send it again.
  const now = Date.now();
  if (lastSignal?.signal === signal && now - lastSignal.at < REPEATED_SIGNAL_MS) return;
  lastSignal = { signal, at: now };
  signalsSeen += 1;
  if (signalOwner) return signalOwner(signal, signalsSeen);
  // A second signal while stopping exits at once; the exit handler still kills every process group.
  if (signalsSeen > 1) process.exit(exitCodeOf(signal));
  void Promise.all([...liveSupervisors].map((s) => s.stopAll())).finally(() => process.exit(exitCodeOf(signal)));
}

/** How often the processes that started this one are checked for. */
const ANCESTOR_CHECK_MS = 1000;

interface ProcessIdentity {
  readonly pid: number;
  /** Start time in clock ticks since boot: tells a pid reused by another process apart. */
  readonly startTime: string;
  readonly command: string;
}

/** The parent and start time of a process, from /proc/<pid>/stat (Linux); undefined once it is gone. */
export function procStat(pid: number): { state: string; ppid: number; pgrp: number; startTime: string; command: string } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid … starttime …": comm may hold spaces and parentheses.
  const command = text.slice(text.indexOf("(") + 1, text.lastIndexOf(")"));
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: fields[0], ppid: Number(fields[1]), pgrp: Number(fields[2]), startTime: fields[19], command };
}

/** Every process that has not exited (a zombie has: only its parent's wait is missing), from /proc. */
export function liveProcesses(): ({ pid: number } & NonNullable<ReturnType<typeof procStat>>)[] {
  const entries = fs.existsSync("/proc") ? fs.readdirSync("/proc").filter((e) => /^\d+$/.test(e)) : [];
  return entries.flatMap((entry) => {
    const info = procStat(Number(entry));
    return info && info.state !== "Z" ? [{ pid: Number(entry), ...info }] : [];
  });
}

/**
 * The processes between this one and whoever ran it: up to the nearest `npm` (npm run … →
 * sh -c → tsx → node), or else through the node processes (tsx) to the first other one (a shell).
 */
export function launcherChain(stat: (pid: number) => ReturnType<typeof procStat> = procStat, self = process.pid): ProcessIdentity[] {
  const chain: ProcessIdentity[] = [];
  let pid = stat(self)?.ppid ?? 0;
  while (pid > 1) {
    const info = stat(pid);
    if (!info) break;
    chain.push({ pid, startTime: info.startTime, command: info.command });
    pid = info.ppid;
  }
  const npm = chain.findIndex((p) => p.command.startsWith("npm"));
  if (npm >= 0) return chain.slice(0, npm + 1);
  const firstOther = chain.findIndex((p) => p.command !== "node");
  return firstOther >= 0 ? chain.slice(0, firstOther + 1) : chain;
}

/**
 * A SIGTERM to `npm run …` ends npm and its shell but not tsx or this process, which would keep
 * every server it started running: the loss of a launcher counts as a SIGTERM.
 */
function watchLaunchers(): void {
  const chain = launcherChain();
  if (chain.length === 0) return;
  const timer = setInterval(() => {
    const gone = chain.find((p) => procStat(p.pid)?.startTime !== p.startTime);
    if (!gone) return;
    clearInterval(timer);
    // After a signal the launcher may go first (npm on SIGTERM): the stop under way is the answer.
    if (signalsSeen > 0) return;
    process.stderr.write(`${gone.command} (pid ${gone.pid}), which started this process, is gone: stopping as on SIGTERM\n`);
    onSignal("SIGTERM");
  }, ANCESTOR_CHECK_MS);
  timer.unref();
}

/** Kill leftovers when the owner exits, and turn SIGINT/SIGTERM (or a lost launcher) into an orderly stop. */
function installExitHandlers(): void {
  if (exitHandlersInstalled) return;
  exitHandlersInstalled = true;
  process.on("exit", () => {
    for (const supervisor of liveSupervisors) supervisor.killAllNow();
  });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => onSignal(signal));
  if (process.platform === "linux") watchLaunchers();
}
