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
} as const;

/** A flag older than this (and not permanent) needs review. */
export const REVIEW_AFTER_DAYS = 90;
/** `expires` of a new or migrated flag unless one is given. */
export const DEFAULT_LIFETIME_DAYS = 90;

export type Lifecycle =
  | { owner: string; created: string; permanent: true }
  | { owner: string; created: string; permanent: false; expires: string };

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

/** Reads lifecycle metadata; `problems` is empty exactly when `lifecycle` is defined. */
export function readLifecycle(
  metadata: unknown,
  today: string,
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
  } else if (daysBetween(today, created) > 0) {
    problem(METADATA.created, `metadata.created: ${created} is after today (${today})`);
  }
  const expires = map[METADATA.expires];
  const permanent = map[METADATA.permanent];
  if (permanent !== undefined && permanent !== true) {
    problem(METADATA.permanent, `metadata.permanent: expected true (or leave it out and set expires), found ${describe(permanent)}`);
  } else if (permanent === true && expires !== undefined) {
    problem(METADATA.expires, "metadata: a flag is either permanent or expires, not both");
  } else if (permanent === undefined && expires === undefined) {
    problem(undefined, "metadata: expected expires (the removal date) or permanent: true");
  } else if (expires !== undefined && !isDate(expires)) {
    problem(METADATA.expires, `metadata.expires: expected a quoted date "YYYY-MM-DD", found ${describe(expires)}`);
  } else if (isDate(expires) && isDate(created) && daysBetween(created, expires) < 0) {
    problem(METADATA.expires, `metadata.expires: ${expires} is before created (${created})`);
  }
  for (const [field, value] of Object.entries(map)) {
    const reported = problems.some((p) => p.field === field);
    if (!reported && !["string", "number", "boolean"].includes(typeof value)) {
      problem(field, `metadata.${field}: Flipt metadata values are strings, numbers or booleans, found ${describe(value)}`);
    }
  }
  if (problems.length > 0) return { problems };
  const base = { owner: owner as string, created: created as string };
  const lifecycle: Lifecycle =
    permanent === true ? { ...base, permanent: true } : { ...base, permanent: false, expires: expires as string };
  return { lifecycle, problems };
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value instanceof Date) return `an unquoted date (${value.toISOString().slice(0, 10)}); quote it`;
  if (Array.isArray(value)) return "a list";
  if (value === null) return "null";
  if (typeof value === "object") return "a map";
  return JSON.stringify(value);
}
