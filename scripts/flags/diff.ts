import { SAMPLE_SUBJECT_COUNT, sampleSubjects } from "./bucketing";
import { ENVIRONMENTS, LIVE_ENVIRONMENT, type Environment } from "./environments";
import { METADATA } from "./lifecycle";
import {
  bucketCount,
  bucketOf,
  CALLER_DEFAULT,
  isBoolean,
  isMap,
  listOf,
  rankedRules,
  refOf,
  segmentsUsedBy,
  selectorOf,
  serve,
  type Definition,
  type EnvironmentState,
  type FlagDefinition,
  type Served,
  type Subject,
} from "./state";

/**
 * `flags diff`: what a change does to subjects, per environment, and what differs between the
 * environments (drift). Effects come from evaluating both versions of a flag (state.ts) for every
 * kind of subject — matching none of its segments, or one of them — over all of Flipt's buckets,
 * so a percentage change is reported as the exact share of subjects whose value changes.
 */

export type ChangeKind = "added" | "removed" | "changed";

export interface FlagChange {
  readonly ref: string;
  readonly kind: ChangeKind;
  /** The file it is in after the change (before, for a removal), relative to the environment. */
  readonly file: string;
  readonly effects: readonly string[];
}

export interface SegmentChange {
  readonly ref: string;
  readonly kind: ChangeKind;
  readonly file: string;
  readonly effects: readonly string[];
  /** Flags (namespace/key) that use the segment after the change. */
  readonly usedBy: readonly string[];
}

export interface EnvironmentDiff {
  readonly flags: readonly FlagChange[];
  readonly segments: readonly SegmentChange[];
}

export function diffEnvironment(before: EnvironmentState, after: EnvironmentState): EnvironmentDiff {
  const flags: FlagChange[] = [];
  for (const ref of unionKeys(before.flags, after.flags)) {
    const [old, now] = [before.flags.get(ref), after.flags.get(ref)];
    if (old === undefined) flags.push({ ref, kind: "added", file: now!.file, effects: addedEffects(now!) });
    else if (now === undefined) flags.push({ ref, kind: "removed", file: old.file, effects: removedEffects(old) });
    else {
      const effects = changedEffects(old, before, now, after);
      if (effects.length > 0) flags.push({ ref, kind: "changed", file: now.file, effects });
    }
  }
  const segments: SegmentChange[] = [];
  for (const ref of unionKeys(before.segments, after.segments)) {
    const [old, now] = [before.segments.get(ref), after.segments.get(ref)];
    if (old !== undefined && now !== undefined && same(old.segment, now.segment)) continue;
    const usedBy = usersOf(after, ref);
    const kind: ChangeKind = old === undefined ? "added" : now === undefined ? "removed" : "changed";
    const effects =
      kind === "changed"
        ? [`matches ${describeSegment(old!.segment)} → ${describeSegment(now!.segment)}`]
        : [`${kind === "added" ? "matches" : "matched"} ${describeSegment((now ?? old)!.segment)}`];
    segments.push({ ref, kind, file: (now ?? old)!.file, effects, usedBy });
  }
  return { flags, segments };
}

// ---- flags ---------------------------------------------------------------------------------

function addedEffects(flag: FlagDefinition): string[] {
  return [`new flag: ${describeFlag(flag.flag)}`, ...lifecycleNote(flag.flag)];
}

function removedEffects(flag: FlagDefinition): string[] {
  return [
    `removed: code that still evaluates it gets ${CALLER_DEFAULT} (services pass false: flags/README.md) instead of what it served: ${describeFlag(flag.flag)}`,
    "remove its evaluations from every service before this merges (flags/README.md, \"Removing a flag safely\")",
  ];
}

function changedEffects(old: FlagDefinition, before: EnvironmentState, now: FlagDefinition, after: EnvironmentState): string[] {
  const effects: string[] = [];
  if (old.flag.type !== now.flag.type) effects.push(`type ${String(old.flag.type)} → ${String(now.flag.type)}`);
  if (isBoolean(old.flag) && isBoolean(now.flag)) {
    // Without rollouts the state is what everyone gets, which servedChanges says below.
    const withRollouts = listOf(now.flag.rollouts).length > 0 || listOf(old.flag.rollouts).length > 0;
    if (old.flag.enabled !== now.flag.enabled && withRollouts) {
      effects.push(`default (no rollout applies): ${String(old.flag.enabled === true)} → ${String(now.flag.enabled === true)}`);
    }
    if (!same(old.flag.rollouts ?? [], now.flag.rollouts ?? [])) {
      effects.push(`rollouts: ${describeRollouts(old.flag)} → ${describeRollouts(now.flag)}`);
    }
  } else if (!isBoolean(old.flag) && !isBoolean(now.flag)) {
    if (old.flag.enabled !== now.flag.enabled) effects.push(`${old.flag.enabled === true ? "enabled → disabled" : "disabled → enabled"}`);
    if (!same(old.flag.rules ?? [], now.flag.rules ?? [])) effects.push(`rules: ${describeRules(old.flag)} → ${describeRules(now.flag)}`);
    const [dOld, dNew] = [defaultVariant(old.flag), defaultVariant(now.flag)];
    if (dOld !== dNew) effects.push(`default variant: ${dOld ?? "none"} → ${dNew ?? "none"}`);
  }
  for (const key of segmentsUsedBy(now.flag)) {
    const [s0, s1] = [before.segments.get(refOf(now.namespace, key)), after.segments.get(refOf(now.namespace, key))];
    if (s0 !== undefined && s1 !== undefined && !same(s0.segment, s1.segment)) {
      effects.push(`segment ${key} now matches ${describeSegment(s1.segment)} (before: ${describeSegment(s0.segment)})`);
    }
  }
  const served = servedChanges(old.flag, now.flag, now.key);
  if (effects.length > 0 && served.length === 0) effects.push("no subject's value changes");
  effects.push(...served);
  const other = otherChanges(old.flag, now.flag);
  if (other.length > 0) effects.push(`no effect on subjects: ${other.join(", ")} changed`);
  return effects;
}

/**
 * Which kinds of subject now get something else, and how many of them: every bucket of each
 * kind is evaluated before and after. A kind of subject is "matches none of the flag's
 * segments", or "matches segment S" (and, for AND selectors, all of them).
 */
export function servedChanges(before: Definition, after: Definition, key: string): string[] {
  const segmentKeys = [...new Set([...segmentsUsedBy(before), ...segmentsUsedBy(after)])];
  const kinds: { who: string; segments: Set<string> }[] = [
    { who: segmentKeys.length === 0 ? "everyone" : "subjects in none of its segments", segments: new Set() },
    ...segmentKeys.map((s) => ({ who: `subjects in segment ${s}`, segments: new Set([s]) })),
  ];
  for (const selector of [...listOf(after.rollouts), ...listOf(after.rules)].map((r) => selectorOf(r.segment))) {
    if (selector?.all && selector.keys.length > 1) kinds.push({ who: `subjects in all of ${selector.keys.join(", ")}`, segments: new Set(selector.keys) });
  }
  const buckets = Math.max(bucketCount(before), bucketCount(after));
  return kinds.flatMap(({ who, segments }) => {
    const valuesBefore = servedByBucket(before, segments, buckets);
    const valuesAfter = servedByBucket(after, segments, buckets);
    const changed = valuesBefore.filter((value, bucket) => value !== valuesAfter[bucket]).length;
    if (changed === 0) return [];
    const [shareBefore, shareAfter] = [shares(valuesBefore), shares(valuesAfter)];
    if (changed === buckets && shareBefore.length === 1 && shareAfter.length === 1) {
      return [`${who}: ${valuesBefore[0]} → ${valuesAfter[0]}`];
    }
    const measured = sampledChange(before, after, key, segments);
    return [
      `${who}: ${formatShare(changed / buckets)} of them change value (${describeShares(shareBefore)} → ${describeShares(shareAfter)}; ` +
        `${formatShare(measured)} of ${SAMPLE_SUBJECT_COUNT.toLocaleString("en-US")} sample subjects)`,
    ];
  });
}

function servedByBucket(flag: Definition, segments: ReadonlySet<string>, buckets: number): Served[] {
  // A boolean flag has 100 buckets; compared with a variant flag's 1000, bucket b stands for b/10.
  const scale = bucketCount(flag) / buckets;
  return Array.from({ length: buckets }, (_, bucket) => serve(flag, { segments, bucket: Math.floor(bucket * scale) }));
}

/** The same comparison on deterministic sample entity ids hashed as Flipt hashes them (bucketing.ts). */
function sampledChange(before: Definition, after: Definition, key: string, segments: ReadonlySet<string>): number {
  const subjects = sampleSubjects();
  const at = (flag: Definition, entityId: string): Subject => ({ segments, bucket: bucketOf(flag, key, entityId) });
  return subjects.filter((id) => serve(before, at(before, id)) !== serve(after, at(after, id))).length / subjects.length;
}

function shares(values: readonly Served[]): [Served, number][] {
  const counts = new Map<Served, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts.entries()].map(([value, n]) => [value, n / values.length]);
}

const describeShares = (list: [Served, number][]) => list.map(([value, share]) => `${value} ${formatShare(share)}`).join(" / ");

export function formatShare(share: number): string {
  return `${Number((share * 100).toFixed(1))}%`;
}

/** What a flag serves, in one line. */
export function describeFlag(flag: Definition): string {
  if (isBoolean(flag)) {
    if (listOf(flag.rollouts).length === 0) return `${String(flag.enabled === true)} for everyone`;
    return `${describeRollouts(flag)}`;
  }
  if (flag.enabled !== true) return `disabled (callers get their default)`;
  const fallback = defaultVariant(flag);
  return `${describeRules(flag)}${fallback === undefined ? "" : `; default variant ${fallback}`}`;
}

function describeRollouts(flag: Definition): string {
  const rollouts = listOf(flag.rollouts).map((rollout) => {
    if (isMap(rollout.threshold)) return `${Number(rollout.threshold.percentage)}% → ${String(rollout.threshold.value === true)}`;
    const selector = selectorOf(rollout.segment);
    const value = isMap(rollout.segment) && rollout.segment.value === true;
    return `${describeSelector(selector)} → ${String(value)}`;
  });
  return `[${[...rollouts, `otherwise ${String(flag.enabled === true)}`].join("; ")}]`;
}

function describeRules(flag: Definition): string {
  const rules = rankedRules(flag).map((rule) => {
    const distributions = listOf(rule.distributions).map((d) => `${String(d.variant)} ${Number(d.rollout)}%`);
    return `${describeSelector(selectorOf(rule.segment))} → ${distributions.length === 0 ? "no variant" : distributions.join(" / ")}`;
  });
  return rules.length === 0 ? "[no rules]" : `[${rules.join("; ")}]`;
}

function describeSelector(selector: ReturnType<typeof selectorOf>): string {
  if (selector === undefined) return "segment ?";
  if (selector.keys.length === 1) return `segment ${selector.keys[0]}`;
  return `segments ${selector.keys.join(selector.all ? " and " : " or ")}`;
}

function describeSegment(segment: Definition): string {
  const constraints = listOf(segment.constraints).map((c) => `${String(c.property)} ${String(c.operator)}${c.value === undefined ? "" : ` ${JSON.stringify(c.value)}`}`);
  if (constraints.length === 0) return "every subject (no constraints)";
  return constraints.join(segment.match_type === "ANY_MATCH_TYPE" ? " or " : " and ");
}

function defaultVariant(flag: Definition): string | undefined {
  const variant = listOf(flag.variants).find((v) => v.default === true);
  return variant === undefined ? undefined : String(variant.key);
}

function lifecycleNote(flag: Definition): string[] {
  const metadata = isMap(flag.metadata) ? flag.metadata : {};
  const owner = metadata[METADATA.owner];
  const until = metadata[METADATA.permanent] === true ? "permanent" : `expires ${String(metadata[METADATA.expires] ?? "?")}`;
  return [`owner ${String(owner ?? "?")}, ${until}`];
}

/** Fields that change no subject's value. */
function otherChanges(before: Definition, after: Definition): string[] {
  const fields = ["name", "description"].filter((field) => !same(before[field], after[field]));
  const [m0, m1] = [isMap(before.metadata) ? before.metadata : {}, isMap(after.metadata) ? after.metadata : {}];
  const metadata = [...new Set([...Object.keys(m0), ...Object.keys(m1)])].filter((k) => !same(m0[k], m1[k])).map((k) => `metadata.${k}`);
  const variants = !isBoolean(after) && !same(stripDefault(before.variants), stripDefault(after.variants)) ? ["variants"] : [];
  return [...fields, ...variants, ...metadata];
}

const stripDefault = (variants: unknown) => listOf(variants).map(({ default: _, ...rest }) => rest);

function usersOf(state: EnvironmentState, segmentRef: string): string[] {
  return [...state.flags.values()]
    .filter((f) => segmentsUsedBy(f.flag).some((key) => refOf(f.namespace, key) === segmentRef))
    .map((f) => refOf(f.namespace, f.key));
}

// ---- drift ---------------------------------------------------------------------------------

export interface Drift {
  readonly ref: string;
  /** Environments that have the flag. */
  readonly environments: readonly Environment[];
  /** What promoting the earlier environment's definition would change in the later one. */
  readonly effects: readonly string[];
}

/** Flags whose definitions (with the segments they use) differ between two environments. */
export function findDrift(states: ReadonlyMap<Environment, EnvironmentState>, from: Environment, to: Environment): Drift[] {
  const [source, target] = [states.get(from)!, states.get(to)!];
  return unionKeys(source.flags, target.flags).flatMap((ref) => {
    const [s, t] = [source.flags.get(ref), target.flags.get(ref)];
    if (s !== undefined && t !== undefined && sameDefinition(s, source, t, target)) return [];
    const environments = [s && from, t && to].filter((e): e is Environment => e !== undefined);
    if (t === undefined) return [{ ref, environments, effects: [`only in ${from}: not promoted to ${to} yet (${describeFlag(s!.flag)})`] }];
    if (s === undefined) return [{ ref, environments, effects: [`only in ${to}: ${from} lacks it`] }];
    return [{ ref, environments, effects: [`differs; promoting ${from} → ${to} would change ${to}:`, ...changedEffects(t, target, s, source)] }];
  });
}

/** A flag and the segments it uses are the same in both environments. */
export function sameDefinition(a: FlagDefinition, aState: EnvironmentState, b: FlagDefinition, bState: EnvironmentState): boolean {
  if (!same(a.flag, b.flag)) return false;
  return segmentsUsedBy(a.flag).every((key) => same(aState.segments.get(refOf(a.namespace, key))?.segment, bState.segments.get(refOf(b.namespace, key))?.segment));
}

// ---- the whole report ----------------------------------------------------------------------

export interface EnvironmentReport extends EnvironmentDiff {
  readonly environment: Environment;
  /** The live environment: its changes take effect on merge. */
  readonly live: boolean;
}

export interface FlagsDiff {
  readonly base: string;
  readonly head: string;
  /** The base had the layout before environments: it is compared as every environment's state. */
  readonly baseSingleLayout: boolean;
  readonly environments: readonly EnvironmentReport[];
  readonly drift: readonly Drift[];
}

/** The live environment first, then the others from the last promotion step to the first. */
export const REPORT_ORDER: readonly Environment[] = [LIVE_ENVIRONMENT, ...[...ENVIRONMENTS].reverse().filter((e) => e !== LIVE_ENVIRONMENT)];

export function diffFlags(input: {
  base: string;
  head: string;
  baseSingleLayout: boolean;
  before: ReadonlyMap<Environment, EnvironmentState>;
  after: ReadonlyMap<Environment, EnvironmentState>;
}): FlagsDiff {
  const environments = REPORT_ORDER.map((environment) => {
    const diff = diffEnvironment(input.before.get(environment)!, input.after.get(environment)!);
    return { environment, live: environment === LIVE_ENVIRONMENT, ...diff, flags: diff.flags.map((c) => withOrigin(c, environment, input.after)) };
  });
  const drift = ENVIRONMENTS.slice(1).flatMap((to, i) => findDrift(input.after, ENVIRONMENTS[i], to));
  return { base: input.base, head: input.head, baseSingleLayout: input.baseSingleLayout, environments, drift };
}

/**
 * A change in a later environment that the environment before it does not serve was made there
 * directly (the emergency path), not promoted: say so, and how to bring the earlier one in line.
 */
function withOrigin(change: FlagChange, environment: Environment, after: ReadonlyMap<Environment, EnvironmentState>): FlagChange {
  const previous = ENVIRONMENTS[ENVIRONMENTS.indexOf(environment) - 1];
  if (previous === undefined) return change;
  const [here, there] = [after.get(environment)!, after.get(previous)!];
  const [mine, theirs] = [here.flags.get(change.ref), there.flags.get(change.ref)];
  if (mine === undefined ? theirs === undefined : theirs !== undefined && sameDefinition(mine, here, theirs, there)) return change;
  const note = `edited in ${environment} directly: ${previous} does not serve this; bring ${previous} in line (npm run flags -- promote --from ${environment} --to ${previous} --flag ${change.ref}) or the next promotion undoes it`;
  return { ...change, effects: [...change.effects, note] };
}

// ---- helpers -------------------------------------------------------------------------------

function unionKeys<V>(a: ReadonlyMap<string, V>, b: ReadonlyMap<string, V>): string[] {
  return [...new Set([...a.keys(), ...b.keys()])].sort();
}

/** Structural equality of YAML values, independent of map key order. */
export function same(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (isMap(value)) {
    return `{${Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value) ?? "undefined";
}
