/**
 * The platform's file store, as file-store-migration/README.md describes it: the oracle the
 * migrated flags are checked against. Deliberately written from that description, not from the
 * migration's code, so that the two can disagree.
 */
import { fileStoreBucketIn } from "../../../scripts/flags/bucketing";

export interface FileStoreEntry {
  readonly key: string;
  readonly enabled?: boolean;
  readonly rollout_percent?: number;
}

export class FileStore {
  private readonly flags = new Map<string, { enabled: boolean; percent: number }>();

  constructor(entries: readonly FileStoreEntry[]) {
    for (const entry of entries) {
      const key = entry.key.trim();
      if (key === "") continue; // empty keys are ignored
      // A later entry with the same key replaces an earlier one.
      this.flags.set(key, { enabled: entry.enabled ?? false, percent: entry.rollout_percent ?? 0 });
    }
  }

  keys(): string[] {
    return [...this.flags.keys()];
  }

  /** The rollout percentage when the flag is a partial rollout (enabled, 1..99), else undefined. */
  partialPercent(key: string): number | undefined {
    const flag = this.flags.get(key.trim());
    return flag && flag.enabled && flag.percent >= 1 && flag.percent <= 99 ? flag.percent : undefined;
  }

  evaluate(key: string, subject: string): boolean {
    const flag = this.flags.get(key.trim());
    if (!flag || !flag.enabled) return false; // unknown flags are off; disabled is off whatever the percentage
    if (flag.percent === 0 || flag.percent >= 100) return true; // proto3: 0 is indistinguishable from unset
    if (subject.trim() === "") return true; // a blank subject gets the full flag state
    return fileStoreBucketIn(key.trim(), subject, flag.percent);
  }
}
