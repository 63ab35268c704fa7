/**
 * The one error type for a mistake the person running a command can fix: a bad argument, a
 * missing file, a YAML file that does not parse, a bad stack configuration or flag file. Every
 * CLI recognises it by type and prints its problems, one line each, without a stack trace, and
 * exits with `exitCode`; any other error is a bug and keeps its stack.
 */
export class UserError extends Error {
  readonly problems: readonly string[];

  /** @param exitCode the CLI's exit code for it; undefined means the CLI's own default. */
  constructor(problems: string | readonly string[], readonly exitCode?: number) {
    const list = typeof problems === "string" ? [problems] : problems;
    super(list.join("\n"));
    this.name = "UserError";
    this.problems = list;
  }
}
