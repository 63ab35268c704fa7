/**
 * A throw-away PostgreSQL server for the end-to-end tests, the engine tier and deploy:local: its own `initdb` with password
 * (SCRAM) authentication for every connection, listening on 127.0.0.1 on a free port, its socket
 * and data in a temporary directory. PostgreSQL refuses to run as root, so when the tests run as
 * root the server runs as an unprivileged system user that owns the directory.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ManagedProcess, Supervisor, freePort, waitFor } from "./processes";

/** The unprivileged account the server runs as when the tests run as root. */
const SERVER_USER = "flipt-e2e";
const SUPERUSER = "postgres";
const READY_TIMEOUT_MS = 30_000;

interface Account {
  readonly uid: number;
  readonly gid: number;
}

/** The account PostgreSQL runs as: this process's own unless it is root, then SERVER_USER (created if missing). */
function serverAccount(): Account | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync("id", [flag, SERVER_USER], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim());
  try {
    return { uid: id("-u"), gid: id("-g") };
  } catch {
    execFileSync("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVER_USER], { stdio: "ignore" });
    return { uid: id("-u"), gid: id("-g") };
  }
}

function chownTree(dir: string, account: Account): void {
  fs.chownSync(dir, account.uid, account.gid);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const child = path.join(dir, entry.name);
    if (entry.isDirectory()) chownTree(child, account);
    else fs.chownSync(child, account.uid, account.gid);
  }
}

export interface PostgresOptions {
  readonly pgBinDir: string;
  readonly superuserPassword: string;
}

export class PostgresServer {
  readonly host = "127.0.0.1";
  readonly superuser = SUPERUSER;
  private server: ManagedProcess | undefined;

  private constructor(
    private readonly supervisor: Supervisor,
    private readonly options: PostgresOptions,
    private readonly dir: string,
    private readonly account: Account | undefined,
    readonly port: number,
  ) {}

  /** initdb in a new temporary directory, then start the server and wait until it accepts connections. */
  static async start(supervisor: Supervisor, options: PostgresOptions): Promise<PostgresServer> {
    const account = serverAccount();
    const dir = supervisor.tempDir("postgres");
    const passwordFile = path.join(dir, "superuser-password");
    fs.writeFileSync(passwordFile, `${options.superuserPassword}\n`, { mode: 0o600 });
    fs.mkdirSync(path.join(dir, "socket"));
    if (account) chownTree(dir, account);
    const initdb = supervisor.spawn(
      "initdb",
      path.join(options.pgBinDir, "initdb"),
      ["--pgdata", path.join(dir, "data"), "--username", SUPERUSER, "--pwfile", passwordFile, "--auth=scram-sha-256", "--encoding=UTF8", "--no-sync", "--no-instructions"],
      { uid: account?.uid, gid: account?.gid, cwd: dir, env: { PATH: process.env.PATH, LANG: "C.UTF-8" } },
    );
    const status = await initdb.exited;
    if (status.code !== 0) throw new Error(`initdb failed:\n${initdb.tail()}`);
    const server = new PostgresServer(supervisor, options, dir, account, await freePort());
    await server.startServer();
    return server;
  }

  /** Starts the server again after stop() (same data, same port). */
  async startServer(): Promise<void> {
    if (this.server?.running) return;
    const { uid, gid } = this.account ?? {};
    this.server = this.supervisor.spawn(
      "postgres",
      path.join(this.options.pgBinDir, "postgres"),
      // fsync off: a throw-away database; nothing here needs to survive a crash of the machine.
      ["-D", path.join(this.dir, "data"), "-k", path.join(this.dir, "socket"), "-h", this.host, "-p", String(this.port), "-c", "fsync=off"],
      { uid, gid, cwd: this.dir, env: { PATH: process.env.PATH, LANG: "C.UTF-8" } },
    );
    const server = this.server;
    await waitFor(
      () => {
        if (!server.running) throw new Error(`postgres exited:\n${server.tail()}`);
        return this.isReady();
      },
      { timeoutMs: READY_TIMEOUT_MS, what: `PostgreSQL on ${this.host}:${this.port}` },
    );
  }

  /** Fast shutdown: connected clients are disconnected, as when the database host goes away. */
  async stop(): Promise<void> {
    await this.server?.stop("SIGINT");
  }

  get running(): boolean {
    return this.server?.running ?? false;
  }

  private isReady(): boolean {
    try {
      this.psql(["SELECT 1"]);
      return true;
    } catch {
      return false;
    }
  }

  /** Runs statements as the superuser, one `-c` each (so CREATE DATABASE is outside a transaction); returns unaligned rows. */
  psql(statements: readonly string[], database = "postgres"): string {
    return this.psqlAs(SUPERUSER, this.options.superuserPassword, statements, database);
  }

  psqlAs(user: string, password: string, statements: readonly string[], database = "postgres"): string {
    const args = ["-X", "-q", "-A", "-t", "-F", "|", "-v", "ON_ERROR_STOP=1", "-h", this.host, "-p", String(this.port), "-U", user, "-d", database];
    for (const statement of statements) args.push("-c", statement);
    return execFileSync(path.join(this.options.pgBinDir, "psql"), args, {
      encoding: "utf8",
      env: { PATH: process.env.PATH, PGPASSWORD: password, PGCONNECT_TIMEOUT: "5" },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 30_000,
    }).trim();
  }
}
