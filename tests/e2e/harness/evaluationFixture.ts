/**
 * The flags scenario 3 serves: the recorded file-store snapshot migrated by the flags tool, plus
 * the design's `budget-alerts-v2` example (a rule on `tier`), plus partial rollouts (the recorded
 * snapshot has none) made the way real flags were: a snapshot migrated by the flags tool.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { BOOLEAN_FLAG_TYPE, FLIPT_DOCUMENT_VERSION, flagFileName, INDEX_FILE, renderFlagFile, renderIndex, type FliptDocument } from "../../../scripts/flags/document";
import { addDays } from "../../../scripts/flags/dates";
import { lifecycleMetadata } from "../../../scripts/flags/lifecycle";
import { planMigration } from "../../../scripts/flags/migrate";
import { parseSnapshot } from "../../../scripts/flags/snapshot";
import { FileStoreEntry } from "./fileStore";

/** The design's example: true for enterprise organisations, the flag's default (off) for everyone else. */
export const BUDGET_ALERTS = { namespace: "design_example", key: "budget-alerts-v2", segment: "enterprise-tier", tier: "enterprise" } as const;

export function budgetAlertsDocument(today: string): FliptDocument {
  return {
    version: FLIPT_DOCUMENT_VERSION,
    namespace: BUDGET_ALERTS.namespace,
    segments: [
      {
        key: BUDGET_ALERTS.segment,
        name: "Enterprise tier",
        match_type: "ALL_MATCH_TYPE",
        constraints: [{ type: "STRING_COMPARISON_TYPE", property: "tier", operator: "eq", value: BUDGET_ALERTS.tier }],
      },
    ],
    flags: [
      {
        key: BUDGET_ALERTS.key,
        name: BUDGET_ALERTS.key,
        type: BOOLEAN_FLAG_TYPE,
        description: "Budget alerts v2, for enterprise organisations first.",
        enabled: false,
        metadata: lifecycleMetadata({ owners: ["platform-app"], created: today, expires: addDays(today, 90) }),
        rollouts: [{ segment: { key: BUDGET_ALERTS.segment, value: true } }],
      },
    ],
  };
}

/** A synthetic file-store snapshot: partial rollouts and the edge cases of the store's rules. */
export const SYNTHETIC_SNAPSHOT: { schema_version: number; flags: (FileStoreEntry & { owners: string[]; description: string })[] } = {
  schema_version: 1,
  flags: [
    { key: "e2e_rollouts.checkout.quarter", enabled: true, rollout_percent: 25, owners: ["platform-app"], description: "25% rollout." },
    { key: "e2e_rollouts.checkout.half", enabled: true, rollout_percent: 50, owners: ["platform-app"], description: "50% rollout." },
    { key: "e2e_rollouts.edge.disabled_half", enabled: false, rollout_percent: 50, owners: ["platform-app"], description: "Off whatever the percentage." },
    { key: "e2e_rollouts.edge.zero_means_all", enabled: true, rollout_percent: 0, owners: ["platform-app"], description: "0 reads as unset: everyone." },
    { key: "  e2e_rollouts.edge.padded_key  ", enabled: true, rollout_percent: 150, owners: ["platform-app"], description: "Trimmed key, over 100." },
  ],
};

/**
 * Builds the served directory in `dir`: the migration of the recorded file-store snapshot (what
 * flags/ started as, not what it holds today, which changes with every flag PR), the synthetic
 * rollouts and the design's example.
 */
export function buildEvaluationFlags(snapshotFile: string, dir: string, today: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, INDEX_FILE), renderIndex());
  const write = (document: FliptDocument) => {
    const file = path.join(dir, flagFileName(document.namespace));
    if (fs.existsSync(file)) throw new Error(`${file} already exists: the fixture namespace ${document.namespace} collides with the migrated flags`);
    fs.writeFileSync(file, renderFlagFile(document));
  };
  write(budgetAlertsDocument(today));
  const recorded = JSON.parse(fs.readFileSync(snapshotFile, "utf8")) as typeof SYNTHETIC_SNAPSHOT;
  const snapshot = parseSnapshot(JSON.stringify({ ...recorded, flags: [...recorded.flags, ...SYNTHETIC_SNAPSHOT.flags] }), `${snapshotFile} and the synthetic snapshot`);
  for (const document of planMigration(snapshot, { created: today }).documents) write(document);
}
