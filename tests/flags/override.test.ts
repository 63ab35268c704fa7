import { describe, expect, it } from "vitest";
import { parseOverrideArguments } from "../../scripts/flags/override";
import { runCli, runCliAsync } from "./helpers";
import { findFlag, folderFlags } from "../../scripts/flags/flagEdit";
import { readFolder } from "../../scripts/flags/folder";
import { REPO_ROOT } from "./helpers";
import * as path from "node:path";

// A flag prod really has, whatever flags/ holds today.
const [someFlag] = folderFlags(readFolder(path.join(REPO_ROOT, "flags/prod")));
const FLAG = `${someFlag.namespace}/${someFlag.key}`;

describe("flags override: arguments", () => {
  it("--help documents the command, its lanes and its options", () => {
    const result = runCli(["override", "--help"]);
    expect(result.code).toBe(0);
    const text = result.stdout.join("\n");
    for (const word of ["--stack", "--flag", "--enabled", "--rollout", "--reason", "--status", "--clear", "--kubeconfig", "--context", "--wait", "flags-override Role"]) expect(text).toContain(word);
  });

  it.each([
    [["--flag", FLAG, "--enabled", "true", "--reason", "r"], /missing --stack/],
    [["--stack", "prod", "--enabled", "true", "--reason", "r"], /missing --flag/],
    [["--stack", "prod", "--flag", "no-slash", "--enabled", "true", "--reason", "r"], /expected <namespace>\/<key>/],
    [["--stack", "prod", "--flag", FLAG, "--reason", "r"], /exactly one of --enabled true\|false and --rollout/],
    [["--stack", "prod", "--flag", FLAG, "--enabled", "true", "--rollout", "5", "--reason", "r"], /exactly one of/],
    [["--stack", "prod", "--flag", FLAG, "--enabled", "yes", "--reason", "r"], /--enabled "yes": expected true or false/],
    [["--stack", "prod", "--flag", FLAG, "--rollout", "101", "--reason", "r"], /percentage from 0 to 100/],
    [["--stack", "prod", "--flag", FLAG, "--rollout=-5", "--reason", "r"], /percentage from 0 to 100/],
    [["--stack", "prod", "--flag", FLAG, "--rollout", "half", "--reason", "r"], /percentage from 0 to 100/],
    [["--stack", "prod", "--flag", FLAG, "--enabled", "true"], /missing --reason/],
    [["--stack", "prod", "--flag", FLAG, "--enabled", "true", "--reason", "   "], /missing --reason/],
    [["--stack", "prod", "--flag", FLAG, "--enabled", "true", "--reason", "r", "--wait", "soon"], /--wait "soon"/],
    [["--stack", "prod", "--status", "--flag", FLAG], /--status takes no --flag/],
    [["--stack", "prod", "--clear", "--flag", FLAG, "--enabled", "true"], /--clear takes no --enabled/],
  ])("%j is refused: %s", (args, message) => {
    expect(() => parseOverrideArguments(args)).toThrow(message);
  });

  it("reads a set, a status and a clear", () => {
    expect(parseOverrideArguments(["--stack", "prod", "--flag", FLAG, "--rollout", "12.5", "--reason", " incident 9 "]).action).toEqual({ kind: "set", flag: FLAG, value: { rollout: 12.5 }, reason: "incident 9", waitSeconds: 60 });
    expect(parseOverrideArguments(["--stack", "dev", "--status"]).action).toEqual({ kind: "status" });
    expect(parseOverrideArguments(["--stack", "dev", "--clear", "--flag", FLAG]).action).toEqual({ kind: "clear", flag: FLAG });
  });

  it.each([
    ["an unknown flag", ["--stack", "prod", "--flag", `${someFlag.namespace}/no-such-flag`, "--enabled", "true", "--reason", "r"], /unknown flag .*not in flags\/prod/],
    ["a review stack, which has no relay", ["--stack", "pr-12", "--flag", FLAG, "--enabled", "true", "--reason", "r"], /stack pr-12 has no flags relay/],
    ["no kubeconfig", ["--stack", "prod", "--flag", FLAG, "--enabled", String(!someFlag.enabled), "--reason", "r", "--kubeconfig", "/nonexistent/kubeconfig"], /no cluster access: no kubeconfig at \/nonexistent\/kubeconfig/],
  ])("%s: one line on stderr, exit 1, before any cluster is asked", async (_what, args, message) => {
    expect(findFlag(readFolder(path.join(REPO_ROOT, "flags/prod")), FLAG)).toBeDefined();
    const result = await runCliAsync(["override", ...args]);
    expect(result.code).toBe(1);
    expect(result.stderr).toHaveLength(1);
    expect(result.stderr[0]).toMatch(message);
    expect(result.stdout).toEqual([]);
  });
});
