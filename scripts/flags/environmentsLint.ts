import { FLAG_FILE_SUFFIX, INDEX_FILE } from "./document";
import { environmentFiles, ENVIRONMENTS, type Environment, type FlagsTree } from "./environments";
import { includedFiles, readIndex, syntaxProblem, type Problem } from "./folder";
import { METADATA } from "./lifecycle";
import { checkFlagFolder, type FlagEntry, type FolderReport } from "./lint";
import { parseYaml, YamlSyntaxError } from "./yamlSource";

/**
 * `lint` over every environment: each environment's folder as Flipt loads it (lint.ts), plus the
 * rules that span environments. Paths in problems and flags are relative to the flags root
 * (`dev/platform.features.yml`), so `formatProblem(root, …)` names the real file.
 */

/** Lifecycle metadata is one fact about a flag, whichever environment it is in. */
export const SHARED_LIFECYCLE_FIELDS = [METADATA.owner, METADATA.owners, METADATA.created, METADATA.expires, METADATA.permanent] as const;

export interface EnvironmentEntry extends FlagEntry {
  /** Undefined in the single layout. */
  readonly environment?: Environment;
}

export interface TreeReport {
  readonly problems: Problem[];
  readonly flags: EnvironmentEntry[];
  /** Per environment (or one entry, "", for the single layout): its report, paths relative to the environment. */
  readonly folders: ReadonlyMap<Environment | "", FolderReport>;
}

export function checkFlagsTree(tree: FlagsTree, today: string): TreeReport {
  if (tree.layout === "single") {
    const report = checkFlagFolder(tree.files, today);
    return { problems: report.problems, flags: report.flags, folders: new Map([["", report]]) };
  }
  const problems: Problem[] = [];
  const flags: EnvironmentEntry[] = [];
  const folders = new Map<Environment | "", FolderReport>();
  for (const file of tree.rootFiles) {
    if (file.path === INDEX_FILE || file.path.endsWith(FLAG_FILE_SUFFIX)) {
      problems.push({ file: file.path, line: 1, message: `outside the environment directories, so no stack serves it; move it into ${ENVIRONMENTS.map((e) => `${e}/`).join(" or ")}` });
    }
  }
  for (const environment of ENVIRONMENTS) {
    const files = tree.environments.get(environment)!;
    if (files.length === 0) {
      problems.push({ file: `${environment}/${INDEX_FILE}`, line: 1, message: `environment ${environment} has no directory; every environment needs ${environment}/ with its ${INDEX_FILE} and flag files` });
      continue;
    }
    const report = checkFlagFolder(files, today);
    folders.set(environment, report);
    const inEnvironment = (file: string) => `${environment}/${file}`;
    problems.push(...report.problems.map((p) => ({ ...p, file: inEnvironment(p.file) })));
    flags.push(...report.flags.map((f) => ({ ...f, file: inEnvironment(f.file), environment })));
  }
  problems.push(...crossEnvironmentProblems(flags));
  return { problems, flags, folders };
}

/**
 * The YAML syntax errors of the files Flipt would read (each environment's index and the files it
 * includes), with paths relative to the flags root: the commands that act on flags refuse these.
 */
export function syntaxProblems(tree: FlagsTree): Problem[] {
  const problems: Problem[] = [];
  for (const [environment, files] of tree.layout === "single" ? new Map([["", tree.files]]) : environmentFiles(tree)) {
    const read = [...files.filter((f) => f.path === INDEX_FILE), ...includedFiles(files, readIndex(files).index)];
    for (const file of read) {
      const shown = environment === "" ? file.path : `${environment}/${file.path}`;
      try {
        parseYaml(file.text, shown);
      } catch (error) {
        if (!(error instanceof YamlSyntaxError)) throw error;
        problems.push(syntaxProblem(shown, error));
      }
    }
  }
  return problems;
}

/** Lifecycle that disagrees between environments, and flags a later environment has but the one before it lacks. */
export function crossEnvironmentProblems(flags: readonly EnvironmentEntry[]): Problem[] {
  const problems: Problem[] = [];
  const byRef = new Map<string, EnvironmentEntry[]>();
  for (const flag of flags) byRef.set(`${flag.namespace}/${flag.key}`, [...(byRef.get(`${flag.namespace}/${flag.key}`) ?? []), flag]);
  for (const [ref, entries] of byRef) {
    const [first, ...others] = entries;
    for (const other of others) {
      for (const field of SHARED_LIFECYCLE_FIELDS) {
        const [a, b] = [metadataField(first, field), metadataField(other, field)];
        if (a !== b) {
          problems.push({
            file: other.file,
            line: other.line,
            message: `flag ${JSON.stringify(other.key)}: metadata.${field} is ${show(b)} in ${other.environment} but ${show(a)} in ${first.environment} (${first.file}:${first.line}); lifecycle metadata is one fact, make them agree`,
          });
        }
      }
    }
    for (const entry of entries) {
      const index = ENVIRONMENTS.indexOf(entry.environment!);
      const previous = ENVIRONMENTS[index - 1];
      if (index > 0 && !entries.some((e) => e.environment === previous)) {
        problems.push({
          file: entry.file,
          line: entry.line,
          message: `flag ${ref} is in ${entry.environment} but not in ${previous}: changes start in ${previous} and are promoted; add it to ${previous} (npm run flags -- promote --from ${entry.environment} --to ${previous} --flag ${ref}) or remove it from ${entry.environment}`,
        });
      }
    }
  }
  return problems;
}

function metadataField(flag: FlagEntry, field: string): unknown {
  const metadata = flag.metadata;
  return typeof metadata === "object" && metadata !== null ? (metadata as Record<string, unknown>)[field] : undefined;
}

const show = (value: unknown) => (value === undefined ? "absent" : JSON.stringify(value));
