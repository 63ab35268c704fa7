import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { UserError } from "./userError";

/**
 * Reading a YAML file a person edits (Pulumi.yaml, a stack file, a flag file) so that a mistake
 * reads as one line, `<file>:<line>:<col>: YAML syntax error: <reason>`, instead of js-yaml's
 * excerpt and stack.
 */
export class YamlSyntaxError extends UserError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}:${column}: YAML syntax error: ${reason}`);
    this.name = "YamlSyntaxError";
  }
}

/** Rethrows js-yaml's exception as a YamlSyntaxError naming `file` (1-based line and column). */
export function rethrowYamlError(error: unknown, file: string): never {
  if (error instanceof yaml.YAMLException) {
    throw new YamlSyntaxError(file, (error.mark?.line ?? 0) + 1, (error.mark?.column ?? 0) + 1, error.reason);
  }
  throw error;
}

/** The single document of `text`, read from `file`. */
export function loadYaml(text: string, file: string): unknown {
  try {
    return yaml.load(text, { filename: file });
  } catch (error) {
    return rethrowYamlError(error, file);
  }
}

/** Every document of `text`, read from `file`. */
export function loadAllYaml(text: string, file: string): unknown[] {
  try {
    return yaml.loadAll(text, null, { filename: file });
  } catch (error) {
    return rethrowYamlError(error, file);
  }
}

/** How a file is named in a message: relative to the working directory when it is inside it. */
export function shownPath(file: string, cwd: string = process.cwd()): string {
  const relative = path.relative(cwd, file);
  return relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : file;
}

/** Reads and parses a YAML file; a missing or unreadable file is a UserError too. */
export function readYamlFile(file: string, shown: string = shownPath(file)): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(`${shown}: cannot read (${code === "ENOENT" ? "no such file" : code ?? String(error)})`);
  }
  return loadYaml(text, shown);
}
