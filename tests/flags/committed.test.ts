import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readFolder } from "../../scripts/flags/folder";
import { checkFlagFolder } from "../../scripts/flags/lint";
import { fliptKeyFor } from "../../scripts/flags/mapping";
import * as yaml from "js-yaml";
import { environmentDirectory, ENVIRONMENTS } from "../../scripts/flags/environments";
import { envDir, FLAGS_DIR, listFiles, MIGRATION_DAY, REAL_SNAPSHOT, REPO_ROOT, runCli, tempDir, removeTempDirs } from "./helpers";

afterAll(removeTempDirs);

/**
 * The committed flags/ is the migration of the real snapshot, identical in every environment. When
 * flags are later added, changed, promoted or removed by hand, these tests pin what the migration
 * wrote and must be revisited.
 */
describe("committed flags/", () => {
  const realKeys = (JSON.parse(fs.readFileSync(REAL_SNAPSHOT, "utf8")).flags as { key: string }[]).map((f) => f.key.trim());

  it("is, in every environment, what migrating the real snapshot on the migration day writes", () => {
    const out = path.join(tempDir(), "migrated");
    const result = runCli(["migrate", "--from", REAL_SNAPSHOT, "--out", out, "--today", MIGRATION_DAY]);
    expect(result.code).toBe(0);
    expect(listFiles(out)).toEqual([...ENVIRONMENTS]);
    expect(listFiles(FLAGS_DIR).filter((name) => name !== "README.md")).toEqual([...ENVIRONMENTS]);
    for (const environment of ENVIRONMENTS) {
      const written = listFiles(envDir(environment, out));
      expect(listFiles(envDir(environment)), environment).toEqual(written);
      for (const name of written) {
        expect(fs.readFileSync(path.join(envDir(environment), name), "utf8"), `${environment}/${name}`).toBe(fs.readFileSync(path.join(envDir(environment, out), name), "utf8"));
      }
    }
    expect(result.stdout.join("\n")).toContain("No partial rollouts");
  });

  it("passes lint, every environment and across them, on the day it was migrated", () => {
    const result = runCli(["lint", "--dir", FLAGS_DIR, "--today", MIGRATION_DAY]);
    const files = "3 files (llm_gateway.features.yml, maestro.features.yml, platform.features.yml)";
    expect(result.stdout).toEqual([`No problems: dev: 12 flags in ${files}; prod: 12 flags in ${files}`]);
    expect(result.code).toBe(0);
  });

  it.each([...ENVIRONMENTS])("%s has an index that includes exactly the flag files", (environment) => {
    const report = checkFlagFolder(readFolder(envDir(environment)), MIGRATION_DAY);
    expect(report.files).toEqual(listFiles(envDir(environment)).filter((name) => name.endsWith(".features.yml")));
  });

  it.each([...ENVIRONMENTS])("%s serves every real flag under the key fliptKeyFor gives, with its legacy key", (environment) => {
    const report = checkFlagFolder(readFolder(envDir(environment)), MIGRATION_DAY);
    const served = report.flags.map((f) => ({ namespace: f.namespace, key: f.key, legacyKey: (f.metadata as Record<string, unknown>).legacy_key }));
    expect(served).toHaveLength(realKeys.length);
    for (const legacyKey of realKeys) expect(served).toContainEqual({ ...fliptKeyFor(legacyKey), legacyKey });
  });

  it("documents the mapping of every real flag in flags/README.md as fliptKeyFor computes it", () => {
    const readme = fs.readFileSync(path.join(FLAGS_DIR, "README.md"), "utf8");
    const rows = [...readme.matchAll(/^\| `([^`]+)` \| `([^`]+)` \| `([^`]+)` \|$/gm)].map((m) => m.slice(1, 4));
    expect(rows.map(([legacy]) => legacy).sort()).toEqual([...realKeys].sort());
    for (const [legacy, namespace, key] of rows) expect(fliptKeyFor(legacy)).toEqual({ namespace, key });
  });

  it("each stack file serves its environment's directory, which exists", () => {
    for (const environment of ENVIRONMENTS) {
      const stackFile = yaml.load(fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${environment}.yaml`), "utf8")) as { config: Record<string, unknown> };
      expect(stackFile.config["flipt-deploy:gitDirectory"], environment).toBe(environmentDirectory(environment));
      expect(fs.existsSync(path.join(REPO_ROOT, environmentDirectory(environment), ".flipt.yml")), environment).toBe(true);
    }
  });
});
