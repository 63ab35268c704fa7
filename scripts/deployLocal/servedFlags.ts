/**
 * The stack's Git remote on this machine: a loopback Git server serving a repository that holds
 * this checkout's committed flags/ (the working tree's uncommitted edits are not served, as on
 * the real remote). A new commit that changes flags/ is pushed to it, as a merge would be.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { FLAGS_ROOT } from "../../settings/environments";
import { projectDir } from "../../settings/schema";
import { Settings } from "../../settings/types";
import { gitEnv } from "../lib/flagsRepository";
import { startFlagsServer } from "../lib/flagsServer";
import { Supervisor } from "../lib/processes";

/** How often the checkout's committed flags/ is compared with what is served. */
export const FLAGS_CHECK_MS = 2000;

export interface ServedFlags {
  /** Clone URL of the served repository: the stack's gitRepository here. */
  readonly url: string;
  /** The credential the server asks for, with the stack's kind of authentication. */
  readonly credential: string;
  /** The commit of this checkout whose flags/ is served. */
  readonly servedCommit: () => string;
  /** Pushes the checkout's committed flags/ when it changed; returns the new commit, or undefined. */
  refresh(): string | undefined;
}

function git(gitBin: string, args: readonly string[], input?: Buffer): Buffer {
  return execFileSync(gitBin, args, { cwd: projectDir, env: { ...gitEnv(), HOME: process.env.HOME }, input, maxBuffer: 256 * 1024 * 1024, stdio: ["pipe", "pipe", "pipe"] });
}

/** The tree of flags/ in this checkout's HEAD, and the commit. */
function committedFlags(gitBin: string): { commit: string; tree: string } {
  const commit = git(gitBin, ["rev-parse", "HEAD"]).toString().trim();
  const tree = git(gitBin, ["rev-parse", `${commit}:${FLAGS_ROOT}`]).toString().trim();
  return { commit, tree };
}

/** Writes flags/ of `commit` into `dir` (git archive), so the copy is exactly what was committed. */
function exportFlags(gitBin: string, commit: string, dir: string): string {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  execFileSync("tar", ["-x", "-C", dir], { input: git(gitBin, ["archive", "--format=tar", commit, FLAGS_ROOT]) });
  return path.join(dir, FLAGS_ROOT);
}

export async function serveCommittedFlags(supervisor: Supervisor, gitBin: string, settings: Settings): Promise<ServedFlags> {
  const dir = supervisor.tempDir("flipt-deploy-local-git");
  let served = committedFlags(gitBin);
  const source = exportFlags(gitBin, served.commit, path.join(dir, "export"));
  const { repository, url, gitCredential } = await startFlagsServer({ supervisor, gitBin, git: settings.git, dir, source, into: FLAGS_ROOT });
  return {
    url,
    credential: gitCredential,
    servedCommit: () => served.commit,
    refresh() {
      const now = committedFlags(gitBin);
      if (now.tree === served.tree) return undefined;
      repository.replaceFlags(exportFlags(gitBin, now.commit, path.join(dir, "export")), FLAGS_ROOT);
      repository.commit(`flags/ of ${now.commit.slice(0, 8)}`);
      served = now;
      return now.commit;
    },
  };
}
