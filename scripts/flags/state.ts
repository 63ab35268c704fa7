import * as yaml from "js-yaml";
import { fliptBooleanBucket, fliptVariantBucket, BOOLEAN_BUCKETS, VARIANT_BUCKETS } from "./bucketing";
import { BOOLEAN_FLAG_TYPE } from "./document";
import { includedFiles, readIndex, type FolderFile } from "./folder";
import { DEFAULT_NAMESPACE } from "./mapping";

/**
 * What one environment serves, read from its files the way Flipt loads them (included files,
 * walk order, segments per namespace), and Flipt v1's evaluation of it for a subject described
 * by the segments it matches and its bucket. `diff` and `promote` work on this; `lint` is what
 * says whether the files are valid, so unreadable parts are skipped here rather than reported.
 */

/** A flag or segment as written in a file: js-yaml's plain objects. */
export type Definition = Record<string, unknown>;

export interface FlagDefinition {
  readonly namespace: string;
  readonly key: string;
  /** Path of its file relative to the environment's directory. */
  readonly file: string;
  readonly flag: Definition;
}

export interface SegmentDefinition {
  readonly namespace: string;
  readonly key: string;
  readonly file: string;
  readonly segment: Definition;
}

export interface EnvironmentState {
  /** By `namespace/key`. */
  readonly flags: ReadonlyMap<string, FlagDefinition>;
  /** By `namespace/key`. */
  readonly segments: ReadonlyMap<string, SegmentDefinition>;
}

export const refOf = (namespace: string, key: string) => `${namespace}/${key}`;

export function readEnvironmentState(files: readonly FolderFile[]): EnvironmentState {
  const flags = new Map<string, FlagDefinition>();
  const segments = new Map<string, SegmentDefinition>();
  for (const file of includedFiles(files, readIndex(files).index)) {
    let documents: unknown[];
    try {
      documents = yaml.loadAll(file.text);
    } catch {
      continue; // lint reports the syntax error
    }
    for (const document of documents) {
      if (!isMap(document)) continue;
      const namespace = namespaceOf(document);
      for (const segment of listOf(document.segments)) {
        if (typeof segment.key === "string") segments.set(refOf(namespace, segment.key), { namespace, key: segment.key, file: file.path, segment });
      }
      for (const flag of listOf(document.flags)) {
        const ref = typeof flag.key === "string" ? refOf(namespace, flag.key) : undefined;
        if (ref !== undefined && !flags.has(ref)) flags.set(ref, { namespace, key: flag.key as string, file: file.path, flag });
      }
    }
  }
  return { flags, segments };
}

export function namespaceOf(document: Definition): string {
  const value = document.namespace;
  if (typeof value === "string") return value;
  if (isMap(value) && typeof value.key === "string") return value.key;
  return DEFAULT_NAMESPACE;
}

export function isMap(value: unknown): value is Definition {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

export function listOf(value: unknown): Definition[] {
  return Array.isArray(value) ? value.filter(isMap) : [];
}

export const isBoolean = (flag: Definition) => flag.type === BOOLEAN_FLAG_TYPE;

// ---- which segments a flag uses ------------------------------------------------------------

/** A rule's or rollout's segment selector: its keys and whether all or any must match. */
export interface SegmentSelector {
  readonly keys: readonly string[];
  readonly all: boolean;
}

export function selectorOf(segment: unknown): SegmentSelector | undefined {
  if (typeof segment === "string") return { keys: [segment], all: false };
  if (!isMap(segment)) return undefined;
  const all = segment.operator === "AND_SEGMENT_OPERATOR";
  if (typeof segment.key === "string") return { keys: [segment.key], all };
  if (Array.isArray(segment.keys)) return { keys: segment.keys.filter((k): k is string => typeof k === "string"), all };
  return undefined;
}

/** Segment keys the flag's rollouts (boolean) or rules (variant) select, in order of first use. */
export function segmentsUsedBy(flag: Definition): string[] {
  const selectors = [...listOf(flag.rollouts).map((r) => r.segment), ...listOf(flag.rules).map((r) => r.segment)].map(selectorOf);
  return [...new Set(selectors.flatMap((s) => s?.keys ?? []))];
}

// ---- evaluation ----------------------------------------------------------------------------

/**
 * A subject as the evaluation sees it: the segments it matches and its bucket (0-99 for boolean
 * threshold rollouts, 0-999 for variant distributions; see bucketing.ts).
 */
export interface Subject {
  readonly segments: ReadonlySet<string>;
  readonly bucket: number;
}

const matches = (selector: SegmentSelector | undefined, subject: Subject) =>
  selector !== undefined &&
  selector.keys.length > 0 &&
  (selector.all ? selector.keys.every((k) => subject.segments.has(k)) : selector.keys.some((k) => subject.segments.has(k)));

/** What the caller gets, as text: "true", "false", a variant, or the caller's default. */
export type Served = string;
export const CALLER_DEFAULT = "the caller's default";

/**
 * Flipt v1 boolean evaluation: the first rollout that applies wins (a threshold applies when the
 * subject's bucket is below its percentage), otherwise `enabled`.
 */
export function serveBoolean(flag: Definition, subject: Subject): Served {
  for (const rollout of listOf(flag.rollouts)) {
    if (isMap(rollout.threshold)) {
      const percentage = Number(rollout.threshold.percentage);
      if (subject.bucket < percentage) return String(rollout.threshold.value === true);
    } else if (matches(selectorOf(rollout.segment), subject)) {
      return String(isMap(rollout.segment) && rollout.segment.value === true);
    }
  }
  return String(flag.enabled === true);
}

/**
 * Flipt v1 variant evaluation (v1.61.1's evaluator): a disabled flag gives the caller its default;
 * otherwise the first matching rule (by rank) picks a variant from its cumulative distributions by
 * the subject's bucket. A subject past them (a hold-out), a matching rule without distributions,
 * and no matching rule all get the default variant if the flag has one, else the caller's default.
 */
export function serveVariant(flag: Definition, subject: Subject): Served {
  if (flag.enabled !== true) return CALLER_DEFAULT;
  const fallback = listOf(flag.variants).find((v) => v.default === true);
  const defaultVariant = (matched: boolean) =>
    fallback !== undefined ? `variant ${String(fallback.key)} (default variant)` : matched ? `no variant (${CALLER_DEFAULT})` : CALLER_DEFAULT;
  for (const rule of rankedRules(flag)) {
    if (!matches(selectorOf(rule.segment), subject)) continue;
    let upper = 0;
    for (const distribution of listOf(rule.distributions)) {
      upper += Math.round(Number(distribution.rollout) * (VARIANT_BUCKETS / 100));
      if (subject.bucket < upper) return `variant ${String(distribution.variant)}`;
    }
    return defaultVariant(true);
  }
  return defaultVariant(false);
}

export function rankedRules(flag: Definition): Definition[] {
  return listOf(flag.rules)
    .map((rule, index) => ({ rule, rank: typeof rule.rank === "number" ? rule.rank : index + 1 }))
    .sort((a, b) => a.rank - b.rank)
    .map((r) => r.rule);
}

export function serve(flag: Definition, subject: Subject): Served {
  return isBoolean(flag) ? serveBoolean(flag, subject) : serveVariant(flag, subject);
}

export function bucketCount(flag: Definition): number {
  return isBoolean(flag) ? BOOLEAN_BUCKETS : VARIANT_BUCKETS;
}

/** The bucket Flipt puts `entityId` in for this flag. */
export function bucketOf(flag: Definition, key: string, entityId: string): number {
  return isBoolean(flag) ? fliptBooleanBucket(key, entityId) : fliptVariantBucket(key, entityId);
}
