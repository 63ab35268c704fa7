import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { UserError } from "./errors";
import { resolveCommit } from "./gitTree";

/**
 * The flags mirror: a branch whose commits hold the flags directory only, one per change of it.
 * Flipt's Git backend clones the whole history of the branch it follows into memory; on a deploy
 * repository's main that is every commit ever made (bench: 1,000 flags behind 10,000 commits took
 * 269 MiB instead of 129 MiB). Following the mirror, Flipt holds the flags' own history only.
 * The tree keeps the directory's path, so a stack switches with `gitRef` alone.
 */
export const FLAGS_MIRROR_BRANCH = "flags-mirror";

export interface MirrorUpdate {
  readonly branch: string;
  /** The mirror's head after the update. */
  readonly commit: string;
  /** False when the source's flags directory was already the mirror's tree: nothing was written. */
  readonly appended: boolean;
  readonly source: string;
}

function run(root: string, args: readonly string[], env: NodeJS.ProcessEnv): string {
  return execFileSync("git", args, { cwd: root, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

/**
 * Appends to `branch` a commit whose tree is `dir` of `source` (at the same path) and nothing else,
 * unless the mirror's head already has that tree. Writes objects and the ref only: no work tree,
 * no index of the user's is touched. Pushing the branch is the caller's (the workflow's) step.
 */
export function updateFlagsMirror(root: string, dir: string, source = "HEAD", branch = FLAGS_MIRROR_BRANCH, gitEnv: NodeJS.ProcessEnv = process.env): MirrorUpdate {
  const git = (args: readonly string[], env: NodeJS.ProcessEnv = gitEnv) => run(root, args, env);
  try {
    git(["check-ref-format", "--branch", branch]);
  } catch {
    throw new UserError(`--branch ${JSON.stringify(branch)}: not a valid branch name (git check-ref-format)`);
  }
  const sourceCommit = resolveCommit(root, source);
  if (sourceCommit === undefined) throw new UserError(`--source ${source}: not a commit in ${root}`);
  const prefix = dir.split(path.sep).join("/").replace(/\/+$/, "");
  let flagsTree: string;
  try {
    flagsTree = git(["rev-parse", "--verify", "--quiet", `${sourceCommit}:${prefix}`]);
  } catch {
    throw new UserError(`--dir ${dir}: ${source} (${sourceCommit.slice(0, 8)}) has no such directory`);
  }
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "flags-mirror-"));
  try {
    // A private index: the tree is built beside the user's work, never in it.
    const env = { ...gitEnv, GIT_INDEX_FILE: path.join(scratch, "index") };
    git(["read-tree", "--empty"], env);
    git(["read-tree", `--prefix=${prefix}/`, flagsTree], env);
    const tree = git(["write-tree"], env);
    const parent = resolveCommit(root, `refs/heads/${branch}`);
    if (parent !== undefined && git(["rev-parse", `${parent}^{tree}`]) === tree) {
      return { branch, commit: parent, appended: false, source: sourceCommit };
    }
    const message = `${prefix} from ${sourceCommit}\n\n${git(["log", "-1", "--format=%s", sourceCommit])}`;
    const commit = git(["commit-tree", tree, ...(parent ? ["-p", parent] : []), "-m", message]);
    git(["update-ref", `refs/heads/${branch}`, commit, ...(parent ? [parent] : [])]);
    return { branch, commit, appended: true, source: sourceCommit };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
