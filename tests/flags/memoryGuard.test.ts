import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { afterAll, describe, expect, it } from "vitest";
import { GENERATED_CREATED, generateFlags, writeGeneratedFlags } from "../../bench/scale/generatedFlags";
import { addDays, localToday } from "../../scripts/flags/dates";
import { ENVIRONMENTS, FLAGS_ROOT, readFlagsTree } from "../../scripts/flags/environments";
import { checkFlagsTree } from "../../scripts/flags/environmentsLint";
import { readFolder } from "../../scripts/flags/folder";
import { flagCounts, judgeStacks, memoryGuard, readServedStacks, WARNING_SHARE, type ServedStack } from "../../scripts/flags/memoryGuard";
import { BENCH_RESULTS_FILE, predictMiB, readMemoryModel, type MemoryModel } from "../../scripts/flags/memoryModel";
import { FLAGS_DIR, REPO_ROOT, removeTempDirs, runCli, tempDir } from "./helpers";

afterAll(removeTempDirs);

/**
 * The flag-count memory guard of `flags lint` and the flags comment, on generated flag folders in
 * a temporary copy of this repository whose prod stack gets a memoryLimit chosen here. The flag
 * counts come from the committed model (the counts at which it predicts a share of that limit), so
 * nothing here pins the model's coefficients or what flags/ holds.
 */

/** Lint the generated flags within their lifetime. */
const TODAY = addDays(GENERATED_CREATED, 1);
const PROJECT = (yaml.load(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as { name: string }).name;
const COPIED = ["Pulumi.yaml", ...ENVIRONMENTS.map((e) => `Pulumi.${e}.yaml`), BENCH_RESULTS_FILE];

function committedModel(): MemoryModel {
  const read = readMemoryModel(REPO_ROOT);
  if (!("model" in read)) throw new Error(`${read.file}: ${read.unavailable}`);
  return read.model;
}

const MODEL = committedModel();
/** The limit chosen for prod: what the model predicts at 1,000 flags, rounded up to 16Mi. */
const LIMIT_MI = Math.ceil(predictMiB(MODEL, 1_000) / 16) * 16;
/** The flag count at which the model predicts `share` of LIMIT_MI. */
const flagsAt = (share: number) => Math.round((share * LIMIT_MI - MODEL.interceptMiB) / MODEL.mibPerFlag);

type StackFile = { config: Record<string, unknown> };

/** Sets (or, with undefined, removes) short keys in a stack file of the copy. */
function editStack(repo: string, stack: string, values: Record<string, string | undefined>): void {
  const file = path.join(repo, `Pulumi.${stack}.yaml`);
  const document = yaml.load(fs.readFileSync(file, "utf8")) as StackFile;
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) delete document.config[`${PROJECT}:${key}`];
    else document.config[`${PROJECT}:${key}`] = value;
  }
  fs.writeFileSync(file, yaml.dump(document));
}

/**
 * This repository's stack files and bench results, and a flags/ with `count` generated flags in
 * every environment (prod's flags must be in dev); prod's memoryLimit is LIMIT_MI, dev's out of reach.
 */
function repositoryWith(count: number): string {
  const repo = tempDir();
  for (const name of COPIED) fs.cpSync(path.join(REPO_ROOT, name), path.join(repo, name), { recursive: true });
  const generated = generateFlags({ count });
  for (const environment of ENVIRONMENTS) writeGeneratedFlags(path.join(repo, FLAGS_ROOT, environment), generated);
  editStack(repo, "prod", { memoryLimit: `${LIMIT_MI}Mi`, memoryRequest: "64Mi" });
  editStack(repo, "dev", { memoryLimit: "64Gi" });
  return repo;
}

const lineOf = (file: string, key: string) => fs.readFileSync(file, "utf8").split("\n").findIndex((l) => l.startsWith(`  ${PROJECT}:${key}:`)) + 1;

describe("flags lint: each stack's memoryLimit against its environment's flags", () => {
  it("chooses counts on both sides of the thresholds", () => {
    expect(flagsAt(0.9)).toBeGreaterThan(12);
    expect(predictMiB(MODEL, 12) / LIMIT_MI).toBeLessThan(WARNING_SHARE);
  });

  it("is silent at a small count", () => {
    const result = runCli(["lint"], { cwd: repositoryWith(12), today: TODAY });
    expect(result.stdout).toHaveLength(1);
    expect(result.stdout[0]).toMatch(/^No problems: dev: 12 flags .*; prod: 12 flags [^;]*$/);
    expect(result.code).toBe(0);
  });

  it("warns between 80 % and 100 % of the limit, naming the stack, the environment, the count, the prediction and the fix, and exits 0", () => {
    const count = flagsAt(0.9);
    const repo = repositoryWith(count);
    const result = runCli(["lint"], { cwd: repo, today: TODAY });
    const predicted = predictMiB(MODEL, count);
    expect(result.stdout).toHaveLength(2);
    const [warning, summary] = result.stdout;
    expect(warning).toContain(`Pulumi.prod.yaml:${lineOf(path.join(repo, "Pulumi.prod.yaml"), "memoryLimit")}: warning: stack prod serves flags/prod with memoryLimit ${LIMIT_MI}Mi:`);
    expect(warning).toContain(`${count.toLocaleString("en-US")} flags in flags/prod predict ${predicted.toFixed(0)} MiB after 21 syncs, ${((predicted / LIMIT_MI) * 100).toFixed(0)} % of the limit (warning above 80 %)`);
    expect(warning).toContain(`least squares over bench/results.json scale rows at ${MODEL.rows.map((r) => r.flags.toLocaleString("en-US")).join(", ")} flags`);
    expect(warning).toMatch(/raise memoryLimit in Pulumi\.prod\.yaml to at least \d+Mi \(and memoryRequest, now 64Mi, to at least \d+Mi\)/);
    expect(warning).toContain("follow gitRef: flags-mirror");
    expect(summary).toMatch(/^No problems: .*; 1 warning \(above\)$/);
    expect(result.code).toBe(0);
  });

  it("errs at the limit and exits 1, with a limit that keeps the prediction within 80 %", () => {
    const count = flagsAt(1.1);
    const result = runCli(["lint"], { cwd: repositoryWith(count), today: TODAY });
    expect(result.stdout).toHaveLength(2);
    const [error, summary] = result.stdout;
    expect(error).toMatch(/^Pulumi\.prod\.yaml:\d+: stack prod serves flags\/prod with memoryLimit \d+Mi: .* \(error at 100 %\)/);
    const suggested = Number(/to at least (\d+)Mi/.exec(error)![1]);
    expect(predictMiB(MODEL, count) / suggested).toBeLessThanOrEqual(WARNING_SHARE);
    expect(summary).toMatch(/^1 problem; /);
    expect(result.code).toBe(1);
  });

  it("judges a --dir outside the repository by the stacks of the repository lint runs in", () => {
    const repo = repositoryWith(flagsAt(1.1));
    const elsewhere = path.join(tempDir(), "copy", FLAGS_ROOT);
    fs.cpSync(path.join(repo, FLAGS_ROOT), elsewhere, { recursive: true });
    const result = runCli(["lint", "--dir", elsewhere], { cwd: repo, today: TODAY });
    expect(result.stdout[0]).toContain(`${path.join(repo, "Pulumi.prod.yaml")}:`);
    expect(result.stdout[0]).toContain(`flags in ${path.join(elsewhere, "prod")} predict`);
    expect(result.code).toBe(1);
  });

  it("uses Pulumi.yaml's default when the stack file leaves memoryLimit unset, and says so", () => {
    const repo = repositoryWith(flagsAt(1.1));
    editStack(repo, "prod", { memoryLimit: undefined });
    const project = path.join(repo, "Pulumi.yaml");
    const declarations = yaml.load(fs.readFileSync(project, "utf8")) as { config: Record<string, { default?: unknown }> };
    declarations.config.memoryLimit.default = `${LIMIT_MI}Mi`;
    fs.writeFileSync(project, yaml.dump(declarations));
    const result = runCli(["lint"], { cwd: repo, today: TODAY });
    expect(result.stdout[0]).toMatch(new RegExp(`^Pulumi\\.prod\\.yaml:1: stack prod serves flags/prod with memoryLimit ${LIMIT_MI}Mi \\(Pulumi\\.yaml's default\\): `));
    expect(result.code).toBe(1);
  });

  it("offers no mirror to a stack that follows it already", () => {
    const repo = repositoryWith(flagsAt(1.1));
    editStack(repo, "prod", { gitRef: "flags-mirror" });
    const result = runCli(["lint"], { cwd: repo, today: TODAY });
    expect(result.stdout[0]).toContain("raise memoryLimit");
    expect(result.stdout[0]).not.toContain("follow gitRef");
  });

  it("says in one line, and passes, when bench/results.json is missing", () => {
    const repo = repositoryWith(flagsAt(1.1));
    fs.rmSync(path.join(repo, BENCH_RESULTS_FILE));
    const result = runCli(["lint"], { cwd: repo, today: TODAY });
    expect(result.stdout).toEqual([
      "bench/results.json:1: warning: no flag-count memory guard: cannot read (no such file)",
      expect.stringMatching(/^No problems: .*; 1 warning \(above\)$/),
    ]);
    expect(result.code).toBe(0);
  });

  it("is silent on the committed flags/ and stacks (whatever they hold): lint passes", () => {
    const counts = flagCounts(checkFlagsTree(readFlagsTree(readFolder(FLAGS_DIR)), localToday()));
    const guard = memoryGuard(FLAGS_DIR, REPO_ROOT, counts, FLAGS_ROOT);
    expect(guard.kind === "judged" && guard.verdicts.map((v) => `${v.stack.stack}: ${v.severity}`)).toEqual(ENVIRONMENTS.map((e) => `${e}: ok`));
    const result = runCli(["lint"], { today: localToday() });
    expect(result.stdout.filter((line) => line.includes("memoryLimit")), "guard lines").toEqual([]);
    expect(result.code).toBe(0);
  });
});

describe("which stack judges which flags", () => {
  const stacks = readServedStacks(REPO_ROOT);

  it("reads every stack file that serves an environment, with its limit and the line it is set on", () => {
    expect(stacks.map((s) => s.environment).sort()).toEqual([...ENVIRONMENTS].sort());
    for (const stack of stacks) {
      expect(stack.memoryLimitBytes).toBeGreaterThan(0);
      if (!stack.memoryLimitIsDefault) expect(stack.line).toBe(lineOf(stack.file, "memoryLimit"));
    }
  });

  it("judges a folder without environment directories as what every stack serves", () => {
    const verdicts = judgeStacks(stacks, new Map([["", 40]]), MODEL, "some/folder");
    expect(verdicts.map((v) => [v.stack.stack, v.flags, v.counted])).toEqual(stacks.map((s: ServedStack) => [s.stack, 40, "some/folder"]));
  });

  it("judges each environment's stacks by that environment's count", () => {
    const verdicts = judgeStacks(stacks, new Map([["dev", 7], ["prod", 3]]), MODEL, "flags");
    expect(Object.fromEntries(verdicts.map((v) => [v.stack.environment, [v.flags, v.counted]]))).toEqual({ dev: [7, "flags/dev"], prod: [3, "flags/prod"] });
  });
});

describe("flags diff --format markdown: the guard on the head side, in the pull request's comment", () => {
  function committed(repo: string): string {
    const env = { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.invalid", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.invalid" };
    for (const args of [["init", "--quiet", "--initial-branch=main"], ["add", "--all"], ["commit", "--quiet", "-m", "flags"]]) execFileSync("git", args, { cwd: repo, env, stdio: "ignore" });
    return repo;
  }

  it("lists a warning with the stack file", () => {
    const result = runCli(["diff", "--base", "HEAD", "--format", "markdown"], { cwd: committed(repositoryWith(flagsAt(0.9))), today: TODAY });
    const markdown = result.stdout.join("\n");
    expect(markdown).toContain("### Memory after syncs (flag-count guard)");
    expect(markdown).toMatch(/^- \*\*warning\*\* \(`Pulumi\.prod\.yaml`\): stack prod serves flags\/prod with memoryLimit \d+Mi: .*raise memoryLimit/m);
    expect(result.code).toBe(0);
  });

  it("says in one line that every stack is within 80 % when none is past it", () => {
    const markdown = runCli(["diff", "--base", "HEAD", "--format", "markdown"], { cwd: committed(repositoryWith(12)), today: TODAY }).stdout.join("\n");
    expect(markdown).toMatch(/^Every stack stays within 80 % of its memoryLimit: dev 12 flags → \d+ MiB of 64Gi \(\d+ %\); prod 12 flags → /m);
  });
});
