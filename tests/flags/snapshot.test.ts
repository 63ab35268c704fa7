import { describe, expect, it } from "vitest";
import { UserError } from "../../scripts/flags/errors";
import { parseSnapshot } from "../../scripts/flags/snapshot";
import { snapshotJson } from "./helpers";

function problemsOf(text: string): string[] {
  try {
    parseSnapshot(text, "snap.json");
  } catch (error) {
    if (error instanceof UserError) return [...error.problems];
    throw error;
  }
  throw new Error("expected the snapshot to be refused");
}

describe("parseSnapshot", () => {
  it("reads every field, under proto or JSON names, with protojson's number and null forms", () => {
    const text = JSON.stringify({
      schemaVersion: "1",
      flags: [
        { key: "a.b", enabled: true, rolloutPercent: "25", owners: [" team ", ""], description: "d" },
        { key: "c.d", enabled: null, rollout_percent: null, owners: null, description: null },
      ],
    });
    expect(parseSnapshot(text, "snap.json").flags).toEqual([
      { key: "a.b", enabled: true, rolloutPercent: 25, owners: ["team"], description: "d", position: "flags[0]" },
      { key: "c.d", enabled: false, rolloutPercent: 0, owners: [], description: "", position: "flags[1]" },
    ]);
  });

  it("trims keys and skips empty ones with a warning", () => {
    const snapshot = parseSnapshot(snapshotJson([{ key: "  a.b  " }, { key: "   " }, { key: "" }]), "snap.json");
    expect(snapshot.flags.map((f) => f.key)).toEqual(["a.b"]);
    expect(snapshot.warnings).toEqual(["snap.json: flags[1]: empty key, entry skipped", "snap.json: flags[2]: empty key, entry skipped"]);
  });

  it.each([
    ["duplicate keys", snapshotJson([{ key: "a.b" }, { key: "c" }, { key: " a.b" }]), 'snap.json: duplicate key "a.b" at flags[0], flags[2]'],
    ["unknown top-level field", JSON.stringify({ schema_version: 1, flags: [], extra: 1 }), 'snap.json: snapshot: unknown field "extra" (known fields: schema_version, flags)'],
    ["unknown flag field", snapshotJson([{ key: "a", colour: "red" } as never]), 'snap.json: flags[0]: unknown field "colour" (known fields: key, enabled, rollout_percent, owners, description)'],
    ["field under both names", JSON.stringify({ schema_version: 1, schemaVersion: 1, flags: [] }), 'snap.json: snapshot: field "schema_version" is given twice'],
    ["schema_version 2", snapshotJson([], 2), "snap.json: schema_version: expected 1, found 2"],
    ["schema_version missing", JSON.stringify({ flags: [] }), "snap.json: schema_version: expected 1, found 0"],
    ["negative percent", snapshotJson([{ key: "a", rollout_percent: -1 }]), "snap.json: flags[0].rollout_percent: expected an unsigned 32-bit integer, found -1"],
    ["fractional percent", snapshotJson([{ key: "a", rollout_percent: 2.5 }]), "snap.json: flags[0].rollout_percent: expected an unsigned 32-bit integer, found 2.5"],
    ["string bool", snapshotJson([{ key: "a", enabled: "true" as never }]), 'snap.json: flags[0].enabled: expected true or false, found "true"'],
    ["numeric key", snapshotJson([{ key: 5 as never }]), "snap.json: flags[0].key: expected a string, found 5"],
    ["flags not a list", JSON.stringify({ schema_version: 1, flags: {} }), "snap.json: flags: expected a list, found an object"],
    ["entry not an object", JSON.stringify({ schema_version: 1, flags: ["a"] }), 'snap.json: flags[0]: expected an object, found "a"'],
    ["root not an object", "[]", "snap.json: snapshot: expected an object, found a list"],
  ])("refuses %s, naming the offending key or position", (_, text, problem) => {
    expect(problemsOf(text)).toContain(problem);
  });

  it("reports every problem of a snapshot at once", () => {
    const text = JSON.stringify({ schema_version: 3, flags: [{ key: "a", x: 1 }, { key: "a" }] });
    expect(problemsOf(text)).toHaveLength(3);
  });

  it("names the line and column of unparseable JSON", () => {
    const [problem] = problemsOf('{\n  "schema_version": 1,\n  "flags": [\n    {"key": "a",}\n  ]\n}');
    expect(problem).toMatch(/^snap\.json:4:\d+: not valid JSON: /);
  });
});
