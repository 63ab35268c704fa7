/**
 * An error the person running the tool can fix (bad argument, missing file, bad snapshot or
 * flag file). The CLI prints its message (one line per problem) and exits non-zero, without a
 * stack trace; any other error is a bug in the tool and keeps its stack.
 */
export class UserError extends Error {
  readonly problems: readonly string[];

  constructor(problems: string | readonly string[]) {
    const list = typeof problems === "string" ? [problems] : problems;
    super(list.join("\n"));
    this.name = "UserError";
    this.problems = list;
  }
}
