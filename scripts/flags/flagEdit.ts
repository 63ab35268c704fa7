import { BOOLEAN_FLAG_TYPE, VARIANT_FLAG_TYPE, type FlagType } from "./document";
import type { FolderFile } from "./folder";
import { DEFAULT_NAMESPACE } from "./mapping";
import { readEnvironmentState } from "./state";

/**
 * A flag's evaluation forced to one value for everyone, or a boolean flag to a share of entities:
 * what a break-glass override serves. The same edit is what the relay serves and what the pull
 * request that makes the override permanent holds, so "upstream carries the override" is a plain
 * comparison of the two.
 */
export type ForcedValue = { readonly enabled: boolean } | { readonly rollout: number };

/** A flag as one environment's folder holds it. */
export interface FoundFlag {
  /** The file's path in the folder. */
  readonly file: string;
  readonly namespace: string;
  readonly key: string;
  readonly type: FlagType;
  readonly enabled: boolean;
  /** Boolean flags' rollouts, as written ([] when none). */
  readonly rollouts: readonly unknown[];
}

/** Every flag of the files the folder's index includes, as Flipt reads them (readEnvironmentState); files that do not parse are skipped (the checks report them). */
export function folderFlags(files: readonly FolderFile[]): FoundFlag[] {
  return [...readEnvironmentState(files).flags.values()].map(({ file, namespace, key, flag }) => ({
    file,
    namespace,
    key,
    type: flag.type === VARIANT_FLAG_TYPE ? VARIANT_FLAG_TYPE : BOOLEAN_FLAG_TYPE,
    enabled: flag.enabled === true,
    rollouts: Array.isArray(flag.rollouts) ? flag.rollouts : [],
  }));
}

export function findFlag(files: readonly FolderFile[], flag: string): FoundFlag | undefined {
  const [namespace, key] = splitFlag(flag);
  return folderFlags(files).find((f) => f.namespace === namespace && f.key === key);
}

/** `<namespace>/<key>` → [namespace, key]; a bare key is in the default namespace. */
export function splitFlag(flag: string): [string, string] {
  const slash = flag.indexOf("/");
  return slash < 0 ? [DEFAULT_NAMESPACE, flag] : [flag.slice(0, slash), flag.slice(slash + 1)];
}

/** Why a value cannot be forced on a flag, or undefined when it can. */
export function forcedValueProblem(flag: FoundFlag, value: ForcedValue): string | undefined {
  if ("rollout" in value) {
    if (flag.type !== BOOLEAN_FLAG_TYPE) return `${flag.namespace}/${flag.key} is a variant flag; --rollout applies to boolean flags (use --enabled)`;
    if (!Number.isFinite(value.rollout) || value.rollout < 0 || value.rollout > 100) return `rollout ${value.rollout}: expected a percentage from 0 to 100`;
  }
  return undefined;
}

/** The rollouts a forced boolean value leaves: none (everyone gets `enabled`), or one threshold. */
function forcedRollouts(value: ForcedValue): unknown[] {
  return "rollout" in value ? [{ threshold: { percentage: value.rollout, value: true } }] : [];
}

/** True when the flag as written already serves the forced value (what "upstream carries the override" means). */
export function servesForcedValue(flag: FoundFlag, value: ForcedValue): boolean {
  if (flag.type === VARIANT_FLAG_TYPE) return "enabled" in value && flag.enabled === value.enabled;
  const enabled = "enabled" in value ? value.enabled : false;
  return flag.enabled === enabled && JSON.stringify(flag.rollouts) === JSON.stringify(forcedRollouts(value));
}

/** A short description of what a flag serves, for status lines and logs. */
export function describeFlag(flag: FoundFlag): string {
  if (flag.type === VARIANT_FLAG_TYPE) return `enabled=${flag.enabled} (variant flag)`;
  const [only] = flag.rollouts as { threshold?: { percentage?: unknown; value?: unknown } }[];
  if (flag.rollouts.length === 1 && only?.threshold?.value === true && flag.enabled === false) return `rollout ${only.threshold.percentage}%`;
  return flag.rollouts.length === 0 ? `enabled=${flag.enabled}` : `enabled=${flag.enabled} after ${flag.rollouts.length} rollout rule(s)`;
}

export function describeValue(value: ForcedValue): string {
  return "rollout" in value ? `rollout ${value.rollout}%` : `enabled=${value.enabled}`;
}

const KEY_LINE = /^(\s*)- key:\s*(.+?)\s*$/;

function unquote(text: string): string {
  const trimmed = text.replace(/\s+#.*$/, "");
  return /^(["']).*\1$/.test(trimmed) ? trimmed.slice(1, -1) : trimmed;
}

/**
 * The file's text with the flag's evaluation forced: its `enabled` line set and, for a boolean
 * flag, its rollouts replaced (none, or one threshold). Every other line is kept, so the pull
 * request that makes an override permanent is a small diff. Undefined when the flag's item is not
 * written as `- key: <key>` in a block list (the caller falls back to a reason).
 */
export function forceFlagInText(text: string, flag: FoundFlag, value: ForcedValue): string | undefined {
  const lines = text.split("\n");
  const start = lines.findIndex((line) => {
    const match = KEY_LINE.exec(line);
    return match !== null && unquote(match[2]) === flag.key;
  });
  if (start < 0) return undefined;
  const itemIndent = KEY_LINE.exec(lines[start])![1].length;
  const fieldIndent = " ".repeat(itemIndent + 2);
  let end = start + 1;
  while (end < lines.length && (lines[end].trim() === "" || lines[end].search(/\S/) > itemIndent)) end++;
  // Trailing blank lines belong to what follows.
  while (end > start + 1 && lines[end - 1].trim() === "") end--;
  const item = lines.slice(start, end);
  const fieldAt = (name: string) => item.findIndex((line, i) => i > 0 && line.startsWith(`${fieldIndent}${name}:`));
  const fieldEnd = (at: number) => {
    let next = at + 1;
    while (next < item.length && (item[next].trim() === "" || item[next].search(/\S/) > fieldIndent.length)) next++;
    return next;
  };
  const enabled = "enabled" in value ? value.enabled : false;
  const enabledLine = `${fieldIndent}enabled: ${enabled}`;
  const enabledAt = fieldAt("enabled");
  if (enabledAt >= 0) item.splice(enabledAt, fieldEnd(enabledAt) - enabledAt, enabledLine);
  else {
    const typeAt = fieldAt("type");
    item.splice(typeAt >= 0 ? typeAt + 1 : 1, 0, enabledLine);
  }
  if (flag.type === BOOLEAN_FLAG_TYPE) {
    const rolloutsAt = fieldAt("rollouts");
    const block =
      "rollout" in value
        ? [`${fieldIndent}rollouts:`, `${fieldIndent}  - threshold:`, `${fieldIndent}      percentage: ${value.rollout}`, `${fieldIndent}      value: true`]
        : [];
    if (rolloutsAt >= 0) item.splice(rolloutsAt, fieldEnd(rolloutsAt) - rolloutsAt, ...block);
    else item.splice(fieldAt("enabled") + 1, 0, ...block);
  }
  return [...lines.slice(0, start), ...item, ...lines.slice(end)].join("\n");
}
