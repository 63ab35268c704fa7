import { addDays, daysBetween, isDate } from "./dates";
import type { MetadataValue } from "./document";

/**
 * Lifecycle metadata every flag carries in Flipt's `metadata` map, and the review policy.
 * flags/README.md explains the policy to people; this is its single definition in code.
 */
export const METADATA = {
  owner: "owner",
  owners: "owners",
  created: "created",
  expires: "expires",
  permanent: "permanent",
  legacyKey: "legacy_key",
  reviewed: "reviewed",
  reviewNote: "review_note",
} as const;

/** A flag older than this (and not permanent) needs review; a review restarts the count. */
export const REVIEW_AFTER_DAYS = 90;
/** `expires` of a new or migrated flag unless one is given. */
export const DEFAULT_LIFETIME_DAYS = 90;

interface LifecycleBase {
  owner: string;
  created: string;
  /** The last review that kept the flag; the review-age count starts here instead of `created`. */
  reviewed?: string;
}

export type Lifecycle = (LifecycleBase & { permanent: true }) | (LifecycleBase & { permanent: false; expires: string });

export interface LifecycleInput {
  owners: readonly string[];
  created: string;
  /** Undefined means permanent. */
  expires: string | undefined;
  legacyKey?: string;
}

export function defaultExpiry(created: string): string {
  return addDays(created, DEFAULT_LIFETIME_DAYS);
}

/** The metadata map in a stable, readable key order. */
export function lifecycleMetadata(input: LifecycleInput): Record<string, MetadataValue> {
  const metadata: Record<string, MetadataValue> = { [METADATA.owner]: input.owners[0] };
  if (input.owners.length > 1) metadata[METADATA.owners] = input.owners.join(",");
  metadata[METADATA.created] = input.created;
  if (input.expires === undefined) metadata[METADATA.permanent] = true;
  else metadata[METADATA.expires] = input.expires;
  if (input.legacyKey !== undefined) metadata[METADATA.legacyKey] = input.legacyKey;
  return metadata;
}

export interface LifecycleProblem {
  /** The metadata field at fault, or undefined when the map itself is. */
  readonly field: string | undefined;
  readonly message: string;
}

/**
 * Reads lifecycle metadata; `problems` is empty exactly when `lifecycle` is defined. With
 * `today`, a `created` date after it is a problem too.
 */
export function readLifecycle(
  metadata: unknown,
  today?: string,
): { lifecycle?: Lifecycle; problems: LifecycleProblem[] } {
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
    const found = metadata === undefined ? "none" : describe(metadata);
    return {
      problems: [{ field: undefined, message: `lifecycle metadata missing: expected a metadata map with owner, created and expires or permanent, found ${found}` }],
    };
  }
  const map = metadata as Record<string, unknown>;
  const problems: LifecycleProblem[] = [];
  const problem = (field: string | undefined, message: string) => problems.push({ field, message });

  const owner = map[METADATA.owner];
  if (typeof owner !== "string" || owner.trim() === "") {
    problem(METADATA.owner, `metadata.owner: expected the owning team, found ${describe(owner)}`);
  }
  const created = map[METADATA.created];
  if (!isDate(created)) {
    problem(METADATA.created, `metadata.created: expected a quoted date "YYYY-MM-DD", found ${describe(created)}`);
  } else if (today !== undefined && daysBetween(today, created) > 0) {
    problem(METADATA.created, `metadata.created: ${created} is after today (${today})`);
  }
  problems.push(...expiryProblems(map, created), ...reviewProblems(map, created, today));
  for (const [field, value] of Object.entries(map)) {
    const reported = problems.some((p) => p.field === field);
    if (!reported && !["string", "number", "boolean"].includes(typeof value)) {
      problem(field, `metadata.${field}: Flipt metadata values are strings, numbers or booleans, found ${describe(value)}`);
    }
  }
  if (problems.length > 0) return { problems };
  const base: LifecycleBase = { owner: owner as string, created: created as string };
  if (map[METADATA.reviewed] !== undefined) base.reviewed = map[METADATA.reviewed] as string;
  const lifecycle: Lifecycle =
    map[METADATA.permanent] === true
      ? { ...base, permanent: true }
      : { ...base, permanent: false, expires: map[METADATA.expires] as string };
  return { lifecycle, problems };
}

/** Exactly one of `expires` (a date, not before `created`) and `permanent: true`. */
function expiryProblems(map: Record<string, unknown>, created: unknown): LifecycleProblem[] {
  const expires = map[METADATA.expires];
  const permanent = map[METADATA.permanent];
  if (permanent !== undefined && permanent !== true) {
    return [{ field: METADATA.permanent, message: `metadata.permanent: expected true (or leave it out and set expires), found ${describe(permanent)}` }];
  }
  if (permanent === true && expires !== undefined) {
    return [{ field: METADATA.expires, message: "metadata: a flag is either permanent or expires, not both" }];
  }
  if (permanent === undefined && expires === undefined) {
    return [{ field: undefined, message: "metadata: expected expires (the removal date) or permanent: true" }];
  }
  if (expires !== undefined && !isDate(expires)) {
    return [{ field: METADATA.expires, message: `metadata.expires: expected a quoted date "YYYY-MM-DD", found ${describe(expires)}` }];
  }
  if (isDate(expires) && isDate(created) && daysBetween(created, expires) < 0) {
    return [{ field: METADATA.expires, message: `metadata.expires: ${expires} is before created (${created})` }];
  }
  return [];
}

/** `reviewed` (a date, with a `review_note` saying why the flag stays) is optional. */
function reviewProblems(map: Record<string, unknown>, created: unknown, today: string | undefined): LifecycleProblem[] {
  const reviewed = map[METADATA.reviewed];
  const note = map[METADATA.reviewNote];
  if (reviewed === undefined) {
    return note === undefined ? [] : [{ field: METADATA.reviewNote, message: "metadata.review_note: goes with reviewed (the review date)" }];
  }
  if (!isDate(reviewed)) {
    return [{ field: METADATA.reviewed, message: `metadata.reviewed: expected a quoted date "YYYY-MM-DD", found ${describe(reviewed)}` }];
  }
  const problems: LifecycleProblem[] = [];
  if (isDate(created) && daysBetween(created, reviewed) < 0) {
    problems.push({ field: METADATA.reviewed, message: `metadata.reviewed: ${reviewed} is before created (${created})` });
  }
  if (today !== undefined && daysBetween(today, reviewed) > 0) {
    problems.push({ field: METADATA.reviewed, message: `metadata.reviewed: ${reviewed} is after today (${today})` });
  }
  if (typeof note !== "string" || note.trim() === "") {
    problems.push({ field: METADATA.reviewed, message: `metadata.review_note: expected the reason the flag stays, found ${describe(note)}` });
  }
  return problems;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value instanceof Date) return `an unquoted date (${value.toISOString().slice(0, 10)}); quote it`;
  if (Array.isArray(value)) return "a list";
  if (value === null) return "null";
  if (typeof value === "object") return "a map";
  return JSON.stringify(value);
}
