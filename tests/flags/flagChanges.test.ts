import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { afterAll, describe, expect, it } from "vitest";
import { localToday } from "../../scripts/flags/dates";
import { ENVIRONMENTS, FLAGS_ROOT, LIVE_ENVIRONMENT, type Environment } from "../../scripts/flags/environments";
import { BENCH_RESULTS_FILE } from "../../scripts/flags/memoryModel";
import { REPO_ROOT, removeTempDirs, runCli, tempDir, type CliResult } from "./helpers";

afterAll(removeTempDirs);

/**
 * The everyday flag changes a service team makes, rehearsed in a temporary copy of this
 * repository (its stack files and today's flags/, whatever they hold): each is committed, then put
 * through the preview workflow's flag steps (`flags lint`, `flags diff --base HEAD~1 --format
 * markdown`). A valid change passes and the comment names the flag; an invalid one fails the
 * same steps with one line naming the file.
 */

const TODAY = localToday();
/** What the flag steps read: the stack files (and, for lint's memory guard, the bench's scale rows) and flags/. */
const COPIED = ["Pulumi.yaml", ...ENVIRONMENTS.map((e) => `Pulumi.${e}.yaml`), BENCH_RESULTS_FILE, FLAGS_ROOT];

type Doc = { namespace?: string; flags?: Record<string, unknown>[]; segments?: unknown[] };

function git(cwd: string, ...args: string[]): string {
  const env = { ...process.env, GIT_AUTHOR_NAME: "rehearsal", GIT_AUTHOR_EMAIL: "rehearsal@example.invalid", GIT_COMMITTER_NAME: "rehearsal", GIT_COMMITTER_EMAIL: "rehearsal@example.invalid" };
  return execFileSync("git", args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

/** A Git repository holding this checkout's stack files and flags/, committed once. */
function repositoryCopy(): string {
  const dir = tempDir();
  for (const name of COPIED) fs.cpSync(path.join(REPO_ROOT, name), path.join(dir, name), { recursive: true });
  git(dir, "init", "--quiet", "--initial-branch=main");
  commit(dir, "today's flags");
  return dir;
}

function commit(dir: string, message: string): void {
  git(dir, "add", "--all");
  git(dir, "commit", "--quiet", "--allow-empty", "-m", message);
}

/** The preview workflow's flag steps on the last commit. */
function previewFlagSteps(dir: string): { lint: CliResult; diff: CliResult } {
  return {
    lint: runCli(["lint"], { cwd: dir, today: TODAY }),
    diff: runCli(["diff", "--base", "HEAD~1", "--format", "markdown"], { cwd: dir, today: TODAY }),
  };
}

function flagFiles(dir: string, environment: Environment): string[] {
  const envDir = path.join(dir, FLAGS_ROOT, environment);
  return fs.readdirSync(envDir).filter((name) => name.endsWith(".features.yml")).sort().map((name) => path.join(envDir, name));
}

/** Edits the first flag (in file order) of `environment` that `pick` accepts; returns its namespace/key and file. */
function editFlag(dir: string, environment: Environment, pick: (flag: Record<string, unknown>) => boolean, edit: (doc: Doc, index: number) => void): { ref: string; file: string } {
  for (const file of flagFiles(dir, environment)) {
    const docs = yaml.loadAll(fs.readFileSync(file, "utf8")) as Doc[];
    for (const doc of docs) {
      const index = (doc.flags ?? []).findIndex(pick);
      if (index < 0) continue;
      const ref = `${doc.namespace ?? "default"}/${doc.flags![index].key as string}`;
      edit(doc, index);
      fs.writeFileSync(file, docs.map((d) => yaml.dump(d, { lineWidth: -1, noRefs: true })).join("---\n"));
      return { ref, file: path.relative(dir, file) };
    }
  }
  throw new Error(`no flag in ${environment} to rehearse with`);
}

const isBooleanFlag = (flag: Record<string, unknown>) => flag.type === undefined || flag.type === "BOOLEAN_FLAG_TYPE";

function expectPasses(dir: string, ref: string, environments: readonly Environment[]): string {
  const { lint, diff } = previewFlagSteps(dir);
  expect(lint.stdout.join("\n"), "flags lint").toMatch(/^No problems: /);
  expect(lint.code).toBe(0);
  expect(diff.stderr).toEqual([]);
  expect(diff.code).toBe(0);
  const comment = diff.stdout.join("\n");
  for (const environment of environments) {
    const section = comment.split(/^### /m).find((s) => s.startsWith(environment));
    expect(section, `the comment's ${environment} section`).toContain(`\`${ref}\``);
  }
  return comment;
}

describe("everyday flag changes pass the preview workflow's flag steps", () => {
  it("adding a flag to dev with `flags new`: the comment names it under dev", () => {
    const dir = repositoryCopy();
    const added = runCli(["new", "--key", "rehearsal-checkout", "--owner", "team-rehearsal", "--description", "A flag added in the rehearsal.", "--namespace", "rehearsal"], { cwd: dir, today: TODAY });
    expect(added.code).toBe(0);
    commit(dir, "add rehearsal/rehearsal-checkout");
    expect(expectPasses(dir, "rehearsal/rehearsal-checkout", ["dev"])).toContain("added");
  });

  it("changing a rollout in dev: 25 % of subjects get it", () => {
    const dir = repositoryCopy();
    const { ref } = editFlag(dir, "dev", isBooleanFlag, (doc, i) => {
      doc.flags![i].rollouts = [{ threshold: { percentage: 25, value: !doc.flags![i].enabled } }];
    });
    commit(dir, `roll out ${ref} to 25 %`);
    expect(expectPasses(dir, ref, ["dev"])).toContain("changed");
  });

  it("promoting a new flag from dev to prod with `flags promote`: the comment names it under prod, live on merge", () => {
    const dir = repositoryCopy();
    runCli(["new", "--key", "rehearsal-promoted", "--owner", "team-rehearsal", "--description", "Promoted in the rehearsal.", "--namespace", "rehearsal"], { cwd: dir, today: TODAY });
    commit(dir, "add in dev");
    const promoted = runCli(["promote", "--from", "dev", "--to", "prod", "--flag", "rehearsal/rehearsal-promoted"], { cwd: dir, today: TODAY });
    expect(promoted.stderr).toEqual([]);
    expect(promoted.code).toBe(0);
    commit(dir, "promote to prod");
    expect(expectPasses(dir, "rehearsal/rehearsal-promoted", [LIVE_ENVIRONMENT])).toContain("goes live on merge");
  });

  it("turning a prod flag off (a kill switch): the comment names it under prod", () => {
    const dir = repositoryCopy();
    const { ref } = editFlag(dir, LIVE_ENVIRONMENT, (flag) => isBooleanFlag(flag) && flag.enabled === true && flag.rollouts === undefined, (doc, i) => {
      doc.flags![i].enabled = false;
    });
    commit(dir, `turn ${ref} off`);
    expectPasses(dir, ref, [LIVE_ENVIRONMENT]);
  });

  it("removing a flag from every environment: the comment names it as removed in each", () => {
    const dir = repositoryCopy();
    const { ref } = editFlag(dir, LIVE_ENVIRONMENT, () => true, (doc, i) => doc.flags!.splice(i, 1));
    const [namespace, key] = ref.split("/");
    editFlag(dir, "dev", (flag) => flag.key === key, (doc, i) => {
      if ((doc.namespace ?? "default") === namespace) doc.flags!.splice(i, 1);
    });
    commit(dir, `remove ${ref}`);
    expect(expectPasses(dir, ref, ENVIRONMENTS)).toContain("removed");
  });
});

describe("invalid flag changes fail the same steps with one line naming the file", () => {
  function expectRefused(dir: string, file: string, problem: RegExp): void {
    const { lint, diff } = previewFlagSteps(dir);
    expect(lint.code).toBe(1);
    const lines = lint.stdout.filter((line) => line.startsWith(`${file}:`));
    expect(lines, lint.stdout.join("\n")).toHaveLength(1);
    expect(lines[0]).toMatch(problem);
    expect(diff.code).toBe(1);
    expect(diff.stdout.join("\n")).toContain("cannot be compared");
    expect(diff.stdout.join("\n")).not.toContain("removed");
    expect(diff.stderr).toEqual([expect.stringMatching(new RegExp(`^flags diff: ${file.replace(/[.]/g, "\\.")}:\\d+`))]);
  }

  it("a rollout naming a segment that does not exist", () => {
    const dir = repositoryCopy();
    const { file } = editFlag(dir, "dev", isBooleanFlag, (doc, i) => {
      doc.flags![i].rollouts = [{ segment: { key: "no-such-segment", value: true } }];
    });
    commit(dir, "a rollout on a missing segment");
    expectRefused(dir, file, /has no segment "no-such-segment"/);
  });

  it("a flag key used twice in a namespace", () => {
    const dir = repositoryCopy();
    const { file } = editFlag(dir, "dev", () => true, (doc, i) => {
      doc.flags!.push({ ...doc.flags![i], description: "a second definition" });
    });
    commit(dir, "a duplicate key");
    expectRefused(dir, file, /key already used/);
  });

  it("a YAML syntax error: every command that reads the flags refuses with `file:line:col: YAML syntax error`, and changes nothing", () => {
    const dir = repositoryCopy();
    const file = path.relative(dir, flagFiles(dir, LIVE_ENVIRONMENT)[0]);
    fs.appendFileSync(path.join(dir, file), "  - key: [unclosed\n");
    commit(dir, "a typo");
    expectRefused(dir, file, /^[^:]+:\d+:\d+: YAML syntax error: /);
    for (const args of [["promote", "--from", "dev", "--to", "prod"], ["new", "--key", "x", "--owner", "o", "--description", "d", "--env", "prod"], ["stale"]]) {
      const result = runCli(args, { cwd: dir, today: TODAY });
      expect(result.code, args[0]).toBe(1);
      expect(result.stderr, args[0]).toEqual([expect.stringMatching(new RegExp(`^flags ${args[0]}: ${file.replace(/[.]/g, "\\.")}:\\d+:\\d+: YAML syntax error: `))]);
    }
    expect(git(dir, "status", "--porcelain"), "no file changed").toBe("");
  });

  it("a stack file serving a directory that does not exist", () => {
    const dir = repositoryCopy();
    const stackFile = path.join(dir, `Pulumi.${LIVE_ENVIRONMENT}.yaml`);
    fs.writeFileSync(stackFile, fs.readFileSync(stackFile, "utf8").replace(/(gitDirectory: ).*/, "$1flags/staging"));
    commit(dir, "a stack serving a missing directory");
    const { lint } = previewFlagSteps(dir);
    expect(lint.code).toBe(1);
    expect(lint.stdout[0]).toMatch(new RegExp(`^Pulumi\\.${LIVE_ENVIRONMENT}\\.yaml:\\d+: stack ${LIVE_ENVIRONMENT} serves flags/staging, which does not exist`));
  });
});
