/** Shared by the command-line scripts: argument parsing, --help and one-line errors. */
import * as net from "node:net";
import { UserError } from "../settings/userError";

/** The exit code of a user error in these scripts (the flags tool's is 1). */
const USER_ERROR_EXIT = 2;

/** A bad argument: a user error, printed as one line, exit code 2, no stack trace. */
export class UsageError extends UserError {
  constructor(message: string) {
    super(message, USER_ERROR_EXIT);
    this.name = "UsageError";
  }
}

/** `--help` or `-h` was given: runMain prints the text on stdout and exits 0. */
export class HelpRequested extends Error {
  constructor(readonly usage: string) {
    super("help requested");
  }
}

export type Flags = Record<string, string | true>;

/**
 * Parses `--key value` and `--switch` arguments; rejects anything not in `allowed` with one line.
 * `--help` (or `-h`) anywhere stops the command and prints `usage`.
 */
export function parseFlags(argv: readonly string[], allowed: readonly string[], usage: string): Flags {
  if (argv.includes("--help") || argv.includes("-h")) throw new HelpRequested(usage);
  const flags: Flags = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const match = /^--([\w-]+)(?:=(.*))?$/.exec(arg);
    if (!match || !allowed.includes(match[1])) {
      const expected = allowed.length === 0 ? "no arguments" : allowed.map((a) => `--${a}`).join(", ");
      throw new UsageError(`unknown argument ${JSON.stringify(arg)}; expected ${expected} (see --help)`);
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

/**
 * Runs a command's main function. A UserError becomes one line per problem on stderr and its exit
 * code (2 unless it says otherwise), without a stack trace; `--help` prints the usage and exits 0.
 */
export function runMain(main: () => Promise<void> | void): void {
  Promise.resolve()
    .then(main)
    .catch((err: unknown) => {
      if (err instanceof HelpRequested) {
        process.stdout.write(`${err.usage.trimEnd()}\n`);
        process.exit(0);
      }
      if (err instanceof UserError) {
        for (const problem of err.problems) process.stderr.write(`error: ${problem}\n`);
        process.exit(err.exitCode ?? USER_ERROR_EXIT);
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
