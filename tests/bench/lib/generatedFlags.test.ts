import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import {
  CONTEXT_SEGMENTS,
  GENERATED_CREATED,
  GENERATED_MIN_LIFETIME_DAYS,
  NAMESPACE_POOL,
  SCALE_FLAG_COUNTS,
  SCALE_SEED,
  changedIntent,
  generateFlags,
  intendedServed,
  memberContext,
  segmentsOf,
  withChangedShare,
  withOneFlagChanged,
  writeGeneratedFlags,
  type EvaluationContext,
  type FlagPurpose,
  type GeneratedFlag,
  type GeneratedFlags,
} from "../../../bench/lib/generatedFlags";
import { addDays } from "../../../scripts/flags/dates";
import { INDEX_FILE } from "../../../scripts/flags/document";
import { readFolder, type FolderFile } from "../../../scripts/flags/folder";
import { checkFlagFolder } from "../../../scripts/flags/lint";
import { findStaleFlags } from "../../../scripts/flags/stale";
import { bucketOf, readEnvironmentState, refOf, serve, type EnvironmentState } from "../../../scripts/flags/state";

const TODAY = addDays(GENERATED_CREATED, 3);
/** Generated once per size: 10,000 flags take about 0.3 s to generate and render, 0.25 s to lint. */
const generatedBySize = new Map<number, GeneratedFlags>(SCALE_FLAG_COUNTS.map((count) => [count, generateFlags({ count })]));
const generated = (count: (typeof SCALE_FLAG_COUNTS)[number]) => generatedBySize.get(count)!;

const folderFiles = (g: GeneratedFlags): FolderFile[] => [...g.files].map(([name, text]) => ({ path: name, text }));

const scratchDirs: string[] = [];
function scratchDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "scale-flags-"));
  scratchDirs.push(dir);
  return dir;
}
afterAll(() => scratchDirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

describe("generateFlags", () => {
  test("the same seed and count give byte-identical files at every size; another seed gives other files", () => {
    for (const count of SCALE_FLAG_COUNTS) {
      expect(generateFlags({ count, seed: SCALE_SEED }).files, `${count} flags`).toEqual(generated(count).files);
    }
    const other = generateFlags({ count: 100, seed: SCALE_SEED + 1 });
    expect(other.seed).toBe(SCALE_SEED + 1);
    expect([...other.files.keys()]).toEqual([...generated(100).files.keys()]);
    expect(other.files.get("platform.features.yml")).not.toBe(generated(100).files.get("platform.features.yml"));
  });

  test.each([
    { count: 12, namespaces: 3 },
    { count: 100, namespaces: 4 },
    { count: 1_000, namespaces: 6 },
    { count: 10_000, namespaces: 8 },
  ] as const)("$count flags go into $namespaces namespaces, one file each plus the index, the first namespace the largest", ({ count, namespaces }) => {
    const g = generated(count);
    expect(g.count).toBe(count);
    expect(g.flags).toHaveLength(count);
    expect(g.namespaces).toEqual(NAMESPACE_POOL.slice(0, namespaces));
    expect([...g.files.keys()].sort()).toEqual([INDEX_FILE, ...g.namespaces.map((ns) => `${ns}.features.yml`)].sort());
    const sizes = g.namespaces.map((ns) => g.flags.filter((f) => f.namespace === ns).length);
    expect(Math.min(...sizes)).toBeGreaterThan(0);
    expect(Math.max(...sizes)).toBe(sizes[0]);
  });

  test.each([
    { count: 12, mix: { "kill switch": 3, "release flag": 4, "percentage rollout": 2, "segment rollout": 2, experiment: 1 } },
    { count: 1_000, mix: { "kill switch": 200, "release flag": 350, "percentage rollout": 200, "segment rollout": 150, experiment: 100 } },
  ])("$count flags have the mix $mix, variant flags exactly for experiments, kill switches permanent", ({ count, mix }) => {
    const flags = generated(count as (typeof SCALE_FLAG_COUNTS)[number]).flags;
    const counted: Partial<Record<FlagPurpose, number>> = {};
    for (const flag of flags) counted[flag.purpose] = (counted[flag.purpose] ?? 0) + 1;
    expect(counted).toEqual(mix);
    expect(flags.filter((f) => f.type === "VARIANT_FLAG_TYPE").every((f) => f.purpose === "experiment")).toBe(true);
    expect(flags.filter((f) => f.expires === undefined).every((f) => f.purpose === "kill switch")).toBe(true);
    expect(flags.filter((f) => f.purpose === "kill switch").every((f) => f.expires === undefined)).toBe(true);
  });

  test("100 flags' variant flags cover 2- and 3-way splits, a hold-out, a default variant, segment and everyone rules, and a disabled one", () => {
    const variants = generated(100).flags.flatMap((f) => (f.intent.kind === "variant" ? [f.intent] : []));
    expect(new Set(variants.map((v) => v.variants.length))).toEqual(new Set([2, 3]));
    expect(variants.some((v) => v.distribution.reduce((sum, d) => sum + d.percent, 0) < 100 && v.defaultVariant !== undefined)).toBe(true);
    expect(variants.some((v) => v.segment === "everyone") && variants.some((v) => v.segment !== "everyone")).toBe(true);
    expect(variants.some((v) => !v.enabled)).toBe(true);
  });
});

describe("the generated folders pass the flags tool's checks", () => {
  test.each(SCALE_FLAG_COUNTS)("%i flags lint clean three days after they were created", (count) => {
    const report = checkFlagFolder(folderFiles(generated(count)), TODAY);
    expect(report.problems).toEqual([]);
    expect(report.flags).toHaveLength(count);
  });

  test("none is stale within the shortest lifetime; after the longest every flag but the kill switches is", () => {
    const g = generated(1_000);
    const report = checkFlagFolder(folderFiles(g), TODAY);
    expect(findStaleFlags(report.flags, addDays(GENERATED_CREATED, GENERATED_MIN_LIFETIME_DAYS))).toEqual([]);
    const later = findStaleFlags(report.flags, addDays(GENERATED_CREATED, 181));
    expect(later).toHaveLength(g.flags.filter((f) => f.expires !== undefined).length);
  });
});

/** Share of rollouts and enabled experiments whose sample must get two answers or more. */
const MIN_SHOWING_TWO_ANSWERS = 0.75;

/** Sample subjects: entity ids, each outside every segment, in each context segment, and a blank one. */
const SAMPLE_CONTEXTS: readonly EvaluationContext[] = [{}, ...CONTEXT_SEGMENTS.map(memberContext)];
const sampleSubjects = (ids: number) => [
  ...Array.from({ length: ids }, (_, i) => `org-${i + 1}`).flatMap((entityId) => SAMPLE_CONTEXTS.map((context) => ({ entityId, context }))),
  { entityId: "", context: {} },
];

interface ServeComparison {
  readonly unexplained: string[];
  /** Per flag, the distinct values the sample got. */
  readonly served: Map<GeneratedFlag, Set<string>>;
}

/** serve() on the definitions read back from the written files, against the generator's intent. */
function compareServe(state: EnvironmentState, flags: readonly GeneratedFlag[], ids: number): ServeComparison {
  const unexplained: string[] = [];
  const served = new Map<GeneratedFlag, Set<string>>();
  for (const flag of flags) {
    const definition = state.flags.get(refOf(flag.namespace, flag.key))!.flag;
    const values = new Set<string>();
    for (const { entityId, context } of sampleSubjects(ids)) {
      const byTool = serve(definition, { segments: segmentsOf(entityId, context), bucket: bucketOf(definition, flag.key, entityId) });
      const intended = intendedServed(flag, entityId, context);
      values.add(intended);
      if (byTool !== intended) unexplained.push(`${flag.namespace}/${flag.key} for ${JSON.stringify(entityId)} ${JSON.stringify(context)}: serve ${byTool}, intended ${intended}`);
    }
    served.set(flag, values);
  }
  return { unexplained, served };
}

describe("the flags tool's evaluator serves what the generator intended", () => {
  // 10,000 flags: every 10th flag (1,000 of them); the whole folder is still written and read back.
  test.each([
    { count: 12, ids: 40, every: 1 },
    { count: 100, ids: 40, every: 1 },
    { count: 1_000, ids: 10, every: 1 },
    { count: 10_000, ids: 10, every: 10 },
  ] as const)("$count flags, read back from the written files: serve() agrees with the intent for $ids entity ids × 4 contexts and a blank subject", ({ count, ids, every }) => {
    const dir = scratchDir();
    writeGeneratedFlags(dir, generated(count));
    const state = readEnvironmentState(readFolder(dir));
    expect(state.flags.size).toBe(count);
    const flags = generated(count).flags.filter((_, i) => i % every === 0);
    const { unexplained, served } = compareServe(state, flags, ids);
    expect(unexplained.slice(0, 10)).toEqual([]);
    // Agreement means something only if the sample reaches both sides of the rollouts and several
    // variants; a 1 % rollout needs more ids than 10, so most flags, not all, must show two answers.
    const split = flags.filter((f) => f.intent.kind !== "plain" && (f.intent.kind !== "variant" || f.intent.enabled));
    const shown = split.filter((f) => served.get(f)!.size >= 2).length;
    expect(shown / split.length).toBeGreaterThanOrEqual(MIN_SHOWING_TWO_ANSWERS);
  });

  test("hold-out subjects of a flag with a default variant get the default variant, as Flipt v1.61.1 serves them", () => {
    const dir = scratchDir();
    writeGeneratedFlags(dir, generated(100));
    const state = readEnvironmentState(readFolder(dir));
    const holdOutsWithDefault = generated(100).flags.filter(
      (f) => f.intent.kind === "variant" && f.intent.enabled && f.intent.defaultVariant !== undefined && f.intent.distribution.reduce((s, d) => s + d.percent, 0) < 100,
    );
    expect(holdOutsWithDefault.length).toBeGreaterThan(0);
    const { unexplained, served } = compareServe(state, holdOutsWithDefault, 40);
    expect(unexplained).toEqual([]);
    for (const flag of holdOutsWithDefault) expect([...served.get(flag)!].some((v) => v.endsWith(" (default variant)"))).toBe(true);
  });
});

describe("changed copies", () => {
  const base = generated(1_000);
  const changedKeys = (g: GeneratedFlags) => g.flags.filter((f, i) => f.intent !== base.flags[i].intent).map((f) => f.key);

  test("withChangedShare(0.01) changes exactly 10 of 1,000 flags, chosen by seed, only their files, and still lints clean", () => {
    const changed = withChangedShare(base, 0.01);
    expect(changedKeys(changed)).toHaveLength(10);
    expect(changedKeys(withChangedShare(base, 0.01))).toEqual(changedKeys(changed));
    expect(changedKeys(withChangedShare(base, 0.01, 99))).not.toEqual(changedKeys(changed));
    changed.flags.forEach((flag, i) => {
      if (flag.intent !== base.flags[i].intent) expect(flag.intent).toEqual(changedIntent(base.flags[i].intent));
    });
    const touchedFiles = new Set(changed.flags.filter((f, i) => f.intent !== base.flags[i].intent).map((f) => f.file));
    const differingFiles = [...changed.files.keys()].filter((name) => changed.files.get(name) !== base.files.get(name));
    expect(new Set(differingFiles)).toEqual(touchedFiles);
    expect(checkFlagFolder(folderFiles(changed), TODAY).problems).toEqual([]);
  });

  test("withChangedShare changes at least one flag, even at share 0", () => {
    expect(changedKeys(withChangedShare(base, 0))).toHaveLength(1);
    expect(() => withChangedShare(base, 1.5)).toThrow(RangeError);
  });

  test.each([
    { intent: { kind: "plain", enabled: false }, changed: { kind: "plain", enabled: true } },
    { intent: { kind: "threshold", enabled: false, percent: 25, value: true, blankSubjectFirst: false }, changed: { kind: "threshold", enabled: false, percent: 35, value: true, blankSubjectFirst: false } },
    { intent: { kind: "threshold", enabled: false, percent: 90, value: true, blankSubjectFirst: true }, changed: { kind: "threshold", enabled: false, percent: 80, value: true, blankSubjectFirst: true } },
    { intent: { kind: "segment", enabled: false, segment: "eu-regions", value: true }, changed: { kind: "segment", enabled: true, segment: "eu-regions", value: true } },
    {
      intent: { kind: "variant", enabled: true, variants: ["control", "treatment"], segment: "everyone", distribution: [{ variant: "control", percent: 90 }, { variant: "treatment", percent: 10 }] },
      changed: { kind: "variant", enabled: true, variants: ["control", "treatment"], segment: "everyone", distribution: [{ variant: "control", percent: 85 }, { variant: "treatment", percent: 15 }] },
    },
  ] as const)("changedIntent($intent.kind) moves what subjects get", ({ intent, changed }) => {
    expect(changedIntent(intent)).toEqual(changed);
  });

  test("withOneFlagChanged changes exactly that flag and returns its file", () => {
    const g = generated(100);
    const index = 42;
    const { generated: changed, file, flag } = withOneFlagChanged(g, index);
    expect(flag).toBe(changed.flags[index]);
    expect(flag.key).toBe(g.flags[index].key);
    expect(flag.intent).toEqual(changedIntent(g.flags[index].intent));
    expect(changed.flags.filter((f, i) => f !== g.flags[i])).toEqual([flag]);
    expect([...changed.files.keys()].filter((name) => changed.files.get(name) !== g.files.get(name))).toEqual([file]);
    expect(file).toBe(flag.file);
    expect(() => withOneFlagChanged(g, 100)).toThrow(RangeError);
  });
});

describe("writeGeneratedFlags", () => {
  test("replaces the flag files of an earlier write and keeps files that are not flag files", () => {
    const dir = scratchDir();
    writeGeneratedFlags(dir, generated(100));
    fs.writeFileSync(path.join(dir, "README.md"), "kept\n");
    writeGeneratedFlags(dir, generated(12));
    const files = readFolder(dir);
    expect(files.filter((f) => f.path !== "README.md")).toEqual(folderFiles(generated(12)).sort((a, b) => (a.path < b.path ? -1 : 1)));
    expect(files.map((f) => f.path)).toContain("README.md");
  });
});
