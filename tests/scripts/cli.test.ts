import { describe, expect, it } from "vitest";
import { HelpRequested, parseFlags, UsageError } from "../../scripts/cli";
import { UserError } from "../../settings/userError";

describe("parseFlags: every script's options", () => {
  it("--help or -h anywhere asks for the usage, whatever else is given", () => {
    for (const argv of [["--help"], ["-h"], ["--stack", "dev", "--help"], ["--bogus", "-h"]]) {
      expect(() => parseFlags(argv, ["stack"], "Usage: x")).toThrow(HelpRequested);
    }
  });

  it("an unknown option is one line, a user error with exit code 2, pointing at --help", () => {
    let error: unknown;
    try {
      parseFlags(["--bogus"], ["stack", "out"], "Usage: x");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).exitCode).toBe(2);
    expect((error as Error).message).toBe('unknown argument "--bogus"; expected --stack, --out (see --help)');
    expect(() => parseFlags(["x"], [], "Usage: x")).toThrow('unknown argument "x"; expected no arguments (see --help)');
  });
});
