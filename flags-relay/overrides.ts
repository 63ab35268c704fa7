import type { FolderFile } from "../scripts/flags/folder";
import { describeFlag, describeValue, findFlag, forcedValueProblem, forceFlagInText, servesForcedValue, type FoundFlag } from "../scripts/flags/flagEdit";
import { OVERRIDE_KEYS, type OverrideState, type OverrideValue } from "../builders/flagsRelayContract";

/** An override object as the relay reads it from the API server. */
export interface Override {
  readonly name: string;
  readonly uid: string;
  readonly flag: string;
  readonly value: OverrideValue;
  readonly reason: string;
  readonly requestedBy: string;
  readonly requestedAt: string;
}

/** Reads an override ConfigMap; a malformed one is named with what is wrong (and never applied). */
export function parseOverride(object: { metadata: { name: string; uid?: string }; data?: Record<string, string> }): Override | { name: string; problem: string } {
  const data = object.data ?? {};
  const name = object.metadata.name;
  const flag = data[OVERRIDE_KEYS.flag];
  if (!flag) return { name, problem: `no ${OVERRIDE_KEYS.flag}` };
  let value: unknown;
  try {
    value = JSON.parse(data[OVERRIDE_KEYS.value] ?? "");
  } catch {
    return { name, problem: `${OVERRIDE_KEYS.value} is not JSON` };
  }
  const v = value as Record<string, unknown>;
  const valid = v !== null && typeof v === "object" && (typeof v.enabled === "boolean" || typeof v.rollout === "number");
  if (!valid) return { name, problem: `${OVERRIDE_KEYS.value}: expected {"enabled": true|false} or {"rollout": <percent>}` };
  return {
    name,
    uid: object.metadata.uid ?? name,
    flag,
    value: typeof v.enabled === "boolean" ? { enabled: v.enabled } : { rollout: v.rollout as number },
    reason: data[OVERRIDE_KEYS.reason] ?? "",
    requestedBy: data[OVERRIDE_KEYS.requestedBy] ?? "unknown",
    requestedAt: data[OVERRIDE_KEYS.requestedAt] ?? "",
  };
}

/** What the relay remembers of an override across polls (and restarts, on its volume). */
export interface OverrideMemory {
  /** When the relay first saw it. */
  readonly since: string;
  /** What upstream's last good commit served for the flag then: a change of it is a conflict. */
  readonly baseline: string;
  /** Set once upstream carried the override's values: it has ended and is never applied again. */
  readonly mergedAt?: string;
}

export interface OverrideDecision {
  readonly state: OverrideState;
  readonly message: string;
  readonly memory: OverrideMemory;
}

/** The flag's evaluation as a comparable string. */
function evaluationKey(flag: FoundFlag): string {
  return JSON.stringify({ type: flag.type, enabled: flag.enabled, rollouts: flag.rollouts });
}

/** Decides one override against upstream's last good commit (the stack folder's files). */
export function decideOverride(override: Override, upstream: readonly FolderFile[], memory: OverrideMemory | undefined, now: string): OverrideDecision {
  const flag = findFlag(upstream, override.flag);
  if (memory?.mergedAt) return { state: "merged", message: `ended at ${memory.mergedAt}: upstream serves ${describeValue(override.value)}`, memory };
  if (flag === undefined) {
    return { state: "rejected", message: `${override.flag} is not in upstream's last good commit; not applied`, memory: memory ?? { since: now, baseline: "absent" } };
  }
  const problem = forcedValueProblem(flag, override.value);
  if (problem) return { state: "rejected", message: `${problem}; not applied`, memory: memory ?? { since: now, baseline: evaluationKey(flag) } };
  const remembered = memory ?? { since: now, baseline: evaluationKey(flag) };
  if (servesForcedValue(flag, override.value)) {
    return { state: "merged", message: `upstream serves ${describeValue(override.value)}: the override ended by itself`, memory: { ...remembered, mergedAt: now } };
  }
  if (evaluationKey(flag) !== remembered.baseline) {
    return { state: "conflict", message: `upstream changed ${override.flag} to ${describeFlag(flag)} since the override began; still serving ${describeValue(override.value)}: merge it or clear it`, memory: remembered };
  }
  return { state: "applied", message: `serving ${describeValue(override.value)} (upstream: ${describeFlag(flag)})`, memory: remembered };
}

/** The folder with one override's value written into the flag's file, or a reason it cannot be. */
export function applyOverride(folder: readonly FolderFile[], override: Override): FolderFile[] | { problem: string } {
  const flag = findFlag(folder, override.flag);
  if (flag === undefined) return { problem: `${override.flag} not found` };
  const file = folder.find((f) => f.path === flag.file)!;
  const text = forceFlagInText(file.text, flag, override.value);
  if (text === undefined) return { problem: `${flag.file}: ${flag.key} is not written as "- key: ${flag.key}", so the relay cannot edit it` };
  return folder.map((f) => (f === file ? { path: f.path, text } : f));
}
