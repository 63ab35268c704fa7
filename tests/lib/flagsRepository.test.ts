import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { environmentDirectory, ENVIRONMENTS, FLAGS_ROOT } from "../../scripts/flags/environments";
import { FlagsRepository, gitEnv } from "../../scripts/lib/flagsRepository";
import { isFlagsRoot, repositoryFlagsDir, REPOSITORY_FLAGS_ROOT } from "../../scripts/lib/localFlipt";
import { readStack } from "../../settings/stackFiles";

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "flags-repository-test-"));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

const servedFiles = (repository: FlagsRepository, directory: string) =>
  execFileSync("git", ["ls-tree", "-r", "--name-only", "main", "--", `${directory}/`], { cwd: repository.barePath, env: gitEnv(), encoding: "utf8" })
    .split("\n")
    .filter((line) => line !== "");

describe("the served repository of the local harness", () => {
  test("this repository's flags/ is a flags root; one environment's directory is not", () => {
    expect(isFlagsRoot(REPOSITORY_FLAGS_ROOT)).toBe(true);
    expect(isFlagsRoot(repositoryFlagsDir("dev"))).toBe(false);
  });

  test("one repository holds every environment where each stack's gitDirectory points", () => {
    const settings = readStack("prod").settings;
    const repository = new FlagsRepository({ gitBin: "git", projectRoot: path.join(scratch, "git"), name: "flags.git", workDir: scratch, ref: "main", directory: settings.git.directory });
    repository.init(REPOSITORY_FLAGS_ROOT, FLAGS_ROOT);
    for (const environment of ENVIRONMENTS) {
      const directory = readStack(environment).settings.git.directory;
      expect(directory).toBe(environmentDirectory(environment));
      expect(servedFiles(repository, directory)).toEqual(fs.readdirSync(repositoryFlagsDir(environment)).sort().map((f) => `${directory}/${f}`));
    }
    expect(repository.flagsPath()).toBe(path.join(repository.workTree, "flags", "prod"));
  });
});
