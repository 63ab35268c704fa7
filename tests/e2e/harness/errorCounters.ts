/**
 * Faults that make Flipt v1.61.1 count on its two error counters, for the metrics scenario.
 *
 * flipt_git_sync_errors_total: a commit whose flag files Flipt cannot read (every poll fails until
 * it is fixed; see faults.test.ts, which commits the same kind of file).
 *
 * flipt_evaluations_errors_total, while every flag file is valid. Read at tag v1.61.1,
 * internal/server/evaluation/:
 * - the boolean path never counts one: its deferred check reads a local `err` that no `return` assigns;
 * - the variant path counts an error raised after the flag was found. `Variant` reads the flag at
 *   the request's `reference`, but the legacy evaluator reads the flag's rules without it, from the
 *   followed ref. A variant flag that exists only on another branch, evaluated at that branch,
 *   is therefore found, then fails ("namespace … not found") and is counted.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { FLIPT_DOCUMENT_VERSION, VARIANT_FLAG_TYPE, flagFileName, renderFlagFile, type FliptDocument } from "../../../scripts/flags/document";
import { gitEnv, type FlagsRepository } from "../../../scripts/lib/flagsRepository";

/** Not a flag file Flipt can read: YAML with an unclosed flow sequence. */
export const INVALID_FLAG_FILE = `version: "1.4"\nnamespace: broken\nflags:\n  - key: [unclosed\n`;
export const INVALID_FILE_NAME = "broken.features.yml";

export interface BranchOnlyFlag {
  readonly branch: string;
  readonly namespace: string;
  readonly key: string;
}

export const BRANCH_ONLY_FLAG: BranchOnlyFlag = { branch: "e2e-metrics-preview", namespace: "e2e_metrics_preview", key: "checkout-theme" };

function branchOnlyDocument(flag: BranchOnlyFlag): FliptDocument {
  return {
    version: FLIPT_DOCUMENT_VERSION,
    namespace: flag.namespace,
    flags: [
      {
        key: flag.key,
        name: flag.key,
        type: VARIANT_FLAG_TYPE,
        description: "Exists only on a preview branch; evaluated there, it makes Flipt count an evaluation error.",
        enabled: true,
        metadata: {},
        variants: [{ key: "classic" }, { key: "compact" }],
      },
    ],
  };
}

/**
 * Pushes `flag.branch`: the followed ref's flags plus the branch-only flag, committed in a clone of
 * the served bare repository made in `scratchDir` (the FlagsRepository's work tree stays on its ref).
 */
export function pushBranchOnlyFlag(repository: FlagsRepository, gitBin: string, scratchDir: string, flag: BranchOnlyFlag = BRANCH_ONLY_FLAG): void {
  const env = gitEnv(scratchDir);
  const clone = path.join(scratchDir, "branch-clone");
  const git = (...args: string[]) => execFileSync(gitBin, args, { cwd: fs.existsSync(clone) ? clone : scratchDir, env, stdio: ["ignore", "pipe", "pipe"] });
  git("clone", "--quiet", repository.barePath, clone);
  git("checkout", "--quiet", "-b", flag.branch);
  const directory = path.relative(repository.workTree, repository.flagsPath());
  fs.writeFileSync(path.join(clone, directory, flagFileName(flag.namespace)), renderFlagFile(branchOnlyDocument(flag)));
  git("add", "--all");
  git("commit", "--quiet", "--no-verify", "-m", `preview: ${flag.namespace}/${flag.key}`);
  git("push", "--quiet", "origin", `HEAD:refs/heads/${flag.branch}`);
}

/** What Flipt answers that evaluation: 404, "namespace … not found" from the followed ref. */
export const BRANCH_ONLY_FLAG_STATUS = 404;

/** Evaluates the branch-only flag at its branch through an evaluation endpoint; returns the HTTP status. */
async function evaluateAtBranchVia(endpoint: "variant" | "boolean", fliptUrl: string, flag: BranchOnlyFlag, entityId: string): Promise<number> {
  const response = await fetch(`${fliptUrl}/evaluate/v1/${endpoint}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ namespaceKey: flag.namespace, flagKey: flag.key, entityId, context: {}, reference: flag.branch }),
    signal: AbortSignal.timeout(5000),
  });
  await response.arrayBuffer();
  return response.status;
}

/** POST /evaluate/v1/variant at the flag's branch; returns the HTTP status. */
export function evaluateAtBranch(fliptUrl: string, flag: BranchOnlyFlag, entityId: string): Promise<number> {
  return evaluateAtBranchVia("variant", fliptUrl, flag, entityId);
}

/** What Flipt answers a boolean evaluation of a variant flag: InvalidArgument, an error code the errors alert counts. */
export const WRONG_TYPE_STATUS = 400;

/**
 * Evaluates the branch-only variant flag through the boolean endpoint, as a service calling
 * `BooleanValue` on a variant flag would: Flipt finds the flag and refuses its type.
 */
export function evaluateWithWrongType(fliptUrl: string, flag: BranchOnlyFlag, entityId: string): Promise<number> {
  return evaluateAtBranchVia("boolean", fliptUrl, flag, entityId);
}
