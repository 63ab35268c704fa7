import * as fs from "node:fs";
import * as path from "node:path";
import { FLAG_FILE_GLOB, INDEX_FILE, INDEX_VERSION } from "./document";
import { UserError } from "./errors";
import { parseYaml, YamlSyntaxError } from "./yamlSource";

/** A file of the flag folder: path relative to the folder with "/" separators, and its text. */
export interface FolderFile {
  readonly path: string;
  readonly text: string;
}

/** A finding about a file: where it is and what is wrong, as `file:line: message`. */
export interface Problem {
  readonly file: string;
  readonly line: number;
  /** Given where it is known (YAML syntax errors). */
  readonly column?: number;
  readonly message: string;
}

export function formatProblem(folder: string, problem: Problem): string {
  const column = problem.column === undefined ? "" : `:${problem.column}`;
  return `${path.join(folder, problem.file)}:${problem.line}${column}: ${problem.message}`;
}

/** A file's YAML syntax error as a lint problem: `file:line:col: YAML syntax error: reason`. */
export function syntaxProblem(file: string, error: YamlSyntaxError): Problem {
  return { file, line: error.line, column: error.column, message: `YAML syntax error: ${error.reason}` };
}

/** Every file under `dir`, in the order Flipt walks them (fs.WalkDir: lexical per directory). */
export function readFolder(dir: string, shown: string = dir): FolderFile[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new UserError(`${shown}: no such directory`);
  }
  const files: FolderFile[] = [];
  const walk = (relative: string) => {
    const entries = fs.readdirSync(path.join(dir, relative), { withFileTypes: true });
    for (const entry of entries.sort((a, b) => compareNames(a.name, b.name))) {
      const child = relative === "" ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) files.push({ path: child, text: fs.readFileSync(path.join(dir, child), "utf8") });
    }
  };
  walk("");
  return files;
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders folder paths the way fs.WalkDir visits them: name by name, per directory level. */
export function compareWalkOrder(a: string, b: string): number {
  const [left, right] = [a.split("/"), b.split("/")];
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const order = compareNames(left[i], right[i]);
    if (order !== 0) return order;
  }
  return left.length - right.length;
}

// ---- the index (.flipt.yml) ----------------------------------------------------------------

export interface FlagIndex {
  readonly include: readonly RegExp[];
  readonly exclude: readonly RegExp[];
}

/** What Flipt uses when the folder has no .flipt.yml (internal/storage/fs/index.go). */
const DEFAULT_INCLUDE = ["**features.yml", "**features.yaml", "**.features.yml", "**.features.yaml"];
const INDEX_FIELDS = ["version", "include", "exclude"];

export function readIndex(files: readonly FolderFile[]): { index: FlagIndex; problems: Problem[] } {
  const file = files.find((f) => f.path === INDEX_FILE);
  if (file === undefined) return { index: compileIndex(DEFAULT_INCLUDE, [], () => undefined), problems: [] };
  const problems: Problem[] = [];
  const report = (line: number, message: string) => problems.push({ file: INDEX_FILE, line, message });
  let source;
  try {
    source = parseYaml(file.text, file.path);
  } catch (error) {
    if (!(error instanceof YamlSyntaxError)) throw error;
    problems.push(syntaxProblem(INDEX_FILE, error));
    return { index: compileIndex([], [], () => undefined), problems };
  }
  const root = source.documents[0];
  if (typeof root !== "object" || root === null || Array.isArray(root)) {
    report(1, `expected a map with version: "${INDEX_VERSION}" and include: [globs]`);
    return { index: compileIndex([], [], () => undefined), problems };
  }
  const map = root as Record<string, unknown>;
  for (const key of Object.keys(map).filter((k) => !INDEX_FIELDS.includes(k))) {
    report(source.line(map, key), `unknown field ${JSON.stringify(key)}; Flipt reads only ${INDEX_FIELDS.join(", ")}`);
  }
  if (map.version !== undefined && map.version !== INDEX_VERSION) {
    report(source.line(map, "version"), `version: expected "${INDEX_VERSION}", found ${JSON.stringify(map.version)}`);
  }
  const globs = (field: "include" | "exclude"): string[] => {
    const value = map[field];
    if (value === undefined || value === null) return [];
    if (Array.isArray(value) && value.every((g) => typeof g === "string")) return value as string[];
    report(source.line(map, field), `${field}: expected a list of glob strings`);
    return [];
  };
  const include = globs("include");
  if (include.length === 0) {
    report(source.line(map, "include"), `include: no globs, so Flipt would serve no flags; expected e.g. ["${FLAG_FILE_GLOB}"]`);
  }
  const index = compileIndex(include, globs("exclude"), (glob, reason) =>
    report(source.line(map, include.includes(glob) ? "include" : "exclude"), `glob ${JSON.stringify(glob)}: ${reason}`),
  );
  return { index, problems };
}

function compileIndex(
  include: readonly string[],
  exclude: readonly string[],
  onError: (glob: string, reason: string) => void,
): FlagIndex {
  const compile = (globs: readonly string[]) =>
    globs.flatMap((glob) => {
      try {
        return [globToRegExp(glob)];
      } catch (error) {
        onError(glob, error instanceof Error ? error.message : String(error));
        return [];
      }
    });
  return { include: compile(include), exclude: compile(exclude) };
}

export function isIncluded(index: FlagIndex, filePath: string): boolean {
  return index.include.some((g) => g.test(filePath)) && !index.exclude.some((g) => g.test(filePath));
}

/**
 * Flipt compiles index globs with gobwas/glob and no separators, so `*` and `**` both match any
 * run of characters, "/" included; `?` one character; `[...]`/`[!...]` a class; `{a,b}` either.
 */
export function globToRegExp(glob: string): RegExp {
  let out = "";
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === "\\") {
      if (i + 1 >= glob.length) throw new Error("ends with a lone \\");
      out += escapeRegExp(glob[++i]);
    } else if (ch === "*") {
      while (glob[i + 1] === "*") i++;
      out += "[\\s\\S]*";
    } else if (ch === "?") out += "[\\s\\S]";
    else if (ch === "[") {
      const end = glob.indexOf("]", i + 2);
      if (end === -1) throw new Error("unclosed [");
      const body = glob.slice(i + 1, end);
      out += body.startsWith("!") ? `[^${escapeClass(body.slice(1))}]` : `[${escapeClass(body)}]`;
      i = end;
    } else if (ch === "{") {
      braces++;
      out += "(?:";
    } else if (ch === "}" && braces > 0) {
      braces--;
      out += ")";
    } else if (ch === "," && braces > 0) out += "|";
    else out += escapeRegExp(ch);
  }
  if (braces > 0) throw new Error("unclosed {");
  return new RegExp(`^${out}$`);
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
const escapeClass = (body: string) => body.replace(/[\\\]^]/g, "\\$&");

/** The files Flipt would load: matched by the index, in walk order. */
export function includedFiles(files: readonly FolderFile[], index: FlagIndex): FolderFile[] {
  return files.filter((file) => isIncluded(index, file.path));
}
