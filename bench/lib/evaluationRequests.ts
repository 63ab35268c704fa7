/**
 * What every load sends Flipt: its evaluation endpoints (Flipt's own and OFREP's) and the entity
 * ids requests are made for. The load generators (bench/load/) and the checks before a load use it.
 */

export const EVALUATE_PATHS = {
  boolean: "/evaluate/v1/boolean",
  batch: "/evaluate/v1/batch",
} as const;

/** OFREP (OpenFeature Remote Evaluation Protocol) single-flag evaluation, what an OFREP provider sends. */
export const OFREP_FLAG_PATH = "/ofrep/v1/evaluate/flags/";
/** Flipt v1 takes an OFREP request's namespace from this header (the default namespace without it). */
export const OFREP_NAMESPACE_HEADER = "X-Flipt-Namespace";

/** Entity ids are `org-<n>`, n uniform in 1..ENTITY_COUNT: every request is a different subject. */
export const ENTITY_COUNT = 100_000;

/** One entity id, `org-<n>` with n uniform in 1..ENTITY_COUNT. */
export function randomEntityId(random: () => number = Math.random): string {
  return `org-${1 + Math.floor(random() * ENTITY_COUNT)}`;
}
