import * as path from "node:path";
import { isEnvironment, readFlagsTree, type Environment } from "../scripts/flags/environments";
import { checkFlagsTree } from "../scripts/flags/environmentsLint";
import { formatProblem, type FolderFile } from "../scripts/flags/folder";
import { checkFlagFolder } from "../scripts/flags/lint";

/**
 * Where the stack's flags are in the repository: gitDirectory (flags/prod) is one environment of
 * a flags root (flags) with a directory per environment, which `flags lint` checks as a whole; a
 * directory that is not an environment is checked as one folder.
 */
export interface FlagsLayout {
  readonly root: string;
  /** Undefined when the directory is checked as one folder. */
  readonly environment?: Environment;
}

export function flagsLayout(directory: string): FlagsLayout {
  const clean = directory.replace(/\/+$/, "");
  const base = path.posix.basename(clean);
  if (isEnvironment(base) && clean.includes("/")) return { root: path.posix.dirname(clean), environment: base };
  return { root: clean };
}

/** The files of the stack's own folder (paths relative to it) out of the flags root's files. */
export function stackFolder(layout: FlagsLayout, rootFiles: readonly FolderFile[]): FolderFile[] {
  if (layout.environment === undefined) return [...rootFiles];
  const prefix = `${layout.environment}/`;
  return rootFiles.filter((f) => f.path.startsWith(prefix)).map((f) => ({ path: f.path.slice(prefix.length), text: f.text }));
}

/** Puts the stack folder's files back among the root's. */
export function withStackFolder(layout: FlagsLayout, rootFiles: readonly FolderFile[], folder: readonly FolderFile[]): FolderFile[] {
  if (layout.environment === undefined) return [...folder];
  const prefix = `${layout.environment}/`;
  return [...rootFiles.filter((f) => !f.path.startsWith(prefix)), ...folder.map((f) => ({ path: `${prefix}${f.path}`, text: f.text }))];
}

/**
 * The problems `flags lint` finds in a commit's flags (Flipt's own loading rules, the lifecycle
 * policy, the rules across environments), one line each as lint prints them. Empty means Flipt
 * would load it. (The memory guard and the stack-file checks read the Pulumi stack files, which
 * the relay does not have; CI runs them on every pull request.)
 */
export function commitProblems(layout: FlagsLayout, rootFiles: readonly FolderFile[], today: string): string[] {
  if (rootFiles.length === 0) return [`${layout.root}: no such directory in the commit`];
  const report = checkFlagsTree(readFlagsTree(rootFiles), today);
  const problems = report.problems.map((p) => formatProblem(layout.root, p));
  if (layout.environment !== undefined && !report.folders.has(layout.environment)) problems.push(`${layout.root}/${layout.environment}: no such directory in the commit`);
  return problems;
}

/** Flipt's rules (and lint's) for the stack's folder alone: what an override's result must pass. */
export function folderProblems(layout: FlagsLayout, folder: readonly FolderFile[], today: string): string[] {
  const shown = layout.environment === undefined ? layout.root : `${layout.root}/${layout.environment}`;
  return checkFlagFolder(folder, today).problems.map((p) => formatProblem(shown, p));
}
