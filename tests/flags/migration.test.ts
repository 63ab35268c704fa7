import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ENVIRONMENTS } from "../../scripts/flags/environments";
import { readFolder } from "../../scripts/flags/folder";
import { fliptKeyFor } from "../../scripts/flags/mapping";
import { envDir, FLAGS_DIR, fileStoreServes, fliptEvaluator, listFiles, MIGRATION_DAY, RECORDED_SNAPSHOT, removeTempDirs, runCli, tempDir, type SnapshotEntry } from "./helpers";

afterAll(removeTempDirs);

/**
 * The migration of the recorded file-store snapshot (file-store-migration/), run anew in a
 * temporary folder: it must serve what the file store served. flags/ itself has moved on since and
 * is checked as any flag pull request is (committed.test.ts).
 */
describe("migrating the recorded file-store snapshot", () => {
  const entries = (JSON.parse(fs.readFileSync(RECORDED_SNAPSHOT, "utf8")) as { flags: SnapshotEntry[] }).flags;
  const legacyKeys = [...new Set(entries.map((e) => e.key.trim()).filter((k) => k !== ""))];
  // A partial rollout keeps its share, not each subject (Flipt hashes differently): migrate.test.ts checks those.
  const isPartial = (legacyKey: string) => {
    const entry = [...entries].reverse().find((e) => e.key.trim() === legacyKey)!;
    return entry.enabled === true && (entry.rollout_percent ?? 0) > 0 && (entry.rollout_percent ?? 0) < 100;
  };
  const out = path.join(tempDir(), "migrated");
  const result = runCli(["migrate", "--from", RECORDED_SNAPSHOT, "--out", out, "--today", MIGRATION_DAY]);
  const subjects = ["", " ", ...Array.from({ length: 200 }, (_, i) => `org-${i}`)];

  it("writes every environment, identical, and lints clean on the migration day", () => {
    expect(result.code).toBe(0);
    expect(listFiles(out)).toEqual([...ENVIRONMENTS]);
    const [first, ...others] = ENVIRONMENTS.map((env) => readFolder(envDir(env, out)));
    for (const folder of others) expect(folder).toEqual(first);
    expect(runCli(["lint", "--dir", out, "--today", MIGRATION_DAY]).code).toBe(0);
  });

  it.each([...ENVIRONMENTS])("%s serves every recorded flag, for every subject (blank ones too), as the file store did", (environment) => {
    const serves = fliptEvaluator(readFolder(envDir(environment, out)));
    const differences: string[] = [];
    for (const legacyKey of legacyKeys) {
      const { namespace, key } = fliptKeyFor(legacyKey);
      for (const subject of isPartial(legacyKey) ? subjects.slice(0, 2) : subjects) {
        const [before, after] = [fileStoreServes(entries, legacyKey, subject), serves(namespace, key, subject) ?? false];
        if (before !== after) differences.push(`${legacyKey} for ${JSON.stringify(subject)}: file store ${before}, Flipt ${after}`);
      }
    }
    expect(differences).toEqual([]);
    expect(serves("platform", "no_such_flag", "org-1"), "an unknown flag is unknown (the caller's default), as it was off").toBeUndefined();
  });

  it("keeps each flag's legacy key, owners and description, and says whether any subject changes bucket", () => {
    const served = fs.readFileSync(path.join(envDir(ENVIRONMENTS[0], out), "platform.features.yml"), "utf8");
    for (const entry of entries.filter((e) => fliptKeyFor(e.key).namespace === "platform")) {
      expect(served).toContain(`legacy_key: ${entry.key.trim()}`);
      if (entry.description) expect(served).toContain(entry.description);
    }
    const partial = legacyKeys.some(isPartial);
    expect(result.stdout.join("\n")).toContain(partial ? "change state" : "No partial rollouts");
  });

  it("is documented in flags/README.md: the table maps every recorded key as fliptKeyFor does", () => {
    const readme = fs.readFileSync(path.join(FLAGS_DIR, "README.md"), "utf8");
    const rows = [...readme.matchAll(/^\| `([^`]+)` \| `([^`]+)` \| `([^`]+)` \|$/gm)].map((m) => m.slice(1, 4));
    expect(rows.map(([legacy]) => legacy).sort()).toEqual([...legacyKeys].sort());
    for (const [legacy, namespace, key] of rows) expect(fliptKeyFor(legacy)).toEqual({ namespace, key });
  });
});
