import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import * as yaml from "js-yaml";
import { localToday } from "../../scripts/flags/dates";
import { environmentDirectory, ENVIRONMENTS } from "../../scripts/flags/environments";
import { REPO_ROOT, runCli } from "./helpers";

/**
 * The committed flags/ is checked the way any flag pull request is, and nothing more: it changes
 * every day, so no test here knows which flags it holds. `flags lint` is the whole check (each
 * environment as Flipt loads it, the rules across environments, every stack serving an existing
 * directory, the index including exactly the flag files, legacy keys where they map); the
 * migration it started from is tested on its own record (migration.test.ts).
 */
describe("committed flags/", () => {
  it("passes `npm run flags -- lint` today, as the preview workflow runs it on every pull request", () => {
    const result = runCli(["lint"], { today: localToday() });
    expect(result.stdout.slice(0, -1), "problems").toEqual([]);
    expect(result.stdout.at(-1)).toMatch(/^No problems: /);
    expect(result.code).toBe(0);
  });

  it("each stack file serves its environment's directory", () => {
    for (const environment of ENVIRONMENTS) {
      const stackFile = yaml.load(fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${environment}.yaml`), "utf8")) as { config: Record<string, unknown> };
      expect(stackFile.config["flipt-deploy:gitDirectory"], environment).toBe(environmentDirectory(environment));
    }
  });
});
