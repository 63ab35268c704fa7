import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FLAGS_MIRROR_BRANCH, updateFlagsMirror } from "../../scripts/flags/mirror";
import { INDEX, removeTempDirs, runCli, tempDir, writeFiles } from "./helpers";

const IDENTITY = { GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1", GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@localhost", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@localhost" };
const saved: Record<string, string | undefined> = {};
beforeAll(() => {
  for (const [key, value] of Object.entries(IDENTITY)) [saved[key], process.env[key]] = [process.env[key], value];
});
afterAll(() => {
  for (const [key, value] of Object.entries(saved)) value === undefined ? delete process.env[key] : (process.env[key] = value);
  removeTempDirs();
});

const git = (cwd: string, ...args: string[]) => execFileSync("git", args, { cwd, encoding: "utf8" }).trim();

/** A deploy repository: flags beside the program's own files, two commits. */
function repository(): string {
  const dir = tempDir();
  git(dir, "init", "--quiet", "--initial-branch=main");
  writeFiles(dir, { "flags/dev/.flipt.yml": INDEX, "flags/dev/shop.features.yml": "flags: []\n", "index.ts": "// program\n", "deploy/values.yaml": "replicas: 1\n" });
  git(dir, "add", "--all");
  git(dir, "commit", "--quiet", "-m", "first");
  return dir;
}

function commitAll(dir: string, files: Record<string, string>, message: string): void {
  writeFiles(dir, files);
  git(dir, "add", "--all");
  git(dir, "commit", "--quiet", "-m", message);
}

describe("flags mirror", () => {
  it("holds the flags directory only, at the same path, so that a stack switches with gitRef alone", () => {
    const dir = repository();
    const update = updateFlagsMirror(dir, "flags");
    expect(update.appended).toBe(true);
    expect(git(dir, "ls-tree", "-r", "--name-only", FLAGS_MIRROR_BRANCH).split("\n")).toEqual(["flags/dev/.flipt.yml", "flags/dev/shop.features.yml"]);
    expect(git(dir, "rev-parse", `${FLAGS_MIRROR_BRANCH}:flags`)).toBe(git(dir, "rev-parse", "HEAD:flags"));
    expect(git(dir, "status", "--porcelain")).toBe("");
  });

  it("appends one commit per change of the flags and none for commits elsewhere", () => {
    const dir = repository();
    updateFlagsMirror(dir, "flags");
    commitAll(dir, { "deploy/values.yaml": "replicas: 2\n" }, "deploy");
    commitAll(dir, { "index.ts": "// program 2\n" }, "program");
    expect(updateFlagsMirror(dir, "flags").appended).toBe(false);
    commitAll(dir, { "flags/dev/shop.features.yml": "flags: [] # changed\n" }, "a flag");
    const changed = updateFlagsMirror(dir, "flags");
    expect(changed.appended).toBe(true);
    expect(git(dir, "rev-list", "--count", FLAGS_MIRROR_BRANCH)).toBe("2");
    expect(git(dir, "rev-list", "--count", "main")).toBe("4");
    expect(git(dir, "log", "-1", "--format=%B", FLAGS_MIRROR_BRANCH)).toContain(`flags from ${git(dir, "rev-parse", "HEAD")}`);
  });

  it("npm run flags -- mirror says what it appended and how to push it; a missing directory is one line and exit 1", () => {
    const dir = repository();
    const first = runCli(["mirror"], { cwd: dir });
    expect(first.code).toBe(0);
    expect(first.stdout[0]).toMatch(new RegExp(`^${FLAGS_MIRROR_BRANCH}: appended [0-9a-f]{8} with flags/ of [0-9a-f]{8}; push it: git push origin ${FLAGS_MIRROR_BRANCH}$`));
    expect(runCli(["mirror"], { cwd: dir }).stdout[0]).toMatch(/nothing appended$/);
    const missing = runCli(["mirror", "--dir", "nowhere"], { cwd: dir });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toEqual([expect.stringMatching(/^flags mirror: --dir nowhere: HEAD \([0-9a-f]{8}\) has no such directory$/)]);
  });
});
