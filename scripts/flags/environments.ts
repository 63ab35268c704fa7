import { UserError } from "./errors";
import type { FolderFile } from "./folder";
import { ENVIRONMENTS, isEnvironment, type Environment } from "../../settings/environments";

// The environments themselves are defined where the settings own them; the flags tool adds how it reads them.
export { ENVIRONMENTS, LIVE_ENVIRONMENT, FLAGS_ROOT, environmentDirectory, isEnvironment, type Environment } from "../../settings/environments";

/** Reads an `--env`-style option; a user error names the option, the value and the choices. */
export function requireEnvironment(value: string, option: string): Environment {
  if (isEnvironment(value)) return value;
  throw new UserError(`${option}: expected one of ${ENVIRONMENTS.join(", ")}, found ${JSON.stringify(value)}`);
}

/**
 * The flags folder as stored: `environments` when it has a directory per environment; `single`
 * for the layout before environments (one folder served by every stack), which a base ref older
 * than the switch still has and which tests and `--dir` of one folder use.
 */
export type FlagsTree =
  | { readonly layout: "environments"; readonly environments: ReadonlyMap<Environment, FolderFile[]>; readonly rootFiles: FolderFile[] }
  | { readonly layout: "single"; readonly files: FolderFile[] };

/** Splits the files of a flags folder (paths relative to it) into environments. */
export function readFlagsTree(files: readonly FolderFile[]): FlagsTree {
  const hasEnvironments = files.some((file) => ENVIRONMENTS.some((env) => file.path.startsWith(`${env}/`)));
  if (!hasEnvironments) return { layout: "single", files: [...files] };
  const environments = new Map<Environment, FolderFile[]>(ENVIRONMENTS.map((env) => [env, []]));
  const rootFiles: FolderFile[] = [];
  for (const file of files) {
    const env = ENVIRONMENTS.find((e) => file.path.startsWith(`${e}/`));
    if (env === undefined) rootFiles.push(file);
    else environments.get(env)!.push({ path: file.path.slice(env.length + 1), text: file.text });
  }
  return { layout: "environments", environments, rootFiles };
}

/** Each environment's files; the single layout is the state of every environment (it served them all). */
export function environmentFiles(tree: FlagsTree): Map<Environment, FolderFile[]> {
  if (tree.layout === "single") return new Map(ENVIRONMENTS.map((env) => [env, tree.files]));
  return new Map(tree.environments);
}
