import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { afterAll, describe, expect, it } from "vitest";
import { readFlagsTree } from "../../scripts/flags/environments";
import { checkFlagsTree } from "../../scripts/flags/environmentsLint";
import { checkFlagFolder } from "../../scripts/flags/lint";
import { readFolder } from "../../scripts/flags/folder";
import { INDEX, migratedFlags, runCli, tempDir, writeFiles, removeTempDirs } from "./helpers";

afterAll(removeTempDirs);

const TODAY = "2026-11-24";

/** Flags to change: the migration of the recorded snapshot (known flags, unlike the committed flags/). */
const copyOfFlags = migratedFlags;

function newFlag(dir: string, ...args: string[]) {
  return runCli(["new", "--dir", dir, "--today", TODAY, ...args]);
}

function flagIn(dir: string, file: string, key: string): Record<string, unknown> | undefined {
  const doc = yaml.load(fs.readFileSync(path.join(dir, file), "utf8")) as { flags: Record<string, unknown>[] };
  return doc.flags.find((f) => f.key === key);
}

/** Problems of a flags root (every environment and across them) or of a single folder. */
const lintProblems = (dir: string) => checkFlagsTree(readFlagsTree(readFolder(dir)), TODAY).problems;
const dev = (root: string) => path.join(root, "dev");

describe("new", () => {
  it("adds a disabled boolean flag, created today and expiring in 90 days, to the namespace's file in dev", () => {
    const dir = copyOfFlags();
    const before = fs.readFileSync(path.join(dev(dir), "llm_gateway.features.yml"), "utf8");
    const result = newFlag(dir, "--namespace", "llm_gateway", "--key", "model_routing--cheap_fallback", "--owner", "platform-app", "--description", "Fall back to the cheap model.");
    expect(result).toMatchObject({ code: 0, stderr: [] });
    expect(result.stdout[0]).toContain(`Updated ${path.join(dir, "dev", "llm_gateway.features.yml")}`);
    expect(flagIn(path.join(dir, "prod"), "llm_gateway.features.yml", "model_routing--cheap_fallback")).toBeUndefined();
    expect(flagIn(dev(dir), "llm_gateway.features.yml", "model_routing--cheap_fallback")).toEqual({
      key: "model_routing--cheap_fallback",
      name: "model_routing--cheap_fallback",
      type: "BOOLEAN_FLAG_TYPE",
      description: "Fall back to the cheap model.",
      enabled: false,
      metadata: { owner: "platform-app", created: TODAY, expires: "2027-02-22" },
    });
    const after = fs.readFileSync(path.join(dev(dir), "llm_gateway.features.yml"), "utf8");
    expect(after.startsWith(before)).toBe(true);
    expect(lintProblems(dir)).toEqual([]);
  });

  it.each([
    [["--permanent"], { permanent: true }],
    [["--expires", "2027-01-15"], { expires: "2027-01-15" }],
  ])("with %j writes %j", (args, lifecycle) => {
    const dir = copyOfFlags();
    expect(newFlag(dir, "--namespace", "platform", "--key", "kill_switches--new", "--owner", "platform-app", "--description", "d", ...args).code).toBe(0);
    expect(flagIn(dev(dir), "platform.features.yml", "kill_switches--new")?.metadata).toEqual({ owner: "platform-app", created: TODAY, ...lifecycle });
    expect(lintProblems(dir)).toEqual([]);
  });

  it("creates the namespace's file when the namespace has none, inside the index", () => {
    const dir = copyOfFlags();
    const result = newFlag(dir, "--key", "checkout", "--owner", "payments", "--description", "New checkout.", "--type", "variant");
    expect(result.stdout[0]).toContain("Created");
    expect(flagIn(dev(dir), "default.features.yml", "checkout")).toMatchObject({
      type: "VARIANT_FLAG_TYPE",
      enabled: false,
      variants: [{ key: "control", name: "Control", default: true }, { key: "treatment", name: "Treatment" }],
    });
    expect(checkFlagFolder(readFolder(dev(dir)), TODAY).files).toContain("default.features.yml");
    expect(lintProblems(dir)).toEqual([]);
  });

  it("with --env prod adds to prod only, which lint then reports: changes start in dev", () => {
    const dir = copyOfFlags();
    expect(newFlag(dir, "--env", "prod", "--namespace", "platform", "--key", "kill_switches--new", "--owner", "platform-app", "--description", "d").code).toBe(0);
    expect(flagIn(dev(dir), "platform.features.yml", "kill_switches--new")).toBeUndefined();
    expect(lintProblems(dir).map((p) => p.message)).toEqual([
      expect.stringContaining("flag platform/kill_switches--new is in prod but not in dev: changes start in dev and are promoted"),
    ]);
  });

  it("adds to a file whose flags list is empty", () => {
    const dir = tempDir();
    writeFiles(dir, { ".flipt.yml": INDEX, "shop.features.yml": 'version: "1.4"\nnamespace: shop\nflags: []\n' });
    expect(newFlag(dir, "--namespace", "shop", "--key", "a", "--owner", "t", "--description", "d").code).toBe(0);
    expect(flagIn(dir, "shop.features.yml", "a")).toBeDefined();
    expect(lintProblems(dir)).toEqual([]);
  });

  it.each([
    [["--namespace", "platform", "--key", "kill_switches--gate--control_api"], "flag platform/kill_switches--gate--control_api already exists at"],
    [["--key", "platform.kill_switches.x"], '--key: expected a Flipt key matching ^[-_,A-Za-z0-9]+$, found "platform.kill_switches.x"; for the dotted name use --namespace platform --key kill_switches--x'],
    [["--key", "bad key"], '--key: expected a Flipt key matching ^[-_,A-Za-z0-9]+$, found "bad key"'],
    [["--key", "ok", "--namespace", "a/b"], '--namespace: expected a namespace key matching'],
    [["--key", "ok", "--permanent", "--expires", "2027-01-01"], "--expires and --permanent: give one or the other"],
    [["--key", "ok", "--expires", "2026-11-24"], "--expires: 2026-11-24 is not after today (2026-11-24)"],
    [["--key", "ok", "--expires", "next week"], '--expires: expected a date YYYY-MM-DD, found "next week"'],
    [["--key", "ok", "--type", "string"], '--type: expected one of boolean, variant, found "string"'],
  ])("refuses %j and leaves the files alone", (args, message) => {
    const dir = copyOfFlags();
    const before = readFolder(dir);
    const result = newFlag(dir, "--owner", "platform-app", "--description", "d", ...args);
    expect(result.code).toBe(1);
    expect(result.stderr).toHaveLength(1);
    expect(result.stderr[0]).toContain(message);
    expect(readFolder(dir)).toEqual(before);
  });

  it.each([
    [["--owner", " "], "--owner: expected the owning team"],
    [["--description", ""], "--description: expected a sentence"],
  ])("refuses an empty %j", (args, message) => {
    const base = { "--owner": "t", "--description": "d" } as Record<string, string>;
    base[args[0]] = args[1];
    const result = newFlag(copyOfFlags(), "--key", "ok", ...Object.entries(base).flat());
    expect(result.code).toBe(1);
    expect(result.stderr[0]).toContain(message);
  });
});
