import * as fs from "node:fs";
import * as path from "node:path";
import { listStacks, readStack } from "../../settings/stackFiles";
import { quantityValue } from "../../settings/validators";
import { environmentDirectory, ENVIRONMENTS, FLAGS_ROOT, type Environment } from "./environments";
import type { TreeReport } from "./environmentsLint";
import type { Problem } from "./folder";
import {
  afterSyncs,
  formatCount,
  formatMiB,
  modelCitation,
  modelEquation,
  predictMiB,
  readMemoryModel,
  type MemoryModel,
} from "./memoryModel";
import { keyLine } from "./stacksLint";

/**
 * The flag-count memory guard: each stack's `memoryLimit` against the memory its Flipt is predicted
 * to hold after syncs with the flags of the environment it serves (memoryModel.ts, fitted to the
 * bench's committed scale rows). A warning past WARNING_SHARE of the limit, an error at it.
 */

export const WARNING_SHARE = 0.8;
export const ERROR_SHARE = 1;
const MIB = 2 ** 20;
/** Suggested quantities are rounded up to this many MiB. */
const SUGGESTION_STEP_MIB = 16;
const MIRROR_BRANCH = "flags-mirror";
const MIRROR_SECTION = 'docs/performance.md, "Repository history, and the flags mirror"';

/** What the guard reads of one stack file. */
export interface ServedStack {
  readonly stack: string;
  /** The stack file, absolute. */
  readonly file: string;
  readonly environment: Environment;
  /** gitDirectory as the stack has it (`flags/prod`). */
  readonly directory: string;
  readonly memoryLimit: string;
  readonly memoryLimitBytes: number;
  /** True when the stack file leaves memoryLimit to Pulumi.yaml's default. */
  readonly memoryLimitIsDefault: boolean;
  readonly memoryRequest: string;
  readonly gitRef: string;
  /** The line of memoryLimit in the stack file, 1 when it is not set there. */
  readonly line: number;
}

/**
 * The repository whose stacks judge a flags root: the root's own when it is a repository's
 * `flags/` (as the stack-directory check reads them), else the one lint runs in (cwd or the
 * nearest directory above it with a Pulumi.yaml), so `--dir` of a copy is judged by this
 * repository's stacks. Undefined when there is none: nothing to judge against.
 */
export function stacksRepository(flagsRoot: string, cwd: string): string | undefined {
  const beside = path.dirname(flagsRoot);
  if (path.basename(flagsRoot) === FLAGS_ROOT && fs.existsSync(path.join(beside, "Pulumi.yaml"))) return beside;
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** Every stack file of `repository` whose gitDirectory is an environment's directory, with its memory settings (declared defaults applied). */
export function readServedStacks(repository: string): ServedStack[] {
  return listStacks(repository).flatMap((stack) => {
    const input = readStack(stack, { dir: repository });
    const directory = String(input.value("gitDirectory")).replace(/\/+$/, "");
    const environment = ENVIRONMENTS.find((env) => environmentDirectory(env) === directory);
    const memoryLimit = input.value("memoryLimit");
    const bytes = typeof memoryLimit === "string" ? quantityValue(memoryLimit) : undefined;
    // A missing environment or a malformed limit is the stack-directory check's and the settings' to report.
    if (environment === undefined || bytes === undefined || bytes <= 0) return [];
    const limitKey = `${input.project}:memoryLimit`;
    return [{
      stack,
      file: input.file,
      environment,
      directory,
      memoryLimit: memoryLimit as string,
      memoryLimitBytes: bytes,
      memoryLimitIsDefault: !(limitKey in input.fileConfig),
      memoryRequest: String(input.value("memoryRequest")),
      gitRef: String(input.value("gitRef")),
      line: keyLine(input.file, limitKey),
    }];
  });
}

export type Severity = "ok" | "warning" | "error";

/** One stack judged: its environment's flag count, the prediction and how it compares with the limit. */
export interface MemoryVerdict {
  readonly stack: ServedStack;
  readonly flags: number;
  /** Where the flags were counted (`flags/prod`, or the folder given for the single layout). */
  readonly counted: string;
  readonly predictedMiB: number;
  readonly limitMiB: number;
  /** predicted / limit. */
  readonly share: number;
  readonly severity: Severity;
  /** The smallest limit that keeps the prediction within WARNING_SHARE, MiB (a multiple of SUGGESTION_STEP_MIB). */
  readonly suggestedLimitMiB: number;
}

/** The guard's answer for a flags root: verdicts, or why there is no model; nothing when no stack serves it. */
export type MemoryGuard =
  | { readonly kind: "judged"; readonly model: MemoryModel; readonly verdicts: readonly MemoryVerdict[]; readonly repository: string }
  | { readonly kind: "unavailable"; readonly reason: string; readonly file: string; readonly repository: string }
  | { readonly kind: "none" };

/** Flags per environment, as lint counted them; `""` for a folder without environment directories (every stack serves it). */
export type FlagCounts = ReadonlyMap<Environment | "", number>;

/** Flags per environment of a lint report (its flags with a valid key, whatever their other problems). */
export function flagCounts(report: TreeReport): FlagCounts {
  return new Map([...report.folders].map(([environment, folder]) => [environment, folder.flags.length]));
}

const roundUp = (mib: number) => Math.ceil(mib / SUGGESTION_STEP_MIB) * SUGGESTION_STEP_MIB;

/** Pure: each stack against its environment's flag count. `root` is the flags root as shown to the user. */
export function judgeStacks(stacks: readonly ServedStack[], counts: FlagCounts, model: MemoryModel, root: string): MemoryVerdict[] {
  return stacks.flatMap((stack) => {
    const single = counts.get("");
    const flags = single ?? counts.get(stack.environment);
    if (flags === undefined) return [];
    const predictedMiB = predictMiB(model, flags);
    const limitMiB = stack.memoryLimitBytes / MIB;
    const share = predictedMiB / limitMiB;
    const severity: Severity = share >= ERROR_SHARE ? "error" : share > WARNING_SHARE ? "warning" : "ok";
    const counted = single === undefined ? environmentDirectory(stack.environment, root) : root;
    return [{ stack, flags, counted, predictedMiB, limitMiB, share, severity, suggestedLimitMiB: roundUp(predictedMiB / WARNING_SHARE) }];
  });
}

/** Reads the stacks and the model of the repository that judges `flagsRoot`, and judges them. */
export function memoryGuard(flagsRoot: string, cwd: string, counts: FlagCounts, shownRoot: string): MemoryGuard {
  const repository = stacksRepository(flagsRoot, cwd);
  if (repository === undefined) return { kind: "none" };
  const stacks = readServedStacks(repository);
  if (stacks.length === 0) return { kind: "none" };
  const read = readMemoryModel(repository);
  if ("unavailable" in read) return { kind: "unavailable", reason: read.unavailable, file: read.file, repository };
  return { kind: "judged", model: read.model, verdicts: judgeStacks(stacks, counts, read.model, shownRoot), repository };
}

const percent = (share: number) => `${(share * 100).toFixed(0)} %`;

/** What the verdict says, in one line: the numbers, the model's source and the fix. */
export function verdictMessage(verdict: MemoryVerdict, model: MemoryModel): string {
  const { stack } = verdict;
  const threshold = verdict.severity === "error" ? `error at ${percent(ERROR_SHARE)}` : `warning above ${percent(WARNING_SHARE)}`;
  const request = quantityValue(stack.memoryRequest);
  const requestFix =
    request !== undefined && request / MIB < verdict.predictedMiB
      ? ` (and memoryRequest, now ${stack.memoryRequest}, to at least ${roundUp(verdict.predictedMiB)}Mi)`
      : "";
  const mirror =
    stack.gitRef === MIRROR_BRANCH
      ? ""
      : `; or, when repository history is the cause (the model has none; a stack on gitRef ${stack.gitRef} holds all of it in memory), follow gitRef: ${MIRROR_BRANCH} (${MIRROR_SECTION})`;
  return [
    `stack ${stack.stack} serves ${stack.directory} with memoryLimit ${stack.memoryLimit}${stack.memoryLimitIsDefault ? " (Pulumi.yaml's default)" : ""}:`,
    ` ${formatCount(verdict.flags)} flags in ${verdict.counted} predict ${formatMiB(verdict.predictedMiB)} ${afterSyncs(model)}, ${percent(verdict.share)} of the limit (${threshold})`,
    `; model: ${modelEquation(model)}, least squares over ${modelCitation(model)}`,
    `; fix: raise memoryLimit in ${path.basename(stack.file)} to at least ${verdict.suggestedLimitMiB}Mi${requestFix}${mirror}`,
  ].join("");
}

/** The guard's findings as lint problems (paths relative to `flagsRoot`, as every lint problem's): errors fail lint, warnings do not. */
export function memoryGuardProblems(guard: MemoryGuard, flagsRoot: string): { errors: Problem[]; warnings: Problem[] } {
  if (guard.kind === "none") return { errors: [], warnings: [] };
  if (guard.kind === "unavailable") {
    const file = path.relative(flagsRoot, path.join(guard.repository, guard.file));
    return { errors: [], warnings: [{ file, line: 1, message: `warning: no flag-count memory guard: ${guard.reason}` }] };
  }
  const problem = (verdict: MemoryVerdict, prefix: string): Problem => ({
    file: path.relative(flagsRoot, verdict.stack.file),
    line: verdict.stack.line,
    message: `${prefix}${verdictMessage(verdict, guard.model)}`,
  });
  return {
    errors: guard.verdicts.filter((v) => v.severity === "error").map((v) => problem(v, "")),
    warnings: guard.verdicts.filter((v) => v.severity === "warning").map((v) => problem(v, "warning: ")),
  };
}

/** A verdict in a few words, for the comment's line when every stack is within WARNING_SHARE: "prod 12 flags → 85 MiB of 384Mi (22 %)". */
export function verdictSummary(verdict: MemoryVerdict): string {
  return `${verdict.stack.stack} ${formatCount(verdict.flags)} flags → ${formatMiB(verdict.predictedMiB)} of ${verdict.stack.memoryLimit} (${percent(verdict.share)})`;
}
