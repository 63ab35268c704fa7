import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { UserError } from "./errors";
import { compareWalkOrder, type FolderFile } from "./folder";

/**
 * Reading a folder as it is in a commit, with git itself (`git ls-tree`, `git show`), so that
 * `flags diff` compares against exactly what a ref holds, whatever the working tree contains.
 */

function git(cwd: string, args: readonly string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });
}

/** The repository's top-level directory; a user error outside a Git work tree. */
export function repositoryRoot(cwd: string): string {
  try {
    return git(cwd, ["rev-parse", "--show-toplevel"]).trim();
  } catch {
    throw new UserError(`${cwd}: not inside a Git repository; flags diff reads the base with git`);
  }
}

/** The commit a ref names, or undefined when it names none. */
export function resolveCommit(root: string, ref: string): string | undefined {
  try {
    return git(root, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]).trim();
  } catch {
    return undefined;
  }
}

/** The base a pull request merges into when there is a remote main, otherwise the last commit. */
export function defaultBase(root: string): string {
  return resolveCommit(root, "origin/main") === undefined ? "HEAD" : "origin/main";
}

/**
 * The files under `dir` (relative to the repository root) at `ref`, with paths relative to `dir`;
 * empty when the ref has no such directory.
 */
export function readFolderAtRef(root: string, ref: string, dir: string, option = "--base"): FolderFile[] {
  const commit = resolveCommit(root, ref);
  if (commit === undefined) throw new UserError(`${option} ${ref}: not a commit in ${root}; expected a branch, tag or commit such as origin/main or HEAD~1`);
  const prefix = dir === "" || dir === "." ? "" : `${dir.split(path.sep).join("/").replace(/\/$/, "")}/`;
  const listing = git(root, ["ls-tree", "-r", "-z", "--full-tree", "--name-only", commit, "--", prefix === "" ? "." : prefix]);
  return listing
    .split("\0")
    .filter((name) => name !== "" && name.startsWith(prefix))
    .map((name) => ({ path: name.slice(prefix.length), text: git(root, ["show", `${commit}:${name}`]) }))
    .sort((a, b) => compareWalkOrder(a.path, b.path));
}
