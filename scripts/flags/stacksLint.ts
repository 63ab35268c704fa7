import * as fs from "node:fs";
import * as path from "node:path";
import { listStacks, placeholderSecret, readStackConfig } from "../../settings/stackFiles";
import { INDEX_FILE } from "./document";
import { FLAGS_ROOT } from "./environments";
import type { Problem } from "./folder";

/** The stack option that names the directory a stack's Flipt serves. */
const DIRECTORY_KEY = "gitDirectory";

/**
 * `lint` of a repository's flags root also checks the stacks that serve it: every stack file's
 * gitDirectory must be an existing directory with an index, or that stack's Flipt serves nothing.
 * Paths are relative to the flags root (`../Pulumi.dev.yaml`), as every lint problem's is.
 * Any other folder (a copy, a test's) has no stacks beside it and gets no such check.
 */
export function stackDirectoryProblems(flagsRoot: string): Problem[] {
  const repository = path.dirname(flagsRoot);
  if (path.basename(flagsRoot) !== FLAGS_ROOT || !fs.existsSync(path.join(repository, "Pulumi.yaml"))) return [];
  const problems: Problem[] = [];
  for (const stack of listStacks(repository)) {
    const input = readStackConfig(stack, placeholderSecret, repository);
    const declared = input.declarations.find((d) => d.key === DIRECTORY_KEY)?.default;
    const directory = input.values[DIRECTORY_KEY] ?? declared;
    const file = `Pulumi.${stack}.yaml`;
    const where = { file: path.relative(flagsRoot, path.join(repository, file)), line: keyLine(path.join(repository, file), `${input.project}:${DIRECTORY_KEY}`) };
    if (typeof directory !== "string") continue; // the settings report a missing or mistyped value
    const served = path.join(repository, directory);
    if (!fs.existsSync(path.join(served, INDEX_FILE))) {
      const found = fs.existsSync(served) ? `has no ${INDEX_FILE}` : "does not exist";
      problems.push({ ...where, message: `stack ${stack} serves ${directory}, which ${found}; expected an environment directory of ${FLAGS_ROOT}/ with its ${INDEX_FILE}` });
    }
  }
  return problems;
}

/** The line of `key:` in a stack file, or 1 when it is not set there (the declared default applies). */
export function keyLine(file: string, key: string): number {
  const index = fs.readFileSync(file, "utf8").split("\n").findIndex((line) => line.trimStart().startsWith(`${key}:`));
  return index + 1 || 1;
}
