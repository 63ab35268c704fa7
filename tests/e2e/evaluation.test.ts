import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { EvaluationContext } from "@openfeature/server-sdk";
import { afterAll, beforeAll, expect, test } from "vitest";
import { fliptThresholdIn } from "../../scripts/flags/bucketing";
import { fliptKeyFor } from "../../scripts/flags/mapping";
import { projectDir } from "../../settings/schema";
import { BUDGET_ALERTS, SYNTHETIC_SNAPSHOT, buildEvaluationFlags } from "./harness/evaluationFixture";
import { FileStore, FileStoreEntry } from "./harness/fileStore";
import { OpenFeatureClients, closeOpenFeature, mapLimit } from "../../scripts/lib/openFeatureClients";
import { E2EStack, describeWithFlipt, startStack } from "./harness/stack";
import { figure } from "./harness/summary";

/** The file store's snapshot that flags/ was migrated from (file-store-migration/README.md). */
const SNAPSHOT_FILE = path.join(projectDir, "file-store-migration", "feature_flag_snapshot.json");
const SAMPLE_SUBJECTS = Array.from({ length: 50 }, (_, i) => `org-${i}`);
const ROLLOUT_SUBJECTS = Array.from({ length: 2000 }, (_, i) => `org-${i}`);
/** Allowed distance between a partial rollout's percentage and the share of subjects in it. */
const ROLLOUT_TOLERANCE_POINTS = 5;
const CONCURRENCY = 16;

function readSnapshotEntries(file: string): FileStoreEntry[] {
  return (JSON.parse(fs.readFileSync(file, "utf8")) as { flags: FileStoreEntry[] }).flags;
}

describeWithFlipt("scenario 3: evaluation through OpenFeature", () => {
  let stack: E2EStack;
  let flagsDir: string;
  let clients: OpenFeatureClients;

  beforeAll(async () => {
    flagsDir = fs.mkdtempSync(path.join(os.tmpdir(), "flipt-e2e-flags-"));
    buildEvaluationFlags(SNAPSHOT_FILE, flagsDir, new Date().toISOString().slice(0, 10));
    stack = await startStack({ database: "sqlite", flagsDir });
    clients = new OpenFeatureClients(stack.flipt.url);
  });
  afterAll(async () => {
    await closeOpenFeature();
    await stack?.stop();
    fs.rmSync(flagsDir, { recursive: true, force: true });
  });

  /** Evaluates `legacyKey` for each subject, with the opposite of the expected value as the caller's default, so a fallback shows. */
  async function mismatches(store: FileStore, legacyKey: string, subjects: readonly string[]): Promise<string[]> {
    const { namespace, key } = fliptKeyFor(legacyKey);
    const found = await mapLimit(subjects, CONCURRENCY, async (subject) => {
      const expected = store.evaluate(legacyKey, subject);
      const actual = await clients.boolean(namespace, key, !expected, { targetingKey: subject });
      return actual === expected ? undefined : `${legacyKey} (${namespace}/${key}) for ${subject}: expected ${expected}, got ${actual}`;
    });
    return found.filter((m): m is string => m !== undefined);
  }

  test("every migrated flag evaluates as the file store does, for a sample of subjects", async ({ task }) => {
    const store = new FileStore(readSnapshotEntries(SNAPSHOT_FILE));
    const problems: string[] = [];
    for (const legacyKey of store.keys()) {
      if (store.partialPercent(legacyKey) !== undefined) continue; // compared by share below
      problems.push(...(await mismatches(store, legacyKey, SAMPLE_SUBJECTS)));
    }
    figure(task, "evaluations", `${store.keys().length} flags × ${SAMPLE_SUBJECTS.length} subjects`);
    figure(task, "mismatches", problems.length);
    expect(problems).toEqual([]);
  });

  test("partial rollouts put their percentage of 2,000 subjects in (±5 points); the store's edge cases hold", async ({ task }) => {
    const store = new FileStore(SYNTHETIC_SNAPSHOT.flags);
    const shares: string[] = [];
    for (const legacyKey of store.keys()) {
      const percent = store.partialPercent(legacyKey);
      if (percent === undefined) {
        expect(await mismatches(store, legacyKey, SAMPLE_SUBJECTS)).toEqual([]);
        continue;
      }
      const { namespace, key } = fliptKeyFor(legacyKey);
      const values = await mapLimit(ROLLOUT_SUBJECTS, CONCURRENCY, (subject) => clients.boolean(namespace, key, false, { targetingKey: subject }));
      const share = (100 * values.filter(Boolean).length) / values.length;
      shares.push(`${percent}% → ${share.toFixed(1)}%`);
      expect(Math.abs(share - percent)).toBeLessThanOrEqual(ROLLOUT_TOLERANCE_POINTS);
      // The migration's report predicts which subjects Flipt puts in; it must match what Flipt does.
      const predicted = ROLLOUT_SUBJECTS.filter((subject, i) => fliptThresholdIn(key, subject, percent) === values[i]).length;
      expect(predicted).toBe(ROLLOUT_SUBJECTS.length);
    }
    figure(task, "share in (2,000 subjects)", shares.join(", "));
  });

  test("budget-alerts-v2 is true for {targetingKey: orgID, tier: enterprise} and the flag's default for others", async ({ task }) => {
    const client = await clients.client(BUDGET_ALERTS.namespace);
    const enterprise = await client.getBooleanDetails(BUDGET_ALERTS.key, false, { targetingKey: "org-1234", tier: BUDGET_ALERTS.tier });
    expect(enterprise.value).toBe(true);
    expect(enterprise.errorCode).toBeUndefined();
    const others: EvaluationContext[] = [{ targetingKey: "org-1234", tier: "free" }, { targetingKey: "org-5678" }];
    for (const context of others) {
      for (const callerDefault of [false, true]) {
        const other = await client.getBooleanDetails(BUDGET_ALERTS.key, callerDefault, context);
        expect(other.errorCode).toBeUndefined();
        expect(other.value).toBe(false);
      }
    }
    figure(task, "enterprise", `${enterprise.value} (${enterprise.reason})`);
    figure(task, "others", "false (flag default, whatever the caller's default)");
  });

  test("a blank subject gets the full flag state, as in the file store", async ({ task }) => {
    const store = new FileStore([...readSnapshotEntries(SNAPSHOT_FILE), ...SYNTHETIC_SNAPSHOT.flags]);
    const seen: string[] = [];
    for (const legacyKey of store.keys()) {
      const { namespace, key } = fliptKeyFor(legacyKey);
      const expected = store.evaluate(legacyKey, "");
      const details = await (await clients.client(namespace)).getBooleanDetails(key, !expected, { targetingKey: "" });
      if (store.partialPercent(legacyKey) !== undefined) seen.push(`${key}: ${details.value}${details.errorCode ? ` (${details.errorCode}: ${details.errorMessage})` : ""}`);
      expect(details.value, `${legacyKey} for a blank subject`).toBe(expected);
    }
    figure(task, "partial rollouts, empty targetingKey", seen.join(", "));
  });

  test("the same check with the Go OpenFeature SDK and its Flipt provider", ({ task, skip }) => {
    // Not run: this machine's Go module proxy answers 403 for github.com/open-feature/go-sdk-contrib/providers/flipt
    // (and providers/ofrep, go.flipt.io/flipt/sdk/go); only github.com/open-feature/go-sdk itself is served.
    figure(task, "reason", "Go module proxy refuses go-sdk-contrib/providers/flipt (403)");
    skip("the Go module proxy refuses github.com/open-feature/go-sdk-contrib/providers/flipt (403 Forbidden)");
  });
});
