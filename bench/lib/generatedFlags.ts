/**
 * Generated, reproducible flag repositories for the scale benchmark (issue 17, "how the cost
 * grows"): flags in several namespaces with the mix the migrated flags have and the kinds a
 * growing repository adds, written with the flags tool's own writer so that they lint clean.
 *
 * Same seed and count, byte-identical files. What each flag was meant to serve is kept beside it
 * (`intent`), so tests can check an evaluator against the generator rather than against itself.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { BOOLEAN_BUCKETS, VARIANT_BUCKETS, fliptBooleanBucket, fliptVariantBucket } from "../../scripts/flags/bucketing";
import { addDays } from "../../scripts/flags/dates";
import {
  BOOLEAN_FLAG_TYPE,
  FLAG_FILE_SUFFIX,
  FLIPT_DOCUMENT_VERSION,
  INDEX_FILE,
  VARIANT_FLAG_TYPE,
  flagFileName,
  renderFlagFile,
  renderIndex,
  type FliptFlag,
  type FliptRollout,
  type FliptSegment,
} from "../../scripts/flags/document";
import { lifecycleMetadata } from "../../scripts/flags/lifecycle";
import { BLANK_SUBJECT_SEGMENT } from "../../scripts/flags/migrate";
import { CALLER_DEFAULT, type Served } from "../../scripts/flags/state";

export const SCALE_FLAG_COUNTS = [12, 100, 1_000, 10_000] as const;
/** Issue 17. */
export const SCALE_SEED = 17;
/** The date generated flags are created on; lint them with a `today` within their lifetime. */
export const GENERATED_CREATED = "2026-11-24";
/** The shortest lifetime a generated flag gets: `today` up to created + this many days finds none stale. */
export const GENERATED_MIN_LIFETIME_DAYS = 30;

// ---- segments ------------------------------------------------------------------------------

/** The segment every subject is in: a variant rule for everyone needs one (a rule names a segment). */
export const EVERYONE_SEGMENT = "everyone";
/** Segments a subject is in by its evaluation context. */
export const CONTEXT_SEGMENTS = ["enterprise-tier", "eu-regions", "beta-opt-in"] as const;
export type ContextSegment = (typeof CONTEXT_SEGMENTS)[number];
export type RuleSegment = typeof EVERYONE_SEGMENT | ContextSegment;
export type EvaluationContext = Readonly<Record<string, string>>;

interface ContextSegmentSpec {
  readonly definition: FliptSegment;
  /** A context in this segment and in no other context segment. */
  readonly member: EvaluationContext;
  /** What the constraints say, for callers that build a subject's segments without Flipt. */
  readonly matches: (context: EvaluationContext) => boolean;
}

const EU_REGIONS = ["eu-west-1", "eu-central-1"];

const CONTEXT_SEGMENT_SPECS: Record<ContextSegment, ContextSegmentSpec> = {
  "enterprise-tier": {
    definition: {
      key: "enterprise-tier",
      name: "Enterprise tier",
      match_type: "ALL_MATCH_TYPE",
      constraints: [{ type: "STRING_COMPARISON_TYPE", property: "tier", operator: "eq", value: "enterprise" }],
    },
    member: { tier: "enterprise" },
    matches: (context) => context.tier === "enterprise",
  },
  "eu-regions": {
    definition: {
      key: "eu-regions",
      name: "EU regions",
      match_type: "ALL_MATCH_TYPE",
      constraints: [{ type: "STRING_COMPARISON_TYPE", property: "region", operator: "isoneof", value: JSON.stringify(EU_REGIONS) }],
    },
    member: { region: EU_REGIONS[0] },
    matches: (context) => EU_REGIONS.includes(context.region),
  },
  "beta-opt-in": {
    definition: {
      key: "beta-opt-in",
      name: "Beta opt-in",
      description: "Organisations in the beta programme, and internal ones.",
      match_type: "ANY_MATCH_TYPE",
      constraints: [
        { type: "STRING_COMPARISON_TYPE", property: "beta_program", operator: "eq", value: "opted-in" },
        { type: "STRING_COMPARISON_TYPE", property: "tier", operator: "eq", value: "internal" },
      ],
    },
    member: { beta_program: "opted-in" },
    matches: (context) => context.beta_program === "opted-in" || context.tier === "internal",
  },
};

const EVERYONE_DEFINITION: FliptSegment = {
  key: EVERYONE_SEGMENT,
  name: "Everyone",
  description: "No constraints, so every subject matches.",
  match_type: "ALL_MATCH_TYPE",
  constraints: [],
};

/** The segments every generated namespace defines, in the order its document lists them. */
export const GENERATED_SEGMENTS: readonly FliptSegment[] = [
  EVERYONE_DEFINITION,
  ...CONTEXT_SEGMENTS.map((key) => CONTEXT_SEGMENT_SPECS[key].definition),
  BLANK_SUBJECT_SEGMENT,
];

/** The context that puts a subject in `segment` (the empty context for `everyone`). */
export function memberContext(segment: RuleSegment): EvaluationContext {
  return segment === EVERYONE_SEGMENT ? {} : CONTEXT_SEGMENT_SPECS[segment].member;
}

/** The generated segments a subject with this entity id and context is in. */
export function segmentsOf(entityId: string, context: EvaluationContext): Set<string> {
  const segments = new Set<string>([EVERYONE_SEGMENT]);
  for (const key of CONTEXT_SEGMENTS) if (CONTEXT_SEGMENT_SPECS[key].matches(context)) segments.add(key);
  if (entityId.trim() === "") segments.add(BLANK_SUBJECT_SEGMENT.key);
  return segments;
}

// ---- flags ---------------------------------------------------------------------------------

export interface VariantShare {
  readonly variant: string;
  readonly percent: number;
}

/** What the generator meant a flag to serve, stated independently of any evaluator. */
export type FlagIntent =
  /** `enabled` for everyone. */
  | { readonly kind: "plain"; readonly enabled: boolean }
  /**
   * Blank subjects get true when `blankSubjectFirst` (as migrated rollouts do); others get `value`
   * when their boolean bucket is below `percent`, `enabled` otherwise.
   */
  | { readonly kind: "threshold"; readonly enabled: boolean; readonly percent: number; readonly value: boolean; readonly blankSubjectFirst: boolean }
  /** Subjects in `segment` get `value`; others get `then.value` below `then.percent`, else `enabled`. */
  | {
      readonly kind: "segment";
      readonly enabled: boolean;
      readonly segment: ContextSegment;
      readonly value: boolean;
      readonly then?: { readonly percent: number; readonly value: boolean };
    }
  /**
   * Disabled: the caller's default. Subjects in `segment` get the variant whose cumulative share
   * holds their variant bucket; past the last (shares adding up to less than 100: a hold-out) and
   * outside `segment` they get `defaultVariant`, or the caller's default without one.
   */
  | {
      readonly kind: "variant";
      readonly enabled: boolean;
      readonly variants: readonly string[];
      readonly segment: RuleSegment;
      readonly distribution: readonly VariantShare[];
      readonly defaultVariant?: string;
    };

export type FlagKind = FlagIntent["kind"];

export interface GeneratedFlag {
  readonly namespace: string;
  readonly key: string;
  /** Its file in the generated folder. */
  readonly file: string;
  readonly purpose: FlagPurpose;
  readonly type: typeof BOOLEAN_FLAG_TYPE | typeof VARIANT_FLAG_TYPE;
  readonly description: string;
  readonly owners: readonly string[];
  readonly created: string;
  /** Undefined for a permanent flag (a kill switch). */
  readonly expires: string | undefined;
  /** What the generator meant the flag to serve, independent of the evaluator: used by tests. */
  readonly intent: FlagIntent;
}

export interface GeneratedFlags {
  readonly seed: number;
  readonly count: number;
  readonly namespaces: readonly string[];
  /** File name ("platform.features.yml", ".flipt.yml") → content, rendered with the flags tool's writer. */
  readonly files: ReadonlyMap<string, string>;
  /** In the order the files hold them: by file name, then by key. */
  readonly flags: readonly GeneratedFlag[];
}

export interface GenerateOptions {
  readonly count: number;
  /** Defaults to SCALE_SEED. */
  readonly seed?: number;
  /** Defaults to GENERATED_CREATED. */
  readonly created?: string;
}

/** Why a flag exists; it decides the flag's kind and lifetime. */
export type FlagPurpose = "kill switch" | "release flag" | "percentage rollout" | "segment rollout" | "experiment";

/**
 * The mix: the migrated flags are plain booleans, two in three of them kill switches (permanent);
 * a growing repository adds release flags, percentage and segment rollouts and experiments
 * (variant flags). Shares of the count, apportioned exactly, so 12 flags give 3 / 4 / 2 / 2 / 1.
 */
export const PURPOSE_SHARES: Readonly<Record<FlagPurpose, number>> = {
  "kill switch": 0.2,
  "release flag": 0.35,
  "percentage rollout": 0.2,
  "segment rollout": 0.15,
  experiment: 0.1,
};
const PURPOSES = Object.keys(PURPOSE_SHARES) as FlagPurpose[];
const KIND_OF: Readonly<Record<FlagPurpose, FlagKind>> = {
  "kill switch": "plain",
  "release flag": "plain",
  "percentage rollout": "threshold",
  "segment rollout": "segment",
  experiment: "variant",
};

/** Namespaces in the order they are added as the repository grows; the first three are the migrated ones. */
export const NAMESPACE_POOL = ["platform", "llm_gateway", "maestro", "gate", "prompts", "dagster", "billing", "connectors"] as const;

/** "Several", growing with the count: 3 at 12 flags, 4 at 100, 6 at 1,000, 8 at 10,000 (2·log10(count), within 3–8). */
export function namespaceCount(count: number): number {
  const several = Math.min(Math.max(Math.round(2 * Math.log10(count)), 3), NAMESPACE_POOL.length);
  return Math.min(several, count);
}

const OWNERS = ["platform-app", "platform-infra", "ml-platform", "growth", "payments", "search"];
const AREAS = ["model_routing", "agent_authority", "migrations", "checkout", "onboarding", "search", "notifications", "exports", "connectors", "analytics"];
const FEATURES = ["fast_path", "new_editor", "retry_budget", "streaming", "cache_warmup", "batch_writes", "v2_api", "smart_defaults", "audit_log", "async_export", "dark_launch", "bulk_actions"];
const SERVICES = ["gate", "llm_gateway", "maestro", "prompts", "dagster", "billing"];
const SWITCHED = ["inference", "control_api", "schedule", "ingestion", "resolve_api", "webhooks"];
const LIFETIMES_DAYS = [GENERATED_MIN_LIFETIME_DAYS, 60, 90, 90, 120, 180];
const COMMON_PERCENTS = [1, 5, 10, 25, 50, 75, 90];
const TWO_WAY = [[50, 50], [90, 10], [80, 20], [10, 10]];
const THREE_WAY = [[34, 33, 33], [80, 10, 10], [50, 25, 25], [20, 20, 20]];

export function generateFlags(options: GenerateOptions): GeneratedFlags {
  const { count } = options;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`count: expected a whole number of flags, at least 1, found ${count}`);
  const seed = options.seed ?? SCALE_SEED;
  const created = options.created ?? GENERATED_CREATED;
  const random = new Random(seed);
  const namespaces = NAMESPACE_POOL.slice(0, namespaceCount(count));
  // Zipf-like sizes: the first namespace holds the most flags, as platform does today.
  const namespaceOfFlag = random.shuffle(spread(namespaces, apportion(count, namespaces.map((_, i) => 1 / (i + 1)))));
  const purposeOfFlag = random.shuffle(spread(PURPOSES, apportion(count, PURPOSES.map((p) => PURPOSE_SHARES[p]))));
  const flags = Array.from({ length: count }, (_, serial) =>
    generateFlag({ random, seed, created, serial, namespace: namespaceOfFlag[serial], purpose: purposeOfFlag[serial] }),
  );
  return assemble(seed, count, namespaces, flags);
}

interface FlagSeed {
  readonly random: Random;
  readonly seed: number;
  readonly created: string;
  readonly serial: number;
  readonly namespace: string;
  readonly purpose: FlagPurpose;
}

function generateFlag(input: FlagSeed): GeneratedFlag {
  const { random, purpose } = input;
  const kind = KIND_OF[purpose];
  const killSwitch = purpose === "kill switch";
  const serial = String(input.serial).padStart(5, "0");
  const key = killSwitch
    ? `kill_switches--${random.pick(SERVICES)}--${random.pick(SWITCHED)}_${serial}`
    : `${random.pick(AREAS)}--${random.pick(FEATURES)}_${serial}`;
  const owners = random.chance(0.1) ? random.sample(OWNERS, 2) : [random.pick(OWNERS)];
  return {
    namespace: input.namespace,
    key,
    file: flagFileName(input.namespace),
    purpose,
    type: kind === "variant" ? VARIANT_FLAG_TYPE : BOOLEAN_FLAG_TYPE,
    description: `Generated for the scale benchmark (seed ${input.seed}): ${purpose}.`,
    owners,
    created: input.created,
    expires: killSwitch ? undefined : addDays(input.created, random.pick(LIFETIMES_DAYS)),
    intent: generateIntent(random, kind, killSwitch),
  };
}

function generateIntent(random: Random, kind: FlagKind, killSwitch: boolean): FlagIntent {
  switch (kind) {
    case "plain":
      return { kind, enabled: killSwitch ? random.chance(0.1) : random.chance(0.6) };
    case "threshold": {
      // Mostly "give p% true"; sometimes a hold-back that gives p% false.
      const value = random.chance(0.85);
      return { kind, enabled: !value, percent: rolloutPercent(random), value, blankSubjectFirst: value && random.chance(0.4) };
    }
    case "segment": {
      const value = random.chance(0.9);
      const then = random.chance(0.3) ? { percent: rolloutPercent(random), value } : undefined;
      return { kind, enabled: !value, segment: random.pick(CONTEXT_SEGMENTS), value, ...(then && { then }) };
    }
    case "variant": {
      const variants = random.chance(0.7) ? ["control", "treatment"] : ["control", "treatment_a", "treatment_b"];
      const percents = random.pick(variants.length === 2 ? TWO_WAY : THREE_WAY);
      const distribution = variants.map((variant, i) => ({ variant, percent: percents[i] }));
      const segment = random.chance(0.5) ? EVERYONE_SEGMENT : random.pick(CONTEXT_SEGMENTS);
      // A default variant is what subjects outside the rule get, so only a segment rule has one.
      const defaultVariant = segment !== EVERYONE_SEGMENT && random.chance(0.6) ? variants[0] : undefined;
      return { kind, enabled: random.chance(0.85), variants, segment, distribution, ...(defaultVariant && { defaultVariant }) };
    }
  }
}

const rolloutPercent = (random: Random) => (random.chance(0.7) ? random.pick(COMMON_PERCENTS) : random.int(1, 99));

// ---- what a flag serves, by its intent ----------------------------------------------------

/**
 * What the generator meant `flag` to serve to this subject, in state.ts's words ("true",
 * "variant control", "variant control (default variant)", …), from the intent and Flipt v1's
 * bucketing alone: the oracle tests hold the flags tool's evaluator and a real Flipt to.
 */
export function intendedServed(flag: GeneratedFlag, entityId: string, context: EvaluationContext): Served {
  const segments = segmentsOf(entityId, context);
  const intent = flag.intent;
  const percentIn = (percent: number) => fliptBooleanBucket(flag.key, entityId) < percent * (BOOLEAN_BUCKETS / 100);
  switch (intent.kind) {
    case "plain":
      return String(intent.enabled);
    case "threshold":
      if (intent.blankSubjectFirst && segments.has(BLANK_SUBJECT_SEGMENT.key)) return "true";
      return String(percentIn(intent.percent) ? intent.value : intent.enabled);
    case "segment":
      if (segments.has(intent.segment)) return String(intent.value);
      if (intent.then !== undefined && percentIn(intent.then.percent)) return String(intent.then.value);
      return String(intent.enabled);
    case "variant": {
      if (!intent.enabled) return CALLER_DEFAULT;
      if (segments.has(intent.segment)) {
        const bucket = fliptVariantBucket(flag.key, entityId);
        let upper = 0;
        for (const { variant, percent } of intent.distribution) {
          upper += percent * (VARIANT_BUCKETS / 100);
          if (bucket < upper) return `variant ${variant}`;
        }
        // A hold-out (past the distributions): the default variant if any (Flipt v1.61.1).
        if (intent.defaultVariant === undefined) return `no variant (${CALLER_DEFAULT})`;
      }
      return intent.defaultVariant === undefined ? CALLER_DEFAULT : `variant ${intent.defaultVariant} (default variant)`;
    }
  }
}

// ---- documents -----------------------------------------------------------------------------

/** The flag as its file holds it. */
export function fliptFlagOf(flag: GeneratedFlag): FliptFlag {
  const definition: FliptFlag & { rules?: FliptRule[] } = {
    key: flag.key,
    name: flag.key,
    type: flag.type,
    description: flag.description,
    enabled: flag.intent.enabled,
    metadata: lifecycleMetadata({ owners: flag.owners, created: flag.created, expires: flag.expires }),
  };
  const intent = flag.intent;
  if (intent.kind === "threshold") {
    definition.rollouts = [
      ...(intent.blankSubjectFirst ? [blankSubjectRollout] : []),
      { threshold: { percentage: intent.percent, value: intent.value } },
    ];
  } else if (intent.kind === "segment") {
    definition.rollouts = [
      { segment: { key: intent.segment, value: intent.value } },
      ...(intent.then ? [{ threshold: { percentage: intent.then.percent, value: intent.then.value } }] : []),
    ];
  } else if (intent.kind === "variant") {
    definition.variants = intent.variants.map((key) => ({ key, ...(key === intent.defaultVariant && { default: true }) }));
    definition.rules = [{ segment: intent.segment, distributions: intent.distribution.map((d) => ({ variant: d.variant, rollout: d.percent })) }];
  }
  return definition;
}

/** A variant flag's rule: document.ts types only what the other commands write, which has no rules. */
interface FliptRule {
  segment: string;
  distributions: { variant: string; rollout: number }[];
}

const blankSubjectRollout: FliptRollout = {
  description: "Blank subjects get the full flag state, as migrated rollouts do",
  segment: { key: BLANK_SUBJECT_SEGMENT.key, value: true },
};

function renderNamespace(namespace: string, flags: readonly GeneratedFlag[]): string {
  return renderFlagFile({
    version: FLIPT_DOCUMENT_VERSION,
    namespace,
    segments: [...GENERATED_SEGMENTS],
    flags: flags.map(fliptFlagOf),
  });
}

function assemble(seed: number, count: number, namespaces: readonly string[], unordered: readonly GeneratedFlag[]): GeneratedFlags {
  const flags = [...unordered].sort((a, b) => compare(a.file, b.file) || compare(a.key, b.key));
  const files = new Map<string, string>([[INDEX_FILE, renderIndex()]]);
  for (const namespace of [...namespaces].sort((a, b) => compare(flagFileName(a), flagFileName(b)))) {
    files.set(flagFileName(namespace), renderNamespace(namespace, flags.filter((f) => f.namespace === namespace)));
  }
  return { seed, count, namespaces, files, flags };
}

/**
 * Writes every file of `generated` into dir (created if missing), replacing what is there: flag
 * files and an index that `generated` lacks are removed; anything else (a `.git`) stays.
 */
export function writeGeneratedFlags(dir: string, generated: GeneratedFlags): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const name of fs.readdirSync(dir)) {
    const isFlagFolderFile = name === INDEX_FILE || name.endsWith(FLAG_FILE_SUFFIX);
    if (isFlagFolderFile && !generated.files.has(name)) fs.rmSync(path.join(dir, name));
  }
  for (const [name, text] of generated.files) fs.writeFileSync(path.join(dir, name), text);
}

// ---- changes -------------------------------------------------------------------------------

/** How many flags withChangedShare changes: `share` of them, at least one. */
export function changedFlagCount(count: number, share: number): number {
  if (!(share >= 0 && share <= 1)) throw new RangeError(`share: expected a fraction from 0 to 1, found ${share}`);
  return Math.min(count, Math.max(1, Math.round(share * count)));
}

/**
 * The same flags with `share` (0..1, e.g. 0.01) of them changed (changedIntent), chosen by seed
 * (defaults to the generation's seed): the base for `flags diff`. At least one flag changes.
 */
export function withChangedShare(generated: GeneratedFlags, share: number, seed: number = generated.seed): GeneratedFlags {
  const indexes = new Random(seed).shuffle(generated.flags.map((_, i) => i)).slice(0, changedFlagCount(generated.count, share));
  return withChanged(generated, new Set(indexes));
}

/**
 * The same flags with exactly the flag at `index` (of `generated.flags`) changed: one-flag commits
 * for sync measurements. Returns also which file changed and the changed flag.
 */
export function withOneFlagChanged(generated: GeneratedFlags, index: number): { generated: GeneratedFlags; file: string; flag: GeneratedFlag } {
  if (!Number.isInteger(index) || index < 0 || index >= generated.flags.length) {
    throw new RangeError(`index: expected 0 to ${generated.flags.length - 1}, found ${index}`);
  }
  const changed = withChanged(generated, new Set([index]));
  const flag = changed.flags[index];
  return { generated: changed, file: flag.file, flag };
}

/**
 * One change that moves what subjects get: a plain or segment flag's `enabled` flipped; a
 * threshold moved by 10 points (towards 50, so it stays within 1–99); 5 points of a variant
 * flag's largest share moved to the next variant.
 */
export function changedIntent(intent: FlagIntent): FlagIntent {
  switch (intent.kind) {
    case "plain":
    case "segment":
      return { ...intent, enabled: !intent.enabled };
    case "threshold":
      return { ...intent, percent: intent.percent <= 50 ? intent.percent + 10 : intent.percent - 10 };
    case "variant": {
      const shares = intent.distribution.map((d) => d.percent);
      const from = shares.indexOf(Math.max(...shares));
      const to = (from + 1) % shares.length;
      const moved = Math.min(5, shares[from]);
      const distribution = intent.distribution.map((d, i) => ({ ...d, percent: d.percent + (i === to ? moved : i === from ? -moved : 0) }));
      return { ...intent, distribution };
    }
  }
}

function withChanged(generated: GeneratedFlags, indexes: ReadonlySet<number>): GeneratedFlags {
  const flags = generated.flags.map((flag, i) => (indexes.has(i) ? { ...flag, intent: changedIntent(flag.intent) } : flag));
  const touched = new Set([...indexes].map((i) => flags[i].namespace));
  const files = new Map(generated.files);
  for (const namespace of touched) files.set(flagFileName(namespace), renderNamespace(namespace, flags.filter((f) => f.namespace === namespace)));
  return { ...generated, files, flags };
}

// ---- deterministic helpers -----------------------------------------------------------------

/** mulberry32: a small seeded PRNG, so the same seed gives the same repository on every machine. */
class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** `n` distinct items, in random order. */
  sample<T>(items: readonly T[], n: number): T[] {
    return this.shuffle([...items]).slice(0, n);
  }

  /** Fisher–Yates, in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
}

/** `total` split in proportion to `weights` (largest remainder), every part at least 1 when total allows. */
export function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (total * w) / sum);
  const parts = exact.map(Math.floor);
  const byRemainder = exact.map((x, i) => ({ i, remainder: x - Math.floor(x) })).sort((a, b) => b.remainder - a.remainder || a.i - b.i);
  const missing = total - parts.reduce((a, b) => a + b, 0);
  for (let k = 0; k < missing; k++) parts[byRemainder[k].i]++;
  for (let i = 0; i < parts.length && total >= parts.length; i++) {
    if (parts[i] === 0) {
      parts[parts.indexOf(Math.max(...parts))]--;
      parts[i] = 1;
    }
  }
  return parts;
}

/** Each item repeated its number of times: [a, b], [2, 1] → [a, a, b]. */
function spread<T>(items: readonly T[], times: readonly number[]): T[] {
  return items.flatMap((item, i) => Array<T>(times[i]).fill(item));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
