import { expectedChangeShare, measuredChangeShare, SAMPLE_SUBJECT_COUNT } from "./bucketing";
import {
  BOOLEAN_FLAG_TYPE,
  FLIPT_DOCUMENT_VERSION,
  type FliptDocument,
  type FliptFlag,
  type FliptSegment,
} from "./document";
import { UserError } from "./errors";
import { defaultExpiry, lifecycleMetadata } from "./lifecycle";
import { findMappingCollisions, fliptKeyFor, formatRef, type FliptFlagRef } from "./mapping";
import type { LegacyFlag, Snapshot } from "./snapshot";
import { textTable } from "./table";

/** Legacy keys under this prefix are operational kill switches: permanent, never stale. */
export const KILL_SWITCH_PREFIX = "platform.kill_switches.";

/** Matches subjects the file store calls blank; Flipt's `empty` operator also ignores white space. */
export const BLANK_SUBJECT_SEGMENT: FliptSegment = {
  key: "blank-subject",
  name: "Blank subject",
  description: "Entity id empty or white space: the file store serves such subjects the full flag state.",
  match_type: "ALL_MATCH_TYPE",
  constraints: [{ type: "ENTITY_ID_COMPARISON_TYPE", property: "entityId", operator: "empty" }],
};

/** What the file store serves for a flag, whatever the subject (blank subjects aside). */
export type ServedState = { kind: "off" } | { kind: "on" } | { kind: "partial"; percent: number };

export function servedState(flag: Pick<LegacyFlag, "enabled" | "rolloutPercent">): ServedState {
  if (!flag.enabled) return { kind: "off" };
  // proto3 cannot tell 0 from unset, so the store reads 0 as "everyone".
  if (flag.rolloutPercent === 0 || flag.rolloutPercent >= 100) return { kind: "on" };
  return { kind: "partial", percent: flag.rolloutPercent };
}

export interface MigratedFlag {
  readonly legacyKey: string;
  readonly ref: FliptFlagRef;
  readonly served: ServedState;
  /** Undefined for permanent flags. */
  readonly expires: string | undefined;
}

/** A partial rollout whose subjects Flipt buckets differently from the file store. */
export interface BucketingChange {
  readonly legacyKey: string;
  readonly ref: FliptFlagRef;
  readonly percent: number;
  /** 2·p·(1−p): the share expected to change state between two independent hashes. */
  readonly expectedShare: number;
  /** The share that changes among SAMPLE_SUBJECT_COUNT deterministic sample subjects. */
  readonly measuredShare: number;
}

export interface Migration {
  /** One document per namespace, sorted by namespace. */
  readonly documents: readonly FliptDocument[];
  /** In snapshot order. */
  readonly flags: readonly MigratedFlag[];
  readonly bucketingChanges: readonly BucketingChange[];
}

export interface MigrationOptions {
  /** `created` of every migrated flag (the snapshot has no creation dates). */
  readonly created: string;
  /** Owner for entries that list none; without it such entries are an error. */
  readonly defaultOwner?: string;
}

export function planMigration(snapshot: Snapshot, options: MigrationOptions): Migration {
  checkMappable(snapshot.flags, options);
  const flags = snapshot.flags.map((legacy) => migratedFlag(legacy, options.created));
  const byNamespace = new Map<string, FliptFlag[]>();
  snapshot.flags.forEach((legacy, i) => {
    const { namespace } = flags[i].ref;
    byNamespace.set(namespace, [...(byNamespace.get(namespace) ?? []), fliptFlag(legacy, flags[i], options)]);
  });
  const documents = [...byNamespace.keys()].sort().map((namespace) => {
    // Code-point order, so the output does not depend on the machine's locale.
    const namespaceFlags = byNamespace.get(namespace)!.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return namespaceDocument(namespace, namespaceFlags);
  });
  const bucketingChanges = flags.flatMap((flag) => (flag.served.kind === "partial" ? [bucketingChange(flag, flag.served.percent)] : []));
  return { documents, flags, bucketingChanges };
}

function checkMappable(legacyFlags: readonly LegacyFlag[], options: MigrationOptions): void {
  const problems: string[] = [];
  const mappable: string[] = [];
  for (const flag of legacyFlags) {
    try {
      fliptKeyFor(flag.key);
      mappable.push(flag.key);
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      problems.push(`${flag.position}: ${error.message}`);
    }
    if (flag.owners.length === 0 && options.defaultOwner === undefined) {
      problems.push(`${flag.position}: key ${JSON.stringify(flag.key)} has no owners; add one or pass --default-owner <team>`);
    }
  }
  for (const keys of findMappingCollisions(mappable)) {
    const ref = formatRef(fliptKeyFor(keys[0]));
    problems.push(`keys ${keys.map((k) => JSON.stringify(k)).join(" and ")} map to the same Flipt flag ${ref}`);
  }
  if (problems.length > 0) throw new UserError(problems);
}

function migratedFlag(legacy: LegacyFlag, created: string): MigratedFlag {
  return {
    legacyKey: legacy.key,
    ref: fliptKeyFor(legacy.key),
    served: servedState(legacy),
    expires: legacy.key.startsWith(KILL_SWITCH_PREFIX) ? undefined : defaultExpiry(created),
  };
}

function fliptFlag(legacy: LegacyFlag, migrated: MigratedFlag, options: MigrationOptions): FliptFlag {
  const owners = legacy.owners.length > 0 ? legacy.owners : [options.defaultOwner!];
  const metadata = lifecycleMetadata({
    owners,
    created: options.created,
    expires: migrated.expires,
    legacyKey: legacy.key,
  });
  const flag: FliptFlag = {
    key: migrated.ref.key,
    name: legacy.key,
    type: BOOLEAN_FLAG_TYPE,
    ...(legacy.description.trim() !== "" ? { description: legacy.description.trim() } : {}),
    enabled: migrated.served.kind === "on",
    metadata,
  };
  if (migrated.served.kind === "partial") {
    // Flipt returns `enabled` when no rollout matches: off, except for the two rollouts below.
    flag.rollouts = [
      { description: "Blank subjects get the full flag state, as in the file store", segment: { key: BLANK_SUBJECT_SEGMENT.key, value: true } },
      { description: `${migrated.served.percent}% of subjects`, threshold: { percentage: migrated.served.percent, value: true } },
    ];
  }
  return flag;
}

function namespaceDocument(namespace: string, flags: FliptFlag[]): FliptDocument {
  const document: FliptDocument = { version: FLIPT_DOCUMENT_VERSION, namespace, flags };
  if (flags.some((flag) => flag.rollouts !== undefined)) document.segments = [BLANK_SUBJECT_SEGMENT];
  return document;
}

function bucketingChange(flag: MigratedFlag, percent: number): BucketingChange {
  return {
    legacyKey: flag.legacyKey,
    ref: flag.ref,
    percent,
    expectedShare: expectedChangeShare(percent),
    measuredShare: measuredChangeShare(flag.legacyKey, flag.ref.key, percent),
  };
}

// ---- report -----------------------------------------------------------------------------

export function describeServed(served: ServedState): string {
  switch (served.kind) {
    case "off":
      return "off for everyone";
    case "on":
      return "on for everyone";
    case "partial":
      return `on for ${served.percent}% of subjects`;
  }
}

/** The old key → new key table printed by `migrate`. */
export function mappingTable(flags: readonly MigratedFlag[]): string {
  return textTable(
    ["legacy key", "namespace", "flipt key", "served", "lifecycle"],
    flags.map((flag) => [
      flag.legacyKey,
      flag.ref.namespace,
      flag.ref.key,
      describeServed(flag.served),
      flag.expires === undefined ? "permanent" : `expires ${flag.expires}`,
    ]),
  );
}

const percent = (share: number) => `${(share * 100).toFixed(1)}%`;

export function bucketingReport(changes: readonly BucketingChange[]): string[] {
  if (changes.length === 0) {
    return ["No partial rollouts: every subject keeps the state the file store served."];
  }
  return [
    "Partial rollouts: Flipt puts a subject in when crc32(entityId + flag key) % 100 < percentage; the file store used fnv32a(key + \":\" + subject) % 100 < percent. The hashes differ, so some subjects change state:",
    ...changes.map(
      (change) =>
        `  ${change.legacyKey} -> ${formatRef(change.ref)} at ${change.percent}%: about ${percent(change.expectedShare)} of subjects change state (2·p·(1−p); ${percent(change.measuredShare)} of ${SAMPLE_SUBJECT_COUNT} sample subjects)`,
    ),
    "  Blank subjects (empty or white-space entity id) stay on through the blank-subject segment. Services must send the subject as entityId / targetingKey: OFREP without a targetingKey evaluates a random id on every request.",
  ];
}
