import { afterAll, describe, expect, it } from "vitest";
import { globToRegExp } from "../../scripts/flags/folder";
import { checkFlagFolder } from "../../scripts/flags/lint";
import { folder, INDEX, runCli, tempDir, writeFiles, removeTempDirs } from "./helpers";

afterAll(removeTempDirs);

const TODAY = "2026-11-24";
const META = `    metadata:
      owner: platform-app
      created: "2026-11-01"
      expires: "2027-01-30"`;

/** A valid file: a boolean flag (line 4), a variant flag (line 19), a segment (line 39). */
const VALID = `version: "1.4"
namespace: shop
flags:
  - key: checkout
    name: Checkout
    type: BOOLEAN_FLAG_TYPE
    enabled: false
${META}
    rollouts:
      - segment:
          key: internal
          value: true
      - threshold:
          percentage: 25
          value: true
  - key: colour
    name: Colour
    type: VARIANT_FLAG_TYPE
    enabled: true
    variants:
      - key: red
        default: true
      - key: blue
    rules:
      - segment: internal
        distributions:
          - variant: red
            rollout: 50
          - variant: blue
            rollout: 50
${META}
segments:
  - key: internal
    name: Internal
    match_type: ALL_MATCH_TYPE
    constraints:
      - type: STRING_COMPARISON_TYPE
        property: org
        operator: eq
        value: acme
`;

function lint(files: Record<string, string>, today = TODAY): string[] {
  return checkFlagFolder(folder({ ".flipt.yml": INDEX, ...files }), today).problems.map((p) => `${p.file}:${p.line}: ${p.message}`);
}

/** VALID with one substring replaced; the replacement must change the text. */
function variant(from: string, to: string): string {
  expect(VALID).toContain(from);
  return VALID.replace(from, to);
}

describe("lint", () => {
  it("accepts a valid folder", () => {
    expect(lint({ "shop.features.yml": VALID })).toEqual([]);
  });

  it.each([
    ["YAML syntax", "    name: Checkout\n", "    name: [Checkout\n", "a.features.yml:6: YAML syntax error: missed comma"],
    ["duplicate YAML key", "    name: Checkout\n", "    name: Checkout\n    name: Again\n", "a.features.yml:6: YAML syntax error: duplicated mapping key"],
    ["version", 'version: "1.4"', "version: 2", 'a.features.yml:1: version: expected one of "1.0", "1.1", "1.2", "1.3", "1.4" (quoted), found 2'],
    ["unquoted version", 'version: "1.4"', "version: 1.4", "a.features.yml:1: version: expected one of"],
    ["unknown top-level field", "segments:\n", "owners: []\nsegments:\n", 'a.features.yml:38: document: unknown field "owners"'],
    ["namespace key pattern", "namespace: shop", "namespace: shop floor", 'a.features.yml:2: namespace: expected a key matching ^[-_,A-Za-z0-9]+$, found "shop floor"'],
    ["flag key pattern", "  - key: checkout\n", "  - key: check.out\n", 'a.features.yml:4: flags[0].key: expected a key matching ^[-_,A-Za-z0-9]+$, found "check.out"'],
    ["missing flag key", "  - key: checkout\n    name: Checkout\n", "  - name: Checkout\n", "a.features.yml:4: flags[0].key: expected a key matching ^[-_,A-Za-z0-9]+$, found nothing"],
    ["missing name", "    name: Checkout\n", "", 'a.features.yml:4: flag "checkout": name: expected a non-empty string, found nothing'],
    ["empty name", "    name: Checkout\n", '    name: ""\n', 'a.features.yml:5: flag "checkout": name: expected a non-empty string, found ""'],
    ["flag type", "type: BOOLEAN_FLAG_TYPE", "type: BOOL", 'a.features.yml:6: flag "checkout": type: expected BOOLEAN_FLAG_TYPE or VARIANT_FLAG_TYPE, found "BOOL"'],
    ["enabled not a bool", "    enabled: false\n", "    enabled: no\n", 'a.features.yml:7: flag "checkout": enabled: expected true or false, found "no"'],
    ["unknown flag field", "    enabled: false\n", "    enabled: false\n    colour: red\n", 'a.features.yml:8: flag "checkout": unknown field "colour"'],
    ["threshold above 100", "percentage: 25", "percentage: 150", 'a.features.yml:17: flag "checkout": rollouts[1].threshold.percentage: expected a number from 0 to 100, found 150'],
    ["threshold below 0", "percentage: 25", "percentage: -1", "a.features.yml:17: flag \"checkout\": rollouts[1].threshold.percentage: expected a number from 0 to 100, found -1"],
    ["threshold not a number", "percentage: 25", 'percentage: "25"', 'a.features.yml:17: flag "checkout": rollouts[1].threshold.percentage: expected a number from 0 to 100, found "25"'],
    ["rollout with both kinds", "      - threshold:\n", "      - segment: {key: internal}\n        threshold:\n", 'a.features.yml:16: flag "checkout": rollouts[1]: expected exactly one of segment or threshold'],
    ["unknown rollout segment", "          key: internal\n", "          key: external\n", 'a.features.yml:14: flag "checkout": rollouts[0].segment: namespace "shop" has no segment "external"'],
    ["rollouts on a variant flag", "    enabled: true\n", "    enabled: true\n    rollouts: []\n", 'a.features.yml:23: flag "colour": rollouts: only boolean flags (type: BOOLEAN_FLAG_TYPE) have rollouts'],
    ["unknown rule segment", "      - segment: internal\n", "      - segment: external\n", 'a.features.yml:28: flag "colour": rules[0]: namespace "shop" has no segment "external"'],
    ["unknown rule segment in keys", "      - segment: internal\n", "      - segment: {keys: [internal, external], operator: AND_SEGMENT_OPERATOR}\n", 'a.features.yml:28: flag "colour": rules[0].segment.keys[1]: namespace "shop" has no segment "external"'],
    ["bad segment operator", "      - segment: internal\n", "      - segment: {keys: [internal], operator: XOR}\n", 'a.features.yml:28: flag "colour": rules[0].segment.operator: expected OR_SEGMENT_OPERATOR or AND_SEGMENT_OPERATOR, found "XOR"'],
    ["unknown variant", "          - variant: blue\n", "          - variant: green\n", 'a.features.yml:32: flag "colour": rules[0].distributions[1].variant: the flag has no variant "green"'],
    ["distribution above 100", "            rollout: 50\n          - variant: blue", "            rollout: 101\n          - variant: blue", 'a.features.yml:31: flag "colour": rules[0].distributions[0].rollout: expected a number from 0 to 100, found 101'],
    ["distributions over 100 in sum", "            rollout: 50\n          - variant: blue", "            rollout: 60\n          - variant: blue", 'a.features.yml:29: flag "colour": rules[0]: distributions add up to 110%, more than 100%'],
    ["duplicate variant", "      - key: blue\n", "      - key: red\n", 'a.features.yml:26: flag "colour": variants[1].key: variant "red" is defined twice'],
    ["two default variants", "      - key: blue\n", "      - key: blue\n        default: true\n", 'a.features.yml:27: flag "colour": variants[1]: a flag has at most one default variant'],
    ["variants on a boolean flag", "    enabled: false\n", "    enabled: false\n    variants: [{key: a}]\n", 'a.features.yml:8: flag "checkout": a boolean flag has no variants'],
    ["segment match type", "match_type: ALL_MATCH_TYPE", "match_type: SOME", 'a.features.yml:41: segment "internal": match_type: expected ALL_MATCH_TYPE or ANY_MATCH_TYPE, found "SOME"'],
    ["constraint operator", "operator: eq", "operator: gt", 'a.features.yml:45: segment "internal": constraints[0].operator: expected one of eq, neq, empty'],
    ["constraint type", "type: STRING_COMPARISON_TYPE", "type: COLOUR", 'a.features.yml:43: segment "internal": constraints[0].type: expected one of STRING_COMPARISON_TYPE'],
    ["constraint value not a string", "value: acme", "value: 5", 'a.features.yml:46: segment "internal": constraints[0].value: expected a string, found 5'],
    ["metadata before version 1.3", 'version: "1.4"', 'version: "1.2"', 'a.features.yml:8: flag "checkout": metadata needs version "1.3" or later'],
  ])("reports %s at its line", (_, from, to, expected) => {
    const problems = lint({ "a.features.yml": variant(from, to) });
    expect(problems.some((p) => p.startsWith(expected)), `${expected}\nin\n${problems.join("\n")}`).toBe(true);
  });

  it.each([
    ["metadata missing", `${META}\n    rollouts:`, "    rollouts:", 'a.features.yml:4: flag "checkout": lifecycle metadata missing'],
    ["owner missing", "      owner: platform-app\n      created", "      created", 'a.features.yml:9: flag "checkout": metadata.owner: expected the owning team, found nothing'],
    ["created unquoted", 'created: "2026-11-01"', "created: 2026-11-01", 'a.features.yml:10: flag "checkout": metadata.created: expected a quoted date "YYYY-MM-DD", found an unquoted date'],
    ["created not a date", 'created: "2026-11-01"', 'created: "2026-02-30"', 'a.features.yml:10: flag "checkout": metadata.created: expected a quoted date "YYYY-MM-DD", found "2026-02-30"'],
    ["created after today", 'created: "2026-11-01"', 'created: "2026-12-01"', 'a.features.yml:10: flag "checkout": metadata.created: 2026-12-01 is after today (2026-11-24)'],
    ["neither expires nor permanent", '\n      expires: "2027-01-30"\n    rollouts', "\n    rollouts", 'a.features.yml:8: flag "checkout": metadata: expected expires (the removal date) or permanent: true'],
    ["expires and permanent", 'expires: "2027-01-30"\n    rollouts', 'expires: "2027-01-30"\n      permanent: true\n    rollouts', 'a.features.yml:11: flag "checkout": metadata: a flag is either permanent or expires, not both'],
    ["permanent false", 'expires: "2027-01-30"\n    rollouts', 'permanent: false\n    rollouts', 'a.features.yml:11: flag "checkout": metadata.permanent: expected true'],
    ["expires before created", 'expires: "2027-01-30"\n    rollouts', 'expires: "2026-10-01"\n    rollouts', 'a.features.yml:11: flag "checkout": metadata.expires: 2026-10-01 is before created (2026-11-01)'],
    ["metadata value not a scalar", 'expires: "2027-01-30"\n    rollouts', 'expires: "2027-01-30"\n      tags: [a, b]\n    rollouts', 'a.features.yml:12: flag "checkout": metadata.tags: Flipt metadata values are strings, numbers or booleans, found a list'],
    ["reviewed without note", 'expires: "2027-01-30"\n    rollouts', 'expires: "2027-01-30"\n      reviewed: "2026-11-20"\n    rollouts', 'a.features.yml:12: flag "checkout": metadata.review_note: expected the reason the flag stays'],
    ["legacy_key of another flag", 'expires: "2027-01-30"\n    rollouts', 'expires: "2027-01-30"\n      legacy_key: shop.other\n    rollouts', 'a.features.yml:12: flag "checkout": metadata.legacy_key "shop.other" maps to shop/other, not shop/checkout'],
  ])("reports lifecycle problem: %s", (_, from, to, expected) => {
    const problems = lint({ "a.features.yml": variant(from, to) });
    expect(problems.some((p) => p.startsWith(expected)), `${expected}\nin\n${problems.join("\n")}`).toBe(true);
  });

  it("accepts permanent flags, a review with its note and a matching legacy key", () => {
    const text = variant('expires: "2027-01-30"\n    rollouts', 'permanent: true\n      reviewed: "2026-11-20"\n      review_note: kept\n      legacy_key: shop.checkout\n    rollouts');
    expect(lint({ "a.features.yml": text })).toEqual([]);
  });

  it("reports a flag key used twice in one namespace across files, and allows it in another namespace", () => {
    const other = variant("namespace: shop", "namespace: shop").replace(/segments:[\s\S]*$/, "").replace(/  - key: colour[\s\S]*$/, "");
    const segmentFree = other.replace(/    rollouts:[\s\S]*?value: true\n      - threshold/, "    rollouts:\n      - threshold");
    expect(lint({ "a.features.yml": VALID, "b.features.yml": segmentFree })).toEqual([
      'b.features.yml:4: flag "checkout": key already used in namespace "shop" at a.features.yml:4',
    ]);
    expect(lint({ "a.features.yml": VALID, "b.features.yml": segmentFree.replace("namespace: shop", "namespace: other") })).toEqual([]);
  });

  it("reports a segment defined only in a file Flipt loads later", () => {
    const flagsOnly = VALID.replace(/segments:[\s\S]*$/, "");
    const segmentsOnly = 'version: "1.4"\nnamespace: shop\nsegments:\n  - key: internal\n    name: Internal\n    match_type: ANY_MATCH_TYPE\n';
    expect(lint({ "a.features.yml": segmentsOnly, "b.features.yml": flagsOnly })).toEqual([]);
    expect(lint({ "a.features.yml": flagsOnly, "b.features.yml": segmentsOnly })).toHaveLength(2);
  });

  it("checks only the files the index includes", () => {
    expect(lint({ "shop.features.yml": VALID, "README.md": "# not: [yaml", "notes.yml": "a: [" })).toEqual([]);
  });

  it.each([
    ["an empty include", 'version: "1.0"\ninclude: []\n', ".flipt.yml:2: include: no globs"],
    ["an unknown field", 'version: "1.0"\ninclude: ["*.features.yml"]\nincludes: ["x"]\n', '.flipt.yml:3: unknown field "includes"'],
    ["a wrong version", 'version: "2.0"\ninclude: ["*.features.yml"]\n', '.flipt.yml:1: version: expected "1.0", found "2.0"'],
    ["a glob matching nothing", 'version: "1.0"\ninclude: ["*.flags.yml"]\n', ".flipt.yml:1: the index includes no files"],
    ["a bad glob", 'version: "1.0"\ninclude: ["*.features.yml", "[a"]\n', '.flipt.yml:2: glob "[a": unclosed ['],
    ["broken YAML", "include: [\n", ".flipt.yml:2: YAML syntax error"],
  ])("reports an index with %s", (_, index, expected) => {
    const problems = checkFlagFolder(folder({ ".flipt.yml": index, "shop.features.yml": VALID }), TODAY).problems.map((p) => `${p.file}:${p.line}: ${p.message}`);
    expect(problems.some((p) => p.startsWith(expected)), problems.join("\n")).toBe(true);
  });

  it("refuses an included file Flipt cannot read", () => {
    const problems = checkFlagFolder(folder({ ".flipt.yml": 'include: ["*"]\n', "shop.txt": "x" }), TODAY).problems;
    expect(problems.map((p) => p.file)).toContain("shop.txt");
  });
});

describe("index globs (gobwas/glob without separators)", () => {
  it.each([
    ["*.features.yml", "a.features.yml", true],
    ["*.features.yml", "sub/a.features.yml", true],
    ["*.features.yml", "README.md", false],
    ["**features.yml", "features.yml", true],
    ["{a,b}.yml", "b.yml", true],
    ["{a,b}.yml", "c.yml", false],
    ["[!a]?.yml", "bc.yml", true],
    ["[!a]?.yml", "ac.yml", false],
    ["a\\*.yml", "a*.yml", true],
    ["a\\*.yml", "ab.yml", false],
  ])("%s matches %s: %s", (glob, file, matches) => {
    expect(globToRegExp(glob).test(file)).toBe(matches);
  });
});

describe("lint command", () => {
  it("prints file:line problems and exits 1", () => {
    const dir = tempDir();
    writeFiles(dir, { ".flipt.yml": INDEX, "shop.features.yml": VALID.replace("percentage: 25", "percentage: 150") });
    const result = runCli(["lint", "--dir", dir, "--today", TODAY]);
    expect(result.code).toBe(1);
    expect(result.stdout[0]).toBe(`${dir}/shop.features.yml:17: flag "checkout": rollouts[1].threshold.percentage: expected a number from 0 to 100, found 150`);
  });

  it("exits 0 on a clean folder", () => {
    const dir = tempDir();
    writeFiles(dir, { ".flipt.yml": INDEX, "shop.features.yml": VALID });
    const result = runCli(["lint", "--dir", dir, "--today", TODAY]);
    expect(result).toMatchObject({ code: 0, stdout: ["No problems: 2 flags in 1 file (shop.features.yml)"] });
  });
});
