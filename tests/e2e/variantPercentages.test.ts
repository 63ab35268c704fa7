/**
 * Variant flags' percentages against a real Flipt: the generated scale flags (bench/scale) served
 * from Git, 10,000 subjects evaluated through Flipt's batch API and compared, subject by subject,
 * with what the generator intended (strictly) and with the flags tool's evaluator
 * (scripts/flags/state.ts), and share by share with the
 * percentages the generator configured.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import {
  EVERYONE_SEGMENT,
  generateFlags,
  intendedServed,
  memberContext,
  segmentsOf,
  writeGeneratedFlags,
  type EvaluationContext,
  type GeneratedFlag,
  type GeneratedFlags,
} from "../../bench/scale/generatedFlags";
import { fliptVariantBucket } from "../../scripts/flags/bucketing";
import { readFolder } from "../../scripts/flags/folder";
import { CALLER_DEFAULT, readEnvironmentState, refOf, serve, type EnvironmentState, type Served } from "../../scripts/flags/state";
import { mapLimit } from "../../scripts/lib/openFeatureClients";
import { E2EStack, describeWithFlipt, startStack } from "./harness/stack";
import { figure } from "./harness/summary";

/** 100 generated flags hold 10 variant flags: 2- and 3-way splits, hold-outs, default variants, segment rules. */
const FLAG_COUNT = 100;
const SUBJECTS = Array.from({ length: 10_000 }, (_, i) => `org-${i + 1}`);
/** Subjects evaluated outside their flag's rule segment (the default variant or the caller's default). */
const OUTSIDE_SUBJECTS = SUBJECTS.slice(0, 1_000);
const BATCH_SIZE = 500;
const CONCURRENCY = 4;
/**
 * A share of n subjects at configured p deviates by about σ = √(p(1−p)/n) (0.5 points at p = 50 %,
 * n = 10,000) if buckets are uniform; 4σ bounds it with room (at most 2 points).
 */
const TOLERANCE_SIGMAS = 4;

interface Evaluation {
  readonly flag: GeneratedFlag;
  readonly entityId: string;
  readonly context: EvaluationContext;
}

/** One answer of /evaluate/v1/batch, as much of it as this test reads. */
interface BatchResponse {
  readonly type?: string;
  readonly variantResponse?: { match?: boolean; reason?: string; variantKey?: string; segmentKeys?: string[] };
  readonly errorResponse?: { reason?: string };
}

/** Flipt's answer in the evaluator's words (state.ts's Served), so the two compare as strings. */
function servedByFlipt(response: BatchResponse): Served {
  const variant = response.variantResponse;
  if (variant === undefined) return `error ${JSON.stringify(response.errorResponse ?? response)}`;
  switch (variant.reason) {
    case "FLAG_DISABLED_EVALUATION_REASON":
      return CALLER_DEFAULT;
    case "DEFAULT_EVALUATION_REASON":
      return `variant ${variant.variantKey} (default variant)`;
    case "MATCH_EVALUATION_REASON":
      if (variant.match === true) return `variant ${variant.variantKey}`;
  }
  // A rule matched (its segments are named) but the bucket is past its distributions.
  if (variant.match !== true && (variant.segmentKeys ?? []).length > 0) return `no variant (${CALLER_DEFAULT})`;
  return variant.match === true ? `variant ${variant.variantKey}` : CALLER_DEFAULT;
}

async function evaluateBatch(fliptUrl: string, evaluations: readonly Evaluation[]): Promise<BatchResponse[]> {
  const requests = evaluations.map(({ flag, entityId, context }) => ({ namespaceKey: flag.namespace, flagKey: flag.key, entityId, context }));
  const response = await fetch(`${fliptUrl}/evaluate/v1/batch`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ requests }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await response.json()) as { responses?: BatchResponse[] };
  if (!response.ok || body.responses?.length !== requests.length) {
    throw new Error(`POST /evaluate/v1/batch: HTTP ${response.status}, ${JSON.stringify(body).slice(0, 300)}`);
  }
  return body.responses;
}

/** Flipt's answers to every evaluation, in order, batched. */
async function servedByFliptAll(fliptUrl: string, evaluations: readonly Evaluation[]): Promise<Served[]> {
  const batches = Array.from({ length: Math.ceil(evaluations.length / BATCH_SIZE) }, (_, i) => evaluations.slice(i * BATCH_SIZE, (i + 1) * BATCH_SIZE));
  const answers = await mapLimit(batches, CONCURRENCY, (batch) => evaluateBatch(fliptUrl, batch));
  return answers.flat().map(servedByFlipt);
}

/** The flags tool's evaluator on the definitions read back from the served files. */
function servedByTool(state: EnvironmentState, { flag, entityId, context }: Evaluation): Served {
  const definition = state.flags.get(refOf(flag.namespace, flag.key))!.flag;
  return serve(definition, { segments: segmentsOf(entityId, context), bucket: fliptVariantBucket(flag.key, entityId) });
}

interface Comparison {
  /** Flipt's answer differs from what the generator intended: always a failure. */
  readonly unintended: string[];
  /** Flipt's answer differs from the flags tool's: a failure. */
  readonly toolMismatches: string[];
}

function compare(state: EnvironmentState, evaluations: readonly Evaluation[], fromFlipt: readonly Served[]): Comparison {
  const unintended: string[] = [];
  const toolMismatches: string[] = [];
  evaluations.forEach((evaluation, i) => {
    const { flag, entityId, context } = evaluation;
    const who = `${refOf(flag.namespace, flag.key)} for ${entityId} ${JSON.stringify(context)}`;
    const intended = intendedServed(flag, entityId, context);
    if (fromFlipt[i] !== intended) unintended.push(`${who}: intended ${intended}, Flipt ${fromFlipt[i]}`);
    const byTool = servedByTool(state, evaluation);
    if (byTool !== fromFlipt[i]) toolMismatches.push(`${who}: tool ${byTool}, Flipt ${fromFlipt[i]}`);
  });
  return { unintended, toolMismatches };
}

function expectAgreement(task: Parameters<typeof figure>[0], comparison: Comparison): void {
  figure(task, "differ from intent", comparison.unintended.length);
  figure(task, "differ from the flags tool", comparison.toolMismatches.length);
  expect(comparison.unintended.slice(0, 10)).toEqual([]);
  expect(comparison.toolMismatches.slice(0, 10)).toEqual([]);
}

describeWithFlipt("variant flags' percentages against a real Flipt (generated scale flags)", () => {
  let generated: GeneratedFlags;
  let variantFlags: GeneratedFlag[];
  let state: EnvironmentState;
  let flagsDir: string;
  let stack: E2EStack;

  beforeAll(async () => {
    generated = generateFlags({ count: FLAG_COUNT });
    variantFlags = generated.flags.filter((f) => f.intent.kind === "variant");
    flagsDir = fs.mkdtempSync(path.join(os.tmpdir(), "flipt-e2e-scale-flags-"));
    writeGeneratedFlags(flagsDir, generated);
    state = readEnvironmentState(readFolder(flagsDir));
    stack = await startStack({ database: "sqlite", flagsDir });
  });
  afterAll(async () => {
    await stack?.stop();
    if (flagsDir) fs.rmSync(flagsDir, { recursive: true, force: true });
  });

  test("10,000 subjects in each variant flag's rule segment get from Flipt the intended variant, and each share is its percentage within 4σ", async ({ task }) => {
    const evaluations = variantFlags.flatMap((flag) => {
      const context = memberContext(ruleSegment(flag));
      return SUBJECTS.map((entityId) => ({ flag, entityId, context }));
    });
    const started = performance.now();
    const fromFlipt = await servedByFliptAll(stack.flipt.url, evaluations);
    figure(task, "evaluations", `${variantFlags.length} variant flags × ${SUBJECTS.length} subjects in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    expectAgreement(task, compare(state, evaluations, fromFlipt));

    const deviations = variantFlags.flatMap((flag, f) => shareDeviations(flag, fromFlipt.slice(f * SUBJECTS.length, (f + 1) * SUBJECTS.length)));
    const worst = deviations.reduce((a, b) => (b.sigmas > a.sigmas ? b : a));
    figure(task, "shares checked", deviations.length);
    figure(task, "max deviation", `${worst.points.toFixed(2)} points (${worst.sigmas.toFixed(2)} σ; ${worst.what})`);
    expect(deviations.filter((d) => d.sigmas > TOLERANCE_SIGMAS)).toEqual([]);
  });

  test("subjects outside a variant flag's rule segment get its default variant, or the caller's default without one", async ({ task }) => {
    const segmented = variantFlags.filter((flag) => ruleSegment(flag) !== EVERYONE_SEGMENT);
    const evaluations = segmented.flatMap((flag) => OUTSIDE_SUBJECTS.map((entityId) => ({ flag, entityId, context: {} })));
    const fromFlipt = await servedByFliptAll(stack.flipt.url, evaluations);
    figure(task, "evaluations", `${segmented.length} flags × ${OUTSIDE_SUBJECTS.length} subjects`);
    figure(task, "answers", [...new Set(fromFlipt)].join(", "));
    expectAgreement(task, compare(state, evaluations, fromFlipt));
  });
});

function ruleSegment(flag: GeneratedFlag) {
  if (flag.intent.kind !== "variant") throw new Error(`${flag.key} is not a variant flag`);
  return flag.intent.segment;
}

interface ShareDeviation {
  readonly what: string;
  readonly points: number;
  readonly sigmas: number;
}

/**
 * Each configured share, and the hold-out past the distributions (the default variant, or none),
 * against the share Flipt served; none for a disabled flag, which serves the caller's default.
 */
function shareDeviations(flag: GeneratedFlag, fromFlipt: readonly Served[]): ShareDeviation[] {
  if (flag.intent.kind !== "variant" || !flag.intent.enabled) return [];
  const { distribution, defaultVariant } = flag.intent;
  const configured = distribution.map((d) => ({ served: `variant ${d.variant}`, percent: d.percent }));
  const holdOut = 100 - configured.reduce((sum, d) => sum + d.percent, 0);
  const holdOutServed = defaultVariant === undefined ? `no variant (${CALLER_DEFAULT})` : `variant ${defaultVariant} (default variant)`;
  if (holdOut > 0) configured.push({ served: holdOutServed, percent: holdOut });
  const n = fromFlipt.length;
  return configured.map(({ served, percent }) => {
    const share = (100 * fromFlipt.filter((s) => s === served).length) / n;
    const sigma = 100 * Math.sqrt(((percent / 100) * (1 - percent / 100)) / n);
    const points = Math.abs(share - percent);
    return { what: `${flag.key} ${served}: ${percent}% → ${share.toFixed(2)}%`, points, sigmas: points / sigma };
  });
}
