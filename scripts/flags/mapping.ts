import { UserError } from "./errors";

/**
 * How a file-store key becomes a Flipt flag reference. Services evaluate through OpenFeature
 * with the namespace and key returned here; flags/README.md documents the same rule.
 *
 *   platform.kill_switches.llm_gateway.inference
 *   └──┬───┘ └──────────────┬──────────────────┘
 *   namespace "platform"    key "kill_switches--llm_gateway--inference"
 *
 * - The key is trimmed, then split on ".".
 * - The first segment names the Flipt namespace; the remaining segments, joined with "--",
 *   form the Flipt key. A key without "." lives in the "default" namespace unchanged.
 * - Every segment must itself be a valid Flipt key (`^[-_,A-Za-z0-9]+$`, so no empty segment).
 *
 * The rule is deterministic but not injective on its own ("a.b--c" and "a.b.c" both give
 * a/b--c; "x" and "default.x" both give default/x): `findMappingCollisions` rejects such pairs
 * so that two source keys never share one Flipt flag.
 */
export const FLIPT_KEY_PATTERN = /^[-_,A-Za-z0-9]+$/;
export const DEFAULT_NAMESPACE = "default";
export const LEGACY_SEPARATOR = ".";
export const FLIPT_KEY_SEPARATOR = "--";

export interface FliptFlagRef {
  readonly namespace: string;
  readonly key: string;
}

export function fliptKeyFor(legacyKey: string): FliptFlagRef {
  const trimmed = legacyKey.trim();
  if (trimmed === "") throw new UserError("legacy key is empty");
  const segments = trimmed.split(LEGACY_SEPARATOR);
  const bad = segments.find((segment) => !FLIPT_KEY_PATTERN.test(segment));
  if (bad !== undefined) {
    const why = bad === "" ? "has an empty segment" : `has segment ${JSON.stringify(bad)}`;
    throw new UserError(
      `legacy key ${JSON.stringify(trimmed)} ${why}; each "."-separated segment must match ${FLIPT_KEY_PATTERN.source}`,
    );
  }
  if (segments.length === 1) return { namespace: DEFAULT_NAMESPACE, key: trimmed };
  return { namespace: segments[0], key: segments.slice(1).join(FLIPT_KEY_SEPARATOR) };
}

export function formatRef(ref: FliptFlagRef): string {
  return `${ref.namespace}/${ref.key}`;
}

/** Groups of legacy keys that map to the same Flipt flag (only groups of two or more). */
export function findMappingCollisions(legacyKeys: readonly string[]): string[][] {
  const byRef = new Map<string, string[]>();
  for (const legacyKey of legacyKeys) {
    const ref = formatRef(fliptKeyFor(legacyKey));
    byRef.set(ref, [...(byRef.get(ref) ?? []), legacyKey]);
  }
  return [...byRef.values()].filter((keys) => keys.length > 1);
}
