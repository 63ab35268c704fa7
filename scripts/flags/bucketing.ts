/**
 * The two ways of putting a subject into a percentage rollout. The migration cannot make Flipt
 * use the file store's hash, so it reports how many subjects change state at each percentage.
 */

const FNV32_OFFSET = 0x811c9dc5;
const FNV32_PRIME = 0x01000193;

export function fnv32a(text: string): number {
  let hash = FNV32_OFFSET;
  for (const byte of Buffer.from(text, "utf8")) {
    hash = Math.imul(hash ^ byte, FNV32_PRIME) >>> 0;
  }
  return hash >>> 0;
}

// IEEE 802.3 polynomial, reflected: what Go's crc32.ChecksumIEEE computes. Node 20's zlib has no crc32.
const CRC32_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text, "utf8")) {
    crc = CRC32_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** File store: a subject is in when fnv32a(key + ":" + subject) % 100 < percent. */
export function fileStoreBucketIn(legacyKey: string, subject: string, percent: number): boolean {
  return fnv32a(`${legacyKey}:${subject}`) % 100 < percent;
}

/** Buckets of Flipt v1's boolean threshold rollouts (a percentage) and variant distributions (tenths of one). */
export const BOOLEAN_BUCKETS = 100;
export const VARIANT_BUCKETS = 1000;

/** Flipt v1 boolean flags: crc32(entityId + flagKey) % 100, the same bucket for every threshold rollout of the flag. */
export function fliptBooleanBucket(fliptKey: string, entityId: string): number {
  return crc32(entityId + fliptKey) % BOOLEAN_BUCKETS;
}

/** Flipt v1 variant flags: crc32(flagKey + entityId) % 1000, compared with the cumulative distributions (percentage × 10). */
export function fliptVariantBucket(fliptKey: string, entityId: string): number {
  return crc32(fliptKey + entityId) % VARIANT_BUCKETS;
}

/** Flipt v1 threshold rollout: in when crc32(entityId + flagKey) % 100 < percentage. */
export function fliptThresholdIn(fliptKey: string, entityId: string, percentage: number): boolean {
  return fliptBooleanBucket(fliptKey, entityId) < percentage;
}

/** Share of subjects whose state differs between two independent uniform buckets at `percent`. */
export function expectedChangeShare(percent: number): number {
  const p = Math.min(Math.max(percent, 0), 100) / 100;
  return 2 * p * (1 - p);
}

export const SAMPLE_SUBJECT_COUNT = 10_000;

/** Deterministic stand-in subjects for measuring how bucketing differs. */
export function sampleSubjects(count: number = SAMPLE_SUBJECT_COUNT): string[] {
  return Array.from({ length: count }, (_, i) => `subject-${i}`);
}

/** Share of `subjects` whose state differs between the file store and Flipt. */
export function measuredChangeShare(
  legacyKey: string,
  fliptKey: string,
  percent: number,
  subjects: readonly string[] = sampleSubjects(),
): number {
  const changed = subjects.filter(
    (subject) => fileStoreBucketIn(legacyKey, subject, percent) !== fliptThresholdIn(fliptKey, subject, percent),
  ).length;
  return changed / subjects.length;
}
