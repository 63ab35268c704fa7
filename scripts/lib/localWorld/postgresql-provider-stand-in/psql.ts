/**
 * STAND-IN (engine tier, deploy:local and the bench only, never shipped) for the PostgreSQL
 * provider plugin: runs its SQL with the `psql` client as the configured admin. The script goes
 * through stdin (a password in it never shows in a process list), the environment is built from
 * the provider configuration alone (no PG* variable of this process, no ~/.pgpass), and psql
 * never prompts. Error output is cleared of every secret before it is reported.
 */
import { execFile } from "node:child_process";
import { ConnectionConfig } from "./config";
import { SCRIPT_PREAMBLE } from "./sql";

/** A stand-in for tests should not sit out the provider's 180 s default when the server is unreachable. */
export const MAX_CONNECT_TIMEOUT_SECONDS = 10;
/** Every psql run ends within this, connection included. */
export const PSQL_TIMEOUT_MS = 60_000;
const REDACTED = "[secret]";

export class PsqlError extends Error {}

/** `text` with every secret, and each one as a quoted literal, replaced. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let result = text;
  for (const secret of secrets.filter((s): s is string => !!s)) {
    for (const form of [secret.replace(/'/g, "''"), secret]) result = result.split(form).join(REDACTED);
  }
  return result;
}

function connectTimeout(config: ConnectionConfig): number {
  const seconds = config.connectTimeoutSeconds;
  return seconds > 0 ? Math.min(seconds, MAX_CONNECT_TIMEOUT_SECONDS) : MAX_CONNECT_TIMEOUT_SECONDS;
}

function psqlEnvironment(config: ConnectionConfig): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    LC_ALL: "C.UTF-8",
    // From the environment rather than -d: psql would read a -d value with "=" as a connection string.
    PGDATABASE: config.database,
    PGSSLMODE: config.sslmode,
    PGCONNECT_TIMEOUT: String(connectTimeout(config)),
    PGPASSFILE: "/dev/null",
    PGAPPNAME: "postgresql-provider-stand-in",
    ...(config.password !== undefined ? { PGPASSWORD: config.password } : {}),
    ...(config.sslrootcert !== undefined ? { PGSSLROOTCERT: config.sslrootcert } : {}),
  };
}

/** The admin's psql session: each run is one script, stopped at its first error. */
export class Psql {
  constructor(
    private readonly psqlPath: string,
    private readonly config: ConnectionConfig,
  ) {}

  get admin(): string {
    return this.config.databaseUsername;
  }

  get superuser(): boolean {
    return this.config.superuser;
  }

  /** Runs the statements in order (each in its own transaction unless they say BEGIN); returns the output lines. */
  run(statements: readonly string[], secrets: readonly (string | undefined)[] = []): Promise<string[]> {
    const args = ["-X", "-w", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-v", "VERBOSITY=terse", "-h", this.config.host, "-p", String(this.config.port), "-U", this.config.username, "-f", "-"];
    const script = [SCRIPT_PREAMBLE, ...statements].map((s) => `${s};\n`).join("");
    const hidden = [...secrets, this.config.password];
    return new Promise((resolve, reject) => {
      const child = execFile(this.psqlPath, args, { env: psqlEnvironment(this.config), timeout: PSQL_TIMEOUT_MS, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
        if (!error) return resolve(stdout.split("\n").filter((line) => line !== ""));
        const why = error.killed ? `no answer within ${PSQL_TIMEOUT_MS} ms` : stderr.trim() || error.message;
        reject(new PsqlError(redact(`psql as ${this.config.username} on ${this.config.host}:${this.config.port}: ${why}`, hidden)));
      });
      child.stdin?.on("error", () => undefined); // psql may exit (a refused connection) before reading its script
      child.stdin?.end(script);
    });
  }

  /** The one JSON row a query returns, or undefined when it returns none. */
  async row<T>(query: string): Promise<T | undefined> {
    const [line] = await this.run([query]);
    return line === undefined ? undefined : (JSON.parse(line) as T);
  }

  /** A single boolean ("t"/"f") a query returns. */
  async flag(query: string): Promise<boolean> {
    const [line] = await this.run([query]);
    return line === "t";
  }
}
