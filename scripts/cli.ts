/** Shared by the command-line scripts: argument parsing and one-line errors. */

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
