import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { crc32, expectedChangeShare, fnv32a, fliptThresholdIn, measuredChangeShare, sampleSubjects } from "../../scripts/flags/bucketing";
import { flagFileName, renderFlagFile, INDEX_FILE, renderIndex } from "../../scripts/flags/document";
import { UserError } from "../../scripts/flags/errors";
import type { FolderFile } from "../../scripts/flags/folder";
import { checkFlagFolder } from "../../scripts/flags/lint";
import { fliptKeyFor } from "../../scripts/flags/mapping";
import { planMigration, servedState, type Migration } from "../../scripts/flags/migrate";
import { parseSnapshot } from "../../scripts/flags/snapshot";
import { fileStoreServes, fliptEvaluator, fliptServes, listFiles, runCli, snapshotJson, tempDir, type SnapshotEntry, removeTempDirs } from "./helpers";

afterAll(removeTempDirs);

const CREATED = "2026-11-24";

function migrate(entries: SnapshotEntry[], defaultOwner?: string): Migration {
  return planMigration(parseSnapshot(snapshotJson(entries), "snap.json"), { created: CREATED, defaultOwner });
}

function filesOf(migration: Migration): FolderFile[] {
  return [
    { path: INDEX_FILE, text: renderIndex() },
    ...migration.documents.map((doc) => ({ path: flagFileName(doc.namespace), text: renderFlagFile(doc) })),
  ];
}

const SUBJECTS = ["org-1", "org-2", "user-42", "", "  ", ...sampleSubjects(400)];

describe("servedState", () => {
  it.each([
    [false, 0, { kind: "off" }],
    [false, 50, { kind: "off" }],
    [false, 100, { kind: "off" }],
    [true, 0, { kind: "on" }],
    [true, 100, { kind: "on" }],
    [true, 250, { kind: "on" }],
    [true, 1, { kind: "partial", percent: 1 }],
    [true, 37, { kind: "partial", percent: 37 }],
    [true, 99, { kind: "partial", percent: 99 }],
  ])("enabled %s at %i percent is %j", (enabled, rolloutPercent, state) => {
    expect(servedState({ enabled, rolloutPercent })).toEqual(state);
  });
});

describe("planMigration serves what the file store served", () => {
  const entries: SnapshotEntry[] = [
    { key: "shop.off", enabled: false, rollout_percent: 0, owners: ["payments"] },
    { key: "shop.off_at_half", enabled: false, rollout_percent: 50, owners: ["payments"] },
    { key: "shop.on_at_zero", enabled: true, rollout_percent: 0, owners: ["payments"] },
    { key: "shop.on_at_hundred", enabled: true, rollout_percent: 100, owners: ["payments"] },
    { key: "shop.on_above_hundred", enabled: true, rollout_percent: 250, owners: ["payments"] },
    { key: "plain", enabled: true, rollout_percent: 100, owners: ["payments"] },
  ];
  const files = filesOf(migrate(entries));

  it.each(entries.map((e) => [e.key]))("%s: same state for every subject, blank ones included", (legacyKey) => {
    const { namespace, key } = fliptKeyFor(legacyKey);
    const serves = fliptEvaluator(files);
    for (const subject of SUBJECTS) {
      expect(serves(namespace, key, subject)).toBe(fileStoreServes(entries, legacyKey, subject));
    }
  });

  it("keeps unknown flags off: Flipt does not know them, so services get their default (false)", () => {
    expect(fileStoreServes(entries, "shop.unknown", "org-1")).toBe(false);
    expect(fliptServes(files, "shop", "unknown", "org-1")).toBeUndefined();
  });

  it.each([1, 10, 37, 50, 99])("a rollout at %i percent is on for about that share, and blank subjects stay on", (percent) => {
    const partial = [{ key: "shop.partial", enabled: true, rollout_percent: percent, owners: ["payments"] }];
    const serves = fliptEvaluator(filesOf(migrate(partial)));
    const subjects = sampleSubjects(4000);
    const on = subjects.filter((s) => serves("shop", "partial", s)).length / subjects.length;
    expect(on).toBeGreaterThan(percent / 100 - 0.03);
    expect(on).toBeLessThan(percent / 100 + 0.03);
    for (const subject of ["", " ", "\t"]) expect(serves("shop", "partial", subject)).toBe(true);
    for (const subject of subjects.slice(0, 200)) {
      expect(serves("shop", "partial", subject)).toBe(fliptThresholdIn("partial", subject, percent));
    }
  });

  it("writes a partial rollout as disabled with a blank-subject rollout then a threshold, and defines the segment", () => {
    const migration = migrate([{ key: "shop.partial", enabled: true, rollout_percent: 30, owners: ["payments"] }]);
    const [doc] = migration.documents;
    expect(doc.flags[0]).toMatchObject({
      enabled: false,
      rollouts: [{ segment: { key: "blank-subject", value: true } }, { threshold: { percentage: 30, value: true } }],
    });
    expect(doc.segments).toEqual([
      expect.objectContaining({
        key: "blank-subject",
        match_type: "ALL_MATCH_TYPE",
        constraints: [{ type: "ENTITY_ID_COMPARISON_TYPE", property: "entityId", operator: "empty" }],
      }),
    ]);
  });

  it("reports, per partial rollout, the share of subjects expected to change state", () => {
    const migration = migrate([
      { key: "shop.partial", enabled: true, rollout_percent: 30, owners: ["payments"] },
      { key: "shop.full", enabled: true, rollout_percent: 100, owners: ["payments"] },
    ]);
    expect(migration.bucketingChanges).toHaveLength(1);
    const [change] = migration.bucketingChanges;
    expect(change).toMatchObject({ legacyKey: "shop.partial", ref: { namespace: "shop", key: "partial" }, percent: 30 });
    expect(change.expectedShare).toBeCloseTo(0.42, 10);
    expect(Math.abs(change.measuredShare - 0.42)).toBeLessThan(0.03);
  });
});

describe("planMigration lifecycle metadata", () => {
  const migration = migrate([
    { key: "platform.kill_switches.gate.control_api", enabled: false, owners: ["platform-app"], description: " Kill switch. " },
    { key: "llm_gateway.model_routing.x", enabled: true, owners: ["platform-app", "ml-infra"] },
    { key: "maestro.y", enabled: true },
  ], "maestro-team");
  const flag = (namespace: string) => migration.documents.find((d) => d.namespace === namespace)!.flags[0];

  it.each([
    ["platform", { owner: "platform-app", created: CREATED, permanent: true, legacy_key: "platform.kill_switches.gate.control_api" }],
    ["llm_gateway", { owner: "platform-app", owners: "platform-app,ml-infra", created: CREATED, expires: "2027-02-22", legacy_key: "llm_gateway.model_routing.x" }],
    ["maestro", { owner: "maestro-team", created: CREATED, expires: "2027-02-22", legacy_key: "maestro.y" }],
  ])("namespace %s gets %j", (namespace, metadata) => {
    expect(flag(namespace).metadata).toEqual(metadata);
  });

  it("keeps the legacy key as the name and the trimmed description", () => {
    expect(flag("platform")).toMatchObject({ name: "platform.kill_switches.gate.control_api", description: "Kill switch.", type: "BOOLEAN_FLAG_TYPE" });
  });

  it("groups flags into one document per namespace, sorted, with flags sorted by key", () => {
    const m = migrate([{ key: "b.z" }, { key: "a.y" }, { key: "b.a" }].map((e) => ({ ...e, owners: ["t"] })));
    expect(m.documents.map((d) => [d.namespace, d.flags.map((f) => f.key)])).toEqual([
      ["a", ["y"]],
      ["b", ["a", "z"]],
    ]);
  });

  it("writes output that passes lint", () => {
    expect(checkFlagFolder(filesOf(migration), CREATED).problems).toEqual([]);
  });
});

describe("planMigration refuses", () => {
  it.each([
    [[{ key: "a.b.c" }, { key: "a.b--c" }], 'keys "a.b.c" and "a.b--c" map to the same Flipt flag a/b--c'],
    [[{ key: "x" }, { key: "default.x" }], 'keys "x" and "default.x" map to the same Flipt flag default/x'],
    [[{ key: "a..b" }], 'flags[0]: legacy key "a..b" has an empty segment'],
    [[{ key: "a.b c" }], 'flags[0]: legacy key "a.b c" has segment "b c"'],
  ])("%j", (entries, message) => {
    const withOwners = entries.map((e) => ({ ...e, owners: ["t"] }));
    expect(() => migrate(withOwners)).toThrow(UserError);
    expect(() => migrate(withOwners)).toThrow(message);
  });

  it("entries without owners unless --default-owner is given", () => {
    expect(() => migrate([{ key: "a.b" }])).toThrow('flags[0]: key "a.b" has no owners; add one or pass --default-owner <team>');
    expect(migrate([{ key: "a.b" }], "team").documents[0].flags[0].metadata.owner).toBe("team");
  });
});

describe("bucketing hashes", () => {
  it.each([
    ["", 0x811c9dc5, 0],
    ["a", 0xe40c292c, 0xe8b7be43],
    ["123456789", 0xbb86b11c, 0xcbf43926],
  ])("fnv32a and crc32 of %j match their reference values", (text, fnv, crc) => {
    expect(fnv32a(text)).toBe(fnv);
    expect(crc32(text)).toBe(crc);
  });

  it.each([
    [0, 0],
    [100, 0],
    [50, 0.5],
    [10, 0.18],
  ])("at %i percent the expected share changing state is %d", (percent, share) => {
    expect(expectedChangeShare(percent)).toBeCloseTo(share, 10);
  });

  it("measures about the expected share on sample subjects", () => {
    expect(Math.abs(measuredChangeShare("shop.x", "x", 50) - 0.5)).toBeLessThan(0.03);
  });
});

describe("migrate command", () => {
  const write = (dir: string, entries: SnapshotEntry[] | string) => {
    const file = path.join(dir, "snap.json");
    fs.writeFileSync(file, typeof entries === "string" ? entries : snapshotJson(entries));
    return file;
  };

  it("writes the index and one file per namespace, and prints old key -> new key", () => {
    const dir = tempDir();
    const from = write(dir, [{ key: "shop.checkout.v2", enabled: true, rollout_percent: 30, owners: ["payments"] }, { key: "  ", owners: ["x"] }]);
    const result = runCli(["migrate", "--from", from, "--out", path.join(dir, "out"), "--today", CREATED]);
    expect(result.code).toBe(0);
    expect(listFiles(path.join(dir, "out"))).toEqual(["dev", "prod"]);
    for (const environment of ["dev", "prod"]) expect(listFiles(path.join(dir, "out", environment))).toEqual([".flipt.yml", "shop.features.yml"]);
    expect(fs.readFileSync(path.join(dir, "out", "prod", "shop.features.yml"), "utf8")).toBe(fs.readFileSync(path.join(dir, "out", "dev", "shop.features.yml"), "utf8"));
    expect(result.stdout.join("\n")).toMatch(/shop\.checkout\.v2\s+shop\s+checkout--v2\s+on for 30% of subjects\s+expires 2027-02-22/);
    expect(result.stdout.join("\n")).toContain("shop.checkout.v2 -> shop/checkout--v2 at 30%: about 42.0% of subjects change state");
    expect(result.stderr).toEqual([`warning: ${from}: flags[1]: empty key, entry skipped`]);
  });

  it.each([
    ["duplicate keys", [{ key: "a.b", owners: ["t"] }, { key: "a.b", owners: ["t"] }], 'duplicate key "a.b"'],
    ["colliding keys", [{ key: "a.b.c", owners: ["t"] }, { key: "a.b--c", owners: ["t"] }], "map to the same Flipt flag a/b--c"],
    ["unknown fields", [{ key: "a.b", owners: ["t"], colour: 1 } as SnapshotEntry], 'unknown field "colour"'],
    ["bad JSON", '{"schema_version": 1, "flags": [', "not valid JSON"],
    ["schema_version 2", JSON.stringify({ schema_version: 2, flags: [] }), "schema_version: expected 1, found 2"],
  ])("on %s exits 1 with the reason and writes nothing", (_, entries, message) => {
    const dir = tempDir();
    const from = write(dir, entries as SnapshotEntry[] | string);
    const out = path.join(dir, "out");
    const result = runCli(["migrate", "--from", from, "--out", out]);
    expect(result.code).toBe(1);
    expect(result.stderr.join("\n")).toContain(message);
    expect(result.stdout).toEqual([]);
    expect(fs.existsSync(out)).toBe(false);
  });
});
