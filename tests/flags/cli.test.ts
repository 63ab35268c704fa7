import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT, runCli, tempDir, removeTempDirs } from "./helpers";

afterAll(removeTempDirs);

describe("flags CLI user errors: one line, exit 1, no stack trace", () => {
  const missing = path.join(tempDir(), "missing");
  it.each([
    [["frobnicate"], 'flags frobnicate: unknown command "frobnicate"; expected one of migrate, lint, stale, new, diff, promote, mirror, override (see --help)'],
    [["diff", "--format", "html"], 'flags diff: --format: expected one of text, markdown, json, found "html"'],
    [["diff", "--base", "no-such-ref"], "flags diff: --base no-such-ref: not a commit in"],
    [["promote", "--from", "dev"], "flags promote: missing --to (see --help)"],
    [["promote", "--from", "staging", "--to", "prod"], 'flags promote: --from: expected one of dev, prod, found "staging"'],
    [["promote", "--from", "dev", "--to", "dev"], "flags promote: --from and --to: both are dev"],
    [["promote", "--from", "dev", "--to", "prod", "--flag", "no-slash"], 'flags promote: --flag "no-slash": expected <namespace>/<key>'],
    [["promote", "--from", "dev", "--to", "prod", "--flag", "platform/nope"], "flags promote: --flag platform/nope: neither dev nor prod has this flag"],
    [["new", "--key", "a", "--owner", "t", "--description", "d", "--env", "qa"], 'flags new: --env: expected one of dev, prod, found "qa"'],
    [["migrate", "--out", "x"], "flags migrate: missing --from (see --help)"],
    [["migrate", "--from", `${missing}.json`, "--out", missing], `flags migrate: ${missing}.json: cannot read (no such file)`],
    [["migrate", "--from", "a", "--out", "b", "--today", "2026-02-30"], 'flags migrate: --today: expected a date YYYY-MM-DD, found "2026-02-30"'],
    [["lint", "--dir", missing], `flags lint: ${missing}: no such directory`],
    [["lint", "--verbose"], "flags lint: Unknown option '--verbose'"],
    [["lint", "stray"], "flags lint: Unexpected argument 'stray'"],
    [["stale", "--format", "xml"], 'flags stale: --format: expected one of text, json, markdown, found "xml"'],
    [["stale", "--dir"], "flags stale: Option '--dir <value>' argument missing"],
    [["new", "--key", "a"], "flags new: missing --owner, --description (see --help)"],
  ])("%j", (args, message) => {
    const result = runCli(args);
    expect(result.code).toBe(1);
    expect(result.stdout).toEqual([]);
    expect(result.stderr).toHaveLength(1);
    expect(result.stderr[0].startsWith(message), result.stderr[0]).toBe(true);
  });

  it("prints usage for --help and exits 0", () => {
    const result = runCli(["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout[0]).toContain("Usage: npm run flags -- <command>");
  });

  it("through the real entry point, a missing file gives one line on stderr and exit 1", () => {
    const tsx = path.join(REPO_ROOT, "node_modules", ".bin", "tsx");
    const run = spawnSync(tsx, ["scripts/flags/cli.ts", "lint", "--dir", "no-such-dir"], { cwd: REPO_ROOT, encoding: "utf8" });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe("flags lint: no-such-dir: no such directory\n");
    expect(run.stdout).toBe("");
  });
});
