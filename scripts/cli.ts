/** Shared by the command-line scripts: argument parsing and one-line errors. */
import * as net from "node:net";

/** An error the user can fix: printed as one line, exit code 2, no stack trace. */
export class UsageError extends Error {}

export type Flags = Record<string, string | true>;

/** Parses `--key value` and `--switch` arguments; rejects anything not in `allowed`. */
export function parseFlags(argv: readonly string[], allowed: readonly string[]): Flags {
  const flags: Flags = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const match = /^--([\w-]+)(?:=(.*))?$/.exec(arg);
    if (!match || !allowed.includes(match[1])) {
      throw new UsageError(`unknown argument ${JSON.stringify(arg)}; expected ${allowed.map((a) => `--${a}`).join(", ")}`);
    }
    const next = argv[i + 1];
    if (match[2] !== undefined) flags[match[1]] = match[2];
    else if (next !== undefined && !next.startsWith("--")) flags[match[1]] = argv[++i];
    else flags[match[1]] = true;
  }
  return flags;
}

export function stringFlag(flags: Flags, name: string, fallback?: string): string {
  const value = flags[name];
  if (typeof value === "string") return value;
  if (value === true) throw new UsageError(`--${name} needs a value`);
  if (fallback === undefined) throw new UsageError(`--${name} is required`);
  return fallback;
}

/** Runs a command's main function; user errors become one line on stderr and exit code 2. */
export function runMain(main: () => Promise<void> | void, isUserError: (err: unknown) => err is Error): void {
  Promise.resolve()
    .then(main)
    .catch((err: unknown) => {
      if (isUserError(err)) {
        process.stderr.write(`error: ${err.message}\n`);
        process.exit(2);
      }
      throw err;
    });
}

/** A `--port` value: a TCP port that is free on 127.0.0.1 now, or undefined when the option is absent. */
export async function portFlag(value: string | undefined): Promise<number | undefined> {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`--port ${JSON.stringify(value)}: expected a TCP port number (1-65535)`);
  }
  const free = await new Promise<boolean>((resolve) => {
    const probe = net.createServer().once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
  if (!free) throw new UsageError(`--port ${port}: already in use on 127.0.0.1`);
  return port;
}
