import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readFolder } from "../../scripts/flags/folder";
import { checkFlagFolder } from "../../scripts/flags/lint";
import { fliptKeyFor } from "../../scripts/flags/mapping";
import { FLAGS_DIR, listFiles, MIGRATION_DAY, REAL_SNAPSHOT, runCli, tempDir, removeTempDirs } from "./helpers";

afterAll(removeTempDirs);

/**
 * The committed flags/ is the migration of the real snapshot. When flags are later added,
 * changed or removed by hand, these tests pin what the migration wrote and must be revisited.
 */
describe("committed flags/", () => {
  const realKeys = (JSON.parse(fs.readFileSync(REAL_SNAPSHOT, "utf8")).flags as { key: string }[]).map((f) => f.key.trim());

  it("is what migrating the real snapshot on the migration day writes", () => {
    const out = path.join(tempDir(), "migrated");
    const result = runCli(["migrate", "--from", REAL_SNAPSHOT, "--out", out, "--today", MIGRATION_DAY]);
    expect(result.code).toBe(0);
    const written = listFiles(out);
    const committed = listFiles(FLAGS_DIR).filter((name) => name !== "README.md");
    expect(committed).toEqual(written);
    for (const name of written) {
      expect(fs.readFileSync(path.join(FLAGS_DIR, name), "utf8"), name).toBe(fs.readFileSync(path.join(out, name), "utf8"));
    }
    expect(result.stdout.join("\n")).toContain("No partial rollouts");
  });

  it("passes lint on the day it was migrated", () => {
    const result = runCli(["lint", "--dir", FLAGS_DIR, "--today", MIGRATION_DAY]);
    expect(result.stdout).toEqual(["No problems: 12 flags in 3 files (llm_gateway.features.yml, maestro.features.yml, platform.features.yml)"]);
    expect(result.code).toBe(0);
  });

  it("has an index that includes exactly the flag files, not the README", () => {
    const report = checkFlagFolder(readFolder(FLAGS_DIR), MIGRATION_DAY);
    expect(report.files).toEqual(listFiles(FLAGS_DIR).filter((name) => name.endsWith(".features.yml")));
    expect(report.files).not.toContain("README.md");
  });

  it("serves every real flag under the key fliptKeyFor gives, with its legacy key", () => {
    const report = checkFlagFolder(readFolder(FLAGS_DIR), MIGRATION_DAY);
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
});
