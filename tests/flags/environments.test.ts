import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { fliptBooleanBucket, fliptVariantBucket, sampleSubjects, SAMPLE_SUBJECT_COUNT } from "../../scripts/flags/bucketing";
import { diffEnvironment, diffFlags, findDrift, formatShare } from "../../scripts/flags/diff";
import { readFlagsTree } from "../../scripts/flags/environments";
import { checkFlagsTree } from "../../scripts/flags/environmentsLint";
import { readEnvironmentState } from "../../scripts/flags/state";
import { folder, INDEX } from "./helpers";

/** Table-driven tests of what `flags diff` says a change does to subjects, and of lint across environments. */

const TODAY = "2026-12-01";
const LIFECYCLE = { owner: "payments", created: "2026-11-24", expires: "2027-02-22" };

type Flag = Record<string, unknown>;

function boolean(extra: Flag = {}): Flag {
  return { key: "f", name: "f", type: "BOOLEAN_FLAG_TYPE", enabled: false, metadata: LIFECYCLE, ...extra };
}

function variant(extra: Flag = {}): Flag {
  return {
    key: "v",
    name: "v",
    type: "VARIANT_FLAG_TYPE",
    enabled: true,
    variants: [{ key: "control" }, { key: "treatment" }],
    metadata: LIFECYCLE,
    ...extra,
  };
}

const segment = (key: string, value: string) => ({
  key,
  name: key,
  match_type: "ALL_MATCH_TYPE",
  constraints: [{ type: "STRING_COMPARISON_TYPE", property: "plan", operator: "eq", value }],
});

function files(flags: Flag[], segments: Flag[] = []) {
  const document = { version: "1.4", namespace: "shop", flags, ...(segments.length > 0 ? { segments } : {}) };
  return { ".flipt.yml": INDEX, "shop.features.yml": yaml.dump(document) };
}

const state = (flags: Flag[], segments: Flag[] = []) => readEnvironmentState(folder(files(flags, segments)));

const threshold = (percentage: number, value = true) => ({ threshold: { percentage, value } });
const distributions = (control: number, treatment: number) => [
  { variant: "control", rollout: control },
  { variant: "treatment", rollout: treatment },
];

/** Share of the sample subjects whose boolean bucket falls in [from, to): an independent count for percentage changes. */
function sampledBooleanShare(key: string, from: number, to: number): string {
  const inRange = sampleSubjects().filter((id) => fliptBooleanBucket(key, id) >= from && fliptBooleanBucket(key, id) < to).length;
  return `${formatShare(inRange / SAMPLE_SUBJECT_COUNT)} of 10,000 sample subjects`;
}

function sampledVariantShare(key: string, from: number, to: number): string {
  const inRange = sampleSubjects().filter((id) => fliptVariantBucket(key, id) >= from && fliptVariantBucket(key, id) < to).length;
  return `${formatShare(inRange / SAMPLE_SUBJECT_COUNT)} of 10,000 sample subjects`;
}

describe("flags diff: each kind of change, by its effect on subjects", () => {
  const beta = segment("beta", "beta");
  it.each([
    ["a boolean turned on", [boolean()], [boolean({ enabled: true })], ["everyone: false → true"]],
    ["a boolean turned off", [boolean({ enabled: true })], [boolean()], ["everyone: true → false"]],
    [
      "a percentage raised from 30% to 50%",
      [boolean({ rollouts: [threshold(30)] })],
      [boolean({ rollouts: [threshold(50)] })],
      ["rollouts: [30% → true; otherwise false] → [50% → true; otherwise false]", `everyone: 20% of them change value (true 30% / false 70% → true 50% / false 50%; ${sampledBooleanShare("f", 30, 50)})`],
    ],
    [
      "a percentage lowered from 75% to 10%",
      [boolean({ rollouts: [threshold(75)] })],
      [boolean({ rollouts: [threshold(10)] })],
      ["rollouts: [75% → true; otherwise false] → [10% → true; otherwise false]", `everyone: 65% of them change value (true 75% / false 25% → true 10% / false 90%; ${sampledBooleanShare("f", 10, 75)})`],
    ],
    [
      "a 25% rollout removed",
      [boolean({ rollouts: [threshold(25)] })],
      [boolean()],
      ["rollouts: [25% → true; otherwise false] → [otherwise false]", `everyone: 25% of them change value (true 25% / false 75% → false 100%; ${sampledBooleanShare("f", 0, 25)})`],
    ],
    [
      "the default behind a 30% rollout changed",
      [boolean({ rollouts: [threshold(30)] })],
      [boolean({ enabled: true, rollouts: [threshold(30)] })],
      ["default (no rollout applies): false → true", `everyone: 70% of them change value (true 30% / false 70% → true 100%; ${sampledBooleanShare("f", 30, 100)})`],
    ],
    [
      "a segment rollout added",
      [boolean()],
      [boolean({ rollouts: [{ segment: { key: "beta", value: true } }] })],
      ["rollouts: [otherwise false] → [segment beta → true; otherwise false]", "subjects in segment beta: false → true"],
    ],
    [
      "a segment rollout's value flipped",
      [boolean({ rollouts: [{ segment: { key: "beta", value: true } }] })],
      [boolean({ rollouts: [{ segment: { key: "beta", value: false } }] })],
      ["rollouts: [segment beta → true; otherwise false] → [segment beta → false; otherwise false]", "subjects in segment beta: true → false"],
    ],
    [
      "only the description changed",
      [boolean({ description: "old" })],
      [boolean({ description: "new" })],
      ["no effect on subjects: description changed"],
    ],
    [
      "a variant flag's distribution moved from 50/50 to 20/80",
      [variant({ rules: [{ segment: "beta", distributions: distributions(50, 50) }] })],
      [variant({ rules: [{ segment: "beta", distributions: distributions(20, 80) }] })],
      [
        "rules: [segment beta → control 50% / treatment 50%] → [segment beta → control 20% / treatment 80%]",
        `subjects in segment beta: 30% of them change value (variant control 50% / variant treatment 50% → variant control 20% / variant treatment 80%; ${sampledVariantShare("v", 200, 500)})`,
      ],
    ],
    [
      "a variant flag disabled",
      [variant({ rules: [{ segment: "beta", distributions: distributions(100, 0) }] })],
      [variant({ enabled: false, rules: [{ segment: "beta", distributions: distributions(100, 0) }] })],
      ["enabled → disabled", "subjects in segment beta: variant control → the caller's default"],
    ],
    [
      "a default variant set",
      [variant()],
      [variant({ variants: [{ key: "control", default: true }, { key: "treatment" }] })],
      ["default variant: none → control", "everyone: the caller's default → variant control (default variant)"],
    ],
  ])("%s", (_, before, after, effects) => {
    const diff = diffEnvironment(state(before as Flag[], [beta]), state(after as Flag[], [beta]));
    expect(diff.flags).toEqual([expect.objectContaining({ kind: "changed", file: "shop.features.yml", effects })]);
    expect(diff.segments).toEqual([]);
  });

  it("a flag added says what it serves and its lifecycle", () => {
    const diff = diffEnvironment(state([]), state([boolean({ rollouts: [threshold(10)] })]));
    expect(diff.flags).toEqual([
      { ref: "shop/f", kind: "added", file: "shop.features.yml", effects: ["new flag: [10% → true; otherwise false]", "owner payments, expires 2027-02-22"] },
    ]);
  });

  it("a flag removed says that code still asking for it gets the caller's default", () => {
    const diff = diffEnvironment(state([boolean({ enabled: true })]), state([]));
    expect(diff.flags[0]).toMatchObject({ ref: "shop/f", kind: "removed" });
    expect(diff.flags[0].effects[0]).toBe(
      "removed: code that still evaluates it gets the caller's default (services pass false: flags/README.md) instead of what it served: true for everyone",
    );
  });

  it("a segment's constraint changed is reported on the segment, with its users, and on each flag that uses it", () => {
    const flag = boolean({ rollouts: [{ segment: { key: "beta", value: true } }] });
    const diff = diffEnvironment(state([flag], [segment("beta", "beta")]), state([flag], [segment("beta", "enterprise")]));
    expect(diff.segments).toEqual([
      { ref: "shop/beta", kind: "changed", file: "shop.features.yml", effects: ['matches plan eq "beta" → plan eq "enterprise"'], usedBy: ["shop/f"] },
    ]);
    expect(diff.flags).toEqual([
      expect.objectContaining({ ref: "shop/f", effects: ['segment beta now matches plan eq "enterprise" (before: plan eq "beta")', "no subject's value changes"] }),
    ]);
  });

  it("nothing that changes no definition is reported", () => {
    expect(diffEnvironment(state([boolean()]), state([boolean()]))).toEqual({ flags: [], segments: [] });
  });
});

describe("flags diff: drift between dev and prod", () => {
  it("lists flags only in dev, only in prod, and defined differently, with what promoting dev would change", () => {
    const dev = state([boolean({ key: "a", enabled: true }), boolean({ key: "b" }), boolean({ key: "same" })]);
    const prod = state([boolean({ key: "a" }), boolean({ key: "c" }), boolean({ key: "same" })]);
    const drift = findDrift(new Map([["dev", dev], ["prod", prod]]), "dev", "prod");
    expect(drift).toEqual([
      { ref: "shop/a", environments: ["dev", "prod"], effects: ["differs; promoting dev → prod would change prod:", "everyone: false → true"] },
      { ref: "shop/b", environments: ["dev"], effects: ["only in dev: not promoted to prod yet (false for everyone)"] },
      { ref: "shop/c", environments: ["prod"], effects: ["only in prod: dev lacks it"] },
    ]);
  });
});

describe("flags diff: promoted changes and changes made in prod directly", () => {
  const report = (dev: Flag[], prod: Flag[]) =>
    diffFlags({
      base: "base",
      head: "head",
      baseSingleLayout: false,
      before: new Map([["dev", state([boolean()])], ["prod", state([boolean()])]]),
      after: new Map([["dev", state(dev)], ["prod", state(prod)]]),
    });

  it("a promotion (prod now as dev) is reported in prod, first, without a note and without drift", () => {
    const diff = report([boolean({ enabled: true })], [boolean({ enabled: true })]);
    expect(diff.environments.map((e) => [e.environment, e.live, e.flags.map((f) => f.effects)])).toEqual([
      ["prod", true, [["everyone: false → true"]]],
      ["dev", false, [["everyone: false → true"]]],
    ]);
    expect(diff.drift).toEqual([]);
  });

  it("a kill switch engaged in prod only is marked as edited there directly, and shows as drift", () => {
    const diff = report([boolean()], [boolean({ enabled: true })]);
    expect(diff.environments[0].flags[0].effects[1]).toMatch(/^edited in prod directly: dev does not serve this; bring dev in line \(npm run flags -- promote --from prod --to dev --flag shop\/f\)/);
    expect(diff.drift.map((d) => d.effects)).toEqual([["differs; promoting dev → prod would change prod:", "everyone: true → false"]]);
  });
});

describe("lint across environments", () => {
  const tree = (dev: Record<string, string>, prod: Record<string, string>, root: Record<string, string> = {}) =>
    readFlagsTree(folder({ ...root, ...prefix("dev", dev), ...prefix("prod", prod) }));
  const prefix = (env: string, files: Record<string, string>) => Object.fromEntries(Object.entries(files).map(([p, t]) => [`${env}/${p}`, t]));
  const messages = (t: ReturnType<typeof tree>) => checkFlagsTree(t, TODAY).problems.map((p) => `${p.file}:${p.line}: ${p.message}`);

  it.each([
    ["identical environments", files([boolean()]), files([boolean()]), {}, []],
    [
      "expires that differs between dev and prod",
      files([boolean()]),
      files([boolean({ metadata: { ...LIFECYCLE, expires: "2027-03-01" } })]),
      {},
      ['prod/shop.features.yml:4: flag "f": metadata.expires is "2027-03-01" in prod but "2027-02-22" in dev (dev/shop.features.yml:4); lifecycle metadata is one fact, make them agree'],
    ],
    [
      "an owner that differs",
      files([boolean()]),
      files([boolean({ metadata: { ...LIFECYCLE, owner: "checkout" } })]),
      {},
      ['prod/shop.features.yml:4: flag "f": metadata.owner is "checkout" in prod but "payments" in dev (dev/shop.features.yml:4); lifecycle metadata is one fact, make them agree'],
    ],
    [
      "permanent in one environment, expiring in the other",
      files([boolean()]),
      files([boolean({ metadata: { owner: "payments", created: "2026-11-24", permanent: true } })]),
      {},
      [
        'prod/shop.features.yml:4: flag "f": metadata.expires is absent in prod but "2027-02-22" in dev (dev/shop.features.yml:4); lifecycle metadata is one fact, make them agree',
        'prod/shop.features.yml:4: flag "f": metadata.permanent is true in prod but absent in dev (dev/shop.features.yml:4); lifecycle metadata is one fact, make them agree',
      ],
    ],
    [
      "a flag in prod that dev lacks",
      files([]),
      files([boolean()]),
      {},
      ["prod/shop.features.yml:4: flag shop/f is in prod but not in dev: changes start in dev and are promoted; add it to dev (npm run flags -- promote --from prod --to dev --flag shop/f) or remove it from prod"],
    ],
    ["a flag in dev only (a rollout in progress)", files([boolean()]), files([]), {}, []],
    [
      "a flag file outside the environment directories",
      files([]),
      files([]),
      { "shop.features.yml": files([boolean()])["shop.features.yml"] },
      ["shop.features.yml:1: outside the environment directories, so no stack serves it; move it into dev/ or prod/"],
    ],
    [
      "an environment without its directory",
      files([]),
      {},
      {},
      ["prod/.flipt.yml:1: environment prod has no directory; every environment needs prod/ with its .flipt.yml and flag files"],
    ],
  ])("%s", (_, dev, prod, root, expected) => {
    expect(messages(tree(dev, prod, root))).toEqual(expected);
  });

  it("reports a problem inside an environment with that environment's path", () => {
    const broken = { ".flipt.yml": INDEX, "shop.features.yml": 'version: "1.4"\nnamespace: shop\nflags:\n  - key: "bad key"\n' };
    expect(messages(tree(files([]), broken))[0]).toMatch(/^prod\/shop\.features\.yml:4: flags\[0\]\.key: expected a key matching/);
  });
});
