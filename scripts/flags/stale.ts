import * as path from "node:path";
import { daysBetween } from "./dates";
import { METADATA, readLifecycle, REVIEW_AFTER_DAYS } from "./lifecycle";
import type { EnvironmentEntry } from "./environmentsLint";
import { markdownTable, textTable } from "./table";

/** A flag the lifecycle policy says someone must look at, and why. */
export interface StaleFlag {
  readonly namespace: string;
  readonly key: string;
  readonly legacyKey?: string;
  readonly owner?: string;
  readonly created?: string;
  readonly ageDays?: number;
  readonly expires?: string;
  readonly reasons: readonly string[];
  /** The environments that have the flag (empty in the single layout); file and line are the first one's. */
  readonly environments: readonly string[];
  readonly file: string;
  readonly line: number;
}

export const STALE_FORMATS = ["text", "json", "markdown"] as const;
export type StaleFormat = (typeof STALE_FORMATS)[number];

/**
 * Flags needing review on `today`: non-permanent flags created more than REVIEW_AFTER_DAYS
 * ago, flags past `expires`, and flags whose lifecycle metadata cannot be read.
 */
export function findStaleFlags(flags: readonly EnvironmentEntry[], today: string): StaleFlag[] {
  // A flag is listed once: its lifecycle is one fact across environments (lint checks that it agrees).
  const byRef = new Map<string, EnvironmentEntry[]>();
  for (const flag of flags) byRef.set(`${flag.namespace}/${flag.key}`, [...(byRef.get(`${flag.namespace}/${flag.key}`) ?? []), flag]);
  return [...byRef.values()]
    .flatMap((entries) => {
      const stale = staleFlag(entries[0], today);
      const environments = entries.flatMap((e) => (e.environment === undefined ? [] : [e.environment]));
      return stale === undefined ? [] : [{ ...stale, environments }];
    })
    .sort((a, b) => compare(a.owner ?? "", b.owner ?? "") || compare(a.namespace, b.namespace) || compare(a.key, b.key));
}

function staleFlag(flag: EnvironmentEntry, today: string): Omit<StaleFlag, "environments"> | undefined {
  const base = { namespace: flag.namespace, key: flag.key, file: flag.file, line: flag.line, ...legacyOf(flag.metadata) };
  const { lifecycle } = readLifecycle(flag.metadata);
  if (lifecycle === undefined) {
    const owner = (flag.metadata as Record<string, unknown> | null | undefined)?.[METADATA.owner];
    return { ...base, ...(typeof owner === "string" ? { owner } : {}), reasons: ["lifecycle metadata missing or invalid (see lint)"] };
  }
  const ageDays = daysBetween(lifecycle.created, today);
  const reasons: string[] = [];
  if (!lifecycle.permanent && lifecycle.reviewed === undefined && ageDays > REVIEW_AFTER_DAYS) {
    reasons.push(`older than ${REVIEW_AFTER_DAYS} days`);
  }
  if (!lifecycle.permanent && lifecycle.reviewed !== undefined && daysBetween(lifecycle.reviewed, today) > REVIEW_AFTER_DAYS) {
    reasons.push(`last reviewed ${lifecycle.reviewed}, more than ${REVIEW_AFTER_DAYS} days ago`);
  }
  if (!lifecycle.permanent && daysBetween(lifecycle.expires, today) > 0) {
    reasons.push(`past expires by ${daysBetween(lifecycle.expires, today)} days`);
  }
  if (reasons.length === 0) return undefined;
  const expires = lifecycle.permanent ? {} : { expires: lifecycle.expires };
  return { ...base, owner: lifecycle.owner, created: lifecycle.created, ageDays, ...expires, reasons };
}

function legacyOf(metadata: unknown): { legacyKey?: string } {
  const legacyKey = (metadata as Record<string, unknown> | null | undefined)?.[METADATA.legacyKey];
  return typeof legacyKey === "string" ? { legacyKey } : {};
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

// ---- output -----------------------------------------------------------------------------

export function formatStale(stale: readonly StaleFlag[], format: StaleFormat, today: string, dir: string): string {
  switch (format) {
    case "json":
      return JSON.stringify(staleJson(stale, today, dir), null, 2);
    case "markdown":
      return staleMarkdown(stale, today, dir);
    case "text":
      return staleText(stale, today, dir);
  }
}

const POLICY = `non-permanent flags created (or last reviewed) more than ${REVIEW_AFTER_DAYS} days ago, and flags past their expires date`;
const where = (flag: StaleFlag, dir: string) => `${path.join(dir, flag.file)}:${flag.line}`;
const count = (n: number) => (n === 1 ? "1 flag needs" : `${n} flags need`);

function staleJson(stale: readonly StaleFlag[], today: string, dir: string) {
  return {
    today,
    review_after_days: REVIEW_AFTER_DAYS,
    count: stale.length,
    flags: stale.map((flag) => ({
      namespace: flag.namespace,
      key: flag.key,
      legacy_key: flag.legacyKey ?? null,
      owner: flag.owner ?? null,
      created: flag.created ?? null,
      age_days: flag.ageDays ?? null,
      expires: flag.expires ?? null,
      reasons: flag.reasons,
      environments: flag.environments,
      file: path.join(dir, flag.file),
      line: flag.line,
    })),
  };
}

function staleText(stale: readonly StaleFlag[], today: string, dir: string): string {
  if (stale.length === 0) return `No flags need review on ${today} (${POLICY}).`;
  const rows = stale.map((flag) => [
    `${flag.namespace}/${flag.key}`,
    flag.owner ?? "?",
    flag.ageDays === undefined ? "?" : String(flag.ageDays),
    flag.expires ?? "-",
    flag.reasons.join("; "),
    flag.environments.join(", ") || "-",
    where(flag, dir),
  ]);
  const header = `${count(stale.length)} review on ${today} (${POLICY}):`;
  return `${header}\n${textTable(["flag", "owner", "age (days)", "expires", "why", "environments", "file"], rows)}`;
}

function staleMarkdown(stale: readonly StaleFlag[], today: string, dir: string): string {
  const title = "## Feature flags due for review";
  if (stale.length === 0) return `${title}\n\nNo flags need review on ${today}.\n`;
  const rows = stale.map((flag) => [
    `\`${flag.namespace}/${flag.key}\`${flag.legacyKey ? ` (was \`${flag.legacyKey}\`)` : ""}`,
    flag.owner ?? "unknown",
    flag.ageDays === undefined ? "?" : String(flag.ageDays),
    flag.expires ?? "—",
    flag.reasons.join("; "),
    flag.environments.join(", ") || "—",
    `\`${where(flag, dir)}\``,
  ]);
  return [
    title,
    "",
    `${count(stale.length)} review on ${today}: ${POLICY}.`,
    "",
    markdownTable(["Flag", "Owner", "Age (days)", "Expires", "Why", "Environments", "Where"], rows),
    "",
    `Review means one of: **remove** the flag (from the code first, then from \`${dir}/\`); **extend** it with a new \`expires\`, \`reviewed\` set to the review day and \`review_note\` saying why; or mark it \`permanent: true\` if it is an operational toggle. See \`${dir}/README.md\`.`,
    "",
  ].join("\n");
}
