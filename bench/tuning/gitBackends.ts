/**
 * The Git backend's memory as the repository grows: Flipt idle with the repository as it is, with
 * 32 MiB more outside the flags directory (memory backend, Flipt's default: the clone is in RAM),
 * and the same with the `local` backend (a clone on disk).
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { FlagRef } from "../../scripts/lib/flagFiles";
import { LocalFlipt } from "../../scripts/lib/localFlipt";
import { Supervisor, sleep } from "../../scripts/lib/processes";
import { ToolchainPaths } from "../../scripts/toolchain/paths";
import { WindowFootprint, sampleDuring } from "../lib/processFootprint";
import { CONFIG_CHANGES, TargetSpec, checkServesFlags, describeTarget, startTarget } from "../lib/targets";

/** A large file committed outside the flags directory: the rest of a repository Flipt clones whole. */
export const EXTRA_REPOSITORY_MIB = 32;

export interface GitBackendRun {
  readonly name: string;
  readonly description: string;
  readonly repositoryExtraMiB: number;
  readonly idle: WindowFootprint;
}

/** Commits `mib` MiB of incompressible data outside the flags directory. */
function addRepositoryWeight(local: LocalFlipt, mib: number): void {
  const dir = path.join(local.repository.workTree, "assets");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "weight.bin"), randomBytes(mib * 1024 * 1024));
  local.repository.commit(`bench: ${mib} MiB outside the flags directory`);
}

export function gitBackendSpecs(stack: string): TargetSpec[] {
  const heavy = (local: LocalFlipt) => addRepositoryWeight(local, EXTRA_REPOSITORY_MIB);
  return [
    { name: "git-memory-small", stack, storage: "git" },
    { name: `git-memory-plus-${EXTRA_REPOSITORY_MIB}MiB`, stack, storage: "git", prepare: heavy },
    { name: `git-local-plus-${EXTRA_REPOSITORY_MIB}MiB`, stack, storage: "git", prepare: heavy, changes: [CONFIG_CHANGES.localGitBackend()] },
  ];
}

/**
 * Idle footprint of each Git backend variant: RSS after startup has settled, sampled over one poll
 * interval. The variants run side by side (memory is per process; they barely use CPU when idle).
 */
export async function measureGitBackends(
  supervisor: Supervisor,
  tools: ToolchainPaths,
  stack: string,
  flags: readonly FlagRef[],
  settleSeconds: number,
  log: (line: string) => void,
): Promise<GitBackendRun[]> {
  return Promise.all(
    gitBackendSpecs(stack).map(async (spec): Promise<GitBackendRun> => {
      log(`tuning: starting ${spec.name} (${describeTarget(spec)})`);
      const target = await startTarget(supervisor, tools, spec);
      try {
        await checkServesFlags(target, flags);
        await sleep(settleSeconds * 1000);
        const seconds = target.local.settings.git.pollIntervalSeconds;
        const { footprint } = await sampleDuring(target.pid, () => sleep(seconds * 1000));
        return { name: spec.name, description: describeTarget(spec), repositoryExtraMiB: spec.prepare ? EXTRA_REPOSITORY_MIB : 0, idle: footprint };
      } finally {
        await target.local.flipt.stop();
      }
    }),
  );
}
