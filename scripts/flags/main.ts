import * as fs from "node:fs";
import * as path from "node:path";
import { localToday, requireDate } from "./dates";
import { FLAG_FILE_SUFFIX, flagFileName, INDEX_FILE, renderFlagFile, renderIndex } from "./document";
import { UserError } from "./errors";
import { formatProblem, readFolder, type FolderFile, type Problem } from "./folder";
import { diffFlags } from "./diff";
import { DIFF_FORMATS, formatDiff, formatUncomparable, type DiffFormat } from "./diffReport";
import { environmentDirectory, environmentFiles, ENVIRONMENTS, FLAGS_ROOT, readFlagsTree, requireEnvironment, type Environment, type FlagsTree } from "./environments";
import { checkFlagsTree, syntaxProblems, type TreeReport } from "./environmentsLint";
import { defaultBase, readFolderAtRef, repositoryRoot, resolveCommit } from "./gitTree";
import { checkFlagFolder } from "./lint";
import { flagCounts, memoryGuard, memoryGuardProblems } from "./memoryGuard";
import { FLAGS_MIRROR_BRANCH, updateFlagsMirror } from "./mirror";
import { planPromotion } from "./promote";
import { readEnvironmentState } from "./state";
import { bucketingReport, mappingTable, planMigration } from "./migrate";
import { NEW_FLAG_TYPES, planNewFlag, type NewFlagType } from "./newFlag";
import { parseSnapshot } from "./snapshot";
import { findStaleFlags, formatStale, STALE_FORMATS, type StaleFormat } from "./stale";
import { stackDirectoryProblems } from "./stacksLint";
import { plural } from "../lib/text";
import { options } from "./cliOptions";
import { OVERRIDE_USAGE, override } from "./override";

/** Where the CLI writes and what it takes as given; tests pass their own. */
export interface CliIo {
  readonly cwd: string;
  readonly today: string;
  stdout(line: string): void;
  stderr(line: string): void;
  /** The environment (KUBECONFIG for override); defaults to the process's. */
  readonly env?: NodeJS.ProcessEnv;
}

/** `--dir`: the flags root, with one directory per environment. */
export const DEFAULT_FLAGS_DIR = FLAGS_ROOT;
const ENV_CHOICES = ENVIRONMENTS.join("|");

/** Each command's synopsis and what it does: `flags <command> --help` prints one, `flags --help` all. */
const COMMAND_USAGE: Record<string, string> = {
  migrate: `migrate --from <snapshot.json> --out <dir> [--today YYYY-MM-DD] [--default-owner <team>]
      Turn the file store's snapshot into Flipt flag files, identical in every environment under <dir>.`,
  lint: `lint [--dir <dir>] [--today YYYY-MM-DD]
      Check every environment's flag files, the rules across environments and, for this repository's
      flags root, that every stack file serves an existing environment directory; exit 1 on any problem.
      Each stack's memoryLimit is judged against its environment's flag count (the memory after syncs
      that bench/results.json's scale rows predict): a warning past 80 %, a problem at 100 %.`,
  stale: `stale [--dir <dir>] [--today YYYY-MM-DD] [--format text|json|markdown]
      List flags due for review (older than 90 days or past expires), each once with its environments.`,
  new: `new --key <key> --owner <team> --description <text> [--namespace <ns>] [--env ${ENV_CHOICES}]
      [--expires YYYY-MM-DD | --permanent] [--type boolean|variant] [--dir <dir>]
      Add a flag to an environment (default ${ENVIRONMENTS[0]}), created today, expiring in 90 days unless told otherwise.`,
  diff: `diff [--base <git-ref>] [--head <git-ref>] [--format text|markdown|json] [--dir <dir>]
      What the change from the base (default origin/main, else HEAD) to the working tree (or --head)
      does to subjects, per environment, and the flags that differ between environments. A side that
      does not parse or lint cannot be compared: exit 1, with the problems.`,
  promote: `promote --from <env> --to <env> [--flag <namespace>/<key> ...] [--dir <dir>] [--today YYYY-MM-DD]
      Copy flag definitions and the segments they use from one environment to another (default:
      every flag that differs); prints what changes. Commit the result to serve it.`,
  mirror: `mirror [--source <git-ref>] [--branch <name>] [--dir <dir>]
      Append to the mirror branch (default ${FLAGS_MIRROR_BRANCH}) a commit holding only the flags root of
      --source (default HEAD), when it changed and lints clean; push the branch to serve it (a stack
      follows it with gitRef).`,
  override: OVERRIDE_USAGE,
};

const DIR_NOTE = `--dir is the flags root (default ${DEFAULT_FLAGS_DIR}), with one directory per environment
(${ENVIRONMENTS.map((e) => environmentDirectory(e, DEFAULT_FLAGS_DIR)).join(", ")}); a folder without them is read as one environment.`;

const USAGE = `Usage: npm run flags -- <command> [options]   (npm run flags -- <command> --help for one)

${DIR_NOTE}

Commands:
${Object.values(COMMAND_USAGE).map((usage) => `  ${usage}`).join("\n")}

Environments, promotion, policy and key mapping: flags/README.md.`;

const commandUsage = (name: string) => `Usage: npm run flags -- ${COMMAND_USAGE[name]}\n\n${COMMAND_USAGE[name].includes("--dir") ? `${DIR_NOTE}\n` : ""}More: flags/README.md.`;

type Command = (args: string[], io: CliIo) => number | Promise<number>;

const overrideCommand: Command = (args, io) => override(args, { ...io, env: io.env ?? process.env });

const COMMANDS: Record<string, Command> = { migrate, lint, stale, new: newCommand, diff, promote, mirror, override: overrideCommand };

/**
 * Runs one command; returns the exit code (a promise for the commands that reach a cluster).
 * User errors become one line per problem on stderr.
 */
export function run(argv: readonly string[], io: CliIo): number | Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    io.stdout(USAGE);
    return name === undefined ? 1 : 0;
  }
  const command = COMMANDS[name];
  try {
    if (command === undefined) throw new UserError(`unknown command ${JSON.stringify(name)}; expected one of ${Object.keys(COMMANDS).join(", ")} (see --help)`);
    if (args.includes("--help") || args.includes("-h")) {
      io.stdout(commandUsage(name));
      return 0;
    }
    const code = command(args, io);
    return typeof code === "number" ? code : code.catch((error: unknown) => userErrorCode(name, error, io));
  } catch (error) {
    return userErrorCode(name, error, io);
  }
}

function userErrorCode(name: string, error: unknown, io: CliIo): number {
  if (!(error instanceof UserError)) throw error;
  for (const problem of error.problems) io.stderr(`flags ${name}: ${problem}`);
  return error.exitCode ?? 1;
}

function todayOption(value: string | undefined, io: CliIo): string {
  if (value === undefined) return io.today;
  requireDate(value, "--today");
  return value;
}

// ---- migrate -----------------------------------------------------------------------------

function migrate(args: string[], io: CliIo): number {
  const opts = options(args, { from: { type: "string" }, out: { type: "string" }, today: { type: "string" }, "default-owner": { type: "string" } }, ["from", "out"]);
  const today = todayOption(opts.today, io);
  const from = opts.from!;
  const snapshot = parseSnapshot(readText(path.resolve(io.cwd, from), from), from);
  snapshot.warnings.forEach((warning) => io.stderr(`warning: ${warning}`));
  const migration = planMigration(snapshot, { created: today, defaultOwner: opts["default-owner"] });
  const files: FolderFile[] = [
    { path: INDEX_FILE, text: renderIndex() },
    ...migration.documents.map((doc) => ({ path: flagFileName(doc.namespace), text: renderFlagFile(doc) })),
  ];
  const check = checkFlagFolder(files, today);
  if (check.problems.length > 0) {
    // The migration writes only what lint accepts; anything else is a bug in the tool.
    throw new Error(`migration output fails lint:\n${check.problems.map((p) => formatProblem(opts.out!, p)).join("\n")}`);
  }
  // Every environment gets the same flags: on the day of the switch each stack serves what it served before.
  for (const environment of ENVIRONMENTS) {
    const shown = environmentDirectory(environment, opts.out!);
    const outDir = path.resolve(io.cwd, shown);
    warnAboutOtherFlagFiles(outDir, files, shown, io);
    writeFiles(outDir, files, shown);
  }
  io.stdout(mappingTable(migration.flags));
  io.stdout("");
  bucketingReport(migration.bucketingChanges).forEach((line) => io.stdout(line));
  io.stdout("");
  const dirs = ENVIRONMENTS.map((e) => environmentDirectory(e, opts.out!)).join(" and ");
  io.stdout(`Wrote ${plural(migration.flags.length, "flag")} in ${plural(migration.documents.length, "namespace")} to ${dirs} (identical): ${files.map((f) => f.path).join(", ")}`);
  return 0;
}

function warnAboutOtherFlagFiles(outDir: string, written: readonly FolderFile[], shownDir: string, io: CliIo): void {
  if (!fs.existsSync(outDir)) return;
  const others = fs
    .readdirSync(outDir)
    .filter((name) => name.endsWith(FLAG_FILE_SUFFIX) && !written.some((f) => f.path === name));
  for (const name of others) {
    io.stderr(`warning: ${path.join(shownDir, name)} was not written by this migration but Flipt will serve it too`);
  }
}

// ---- lint --------------------------------------------------------------------------------

function readTree(io: CliIo, dir: string): FlagsTree {
  return readFlagsTree(readFolder(path.resolve(io.cwd, dir), dir));
}

/**
 * The tree of `dir`, refused with one line per file that does not parse (`file:line:col: YAML
 * syntax error: …`): for the commands that read flags to act on them, so none acts on a typo.
 * `shown` names the files (a git `ref:` prefix for a side read from a commit).
 */
function requireParsable(tree: FlagsTree, shown: string): FlagsTree {
  refuseSyntaxErrors(syntaxProblems(tree), shown);
  return tree;
}

/** Throws the problems that are YAML syntax errors (those with a column), one line each, if there are any. */
function refuseSyntaxErrors(problems: readonly Problem[], shown: string): void {
  const syntax = problems.filter((p) => p.column !== undefined);
  if (syntax.length > 0) throw new UserError(syntax.map((p) => formatProblem(shown, p)));
}

function lint(args: string[], io: CliIo): number {
  const opts = options(args, { dir: { type: "string" }, today: { type: "string" } });
  const today = todayOption(opts.today, io);
  const dir = opts.dir ?? DEFAULT_FLAGS_DIR;
  const report = checkFlagsTree(readTree(io, dir), today);
  const flagsRoot = path.resolve(io.cwd, dir);
  // The memory guard's warnings are printed like problems but do not fail lint; its errors do.
  const memory = memoryGuardProblems(memoryGuard(flagsRoot, io.cwd, flagCounts(report), dir), flagsRoot);
  const problems = [...report.problems, ...stackDirectoryProblems(flagsRoot), ...memory.errors];
  [...problems, ...memory.warnings].forEach((problem) => io.stdout(formatProblem(dir, problem)));
  const summary = [...report.folders.entries()]
    .map(([env, folder]) => `${env === "" ? "" : `${env}: `}${plural(folder.flags.length, "flag")} in ${plural(folder.files.length, "file")} (${folder.files.join(", ")})`)
    .join("; ");
  const warnings = memory.warnings.length === 0 ? "" : `; ${plural(memory.warnings.length, "warning")} (above)`;
  if (problems.length > 0) {
    io.stdout(`${plural(problems.length, "problem")}; ${summary}${warnings}`);
    return 1;
  }
  io.stdout(`No problems: ${summary}${warnings}`);
  return 0;
}

// ---- stale -------------------------------------------------------------------------------

function stale(args: string[], io: CliIo): number {
  const opts = options(args, { dir: { type: "string" }, today: { type: "string" }, format: { type: "string" } });
  const today = todayOption(opts.today, io);
  const dir = opts.dir ?? DEFAULT_FLAGS_DIR;
  const format = opts.format ?? "text";
  if (!(STALE_FORMATS as readonly string[]).includes(format)) {
    throw new UserError(`--format: expected one of ${STALE_FORMATS.join(", ")}, found ${JSON.stringify(format)}`);
  }
  const report = checkFlagsTree(readTree(io, dir), today);
  refuseSyntaxErrors(report.problems, dir); // lint's own parse: no second one
  if (report.problems.length > 0) {
    io.stderr(`note: ${dir} has ${plural(report.problems.length, "lint problem")}; flags in files with problems may be missing from the list (run: npm run flags -- lint --dir ${dir})`);
  }
  io.stdout(formatStale(findStaleFlags(report.flags, today), format as StaleFormat, today, dir));
  return 0;
}

// ---- new ---------------------------------------------------------------------------------

function newCommand(args: string[], io: CliIo): number {
  const spec = {
    key: { type: "string" },
    owner: { type: "string" },
    description: { type: "string" },
    namespace: { type: "string" },
    expires: { type: "string" },
    permanent: { type: "boolean" },
    type: { type: "string" },
    dir: { type: "string" },
    env: { type: "string" },
    today: { type: "string" },
  } as const;
  const opts = options(args, spec, ["key", "owner", "description"]);
  const type = opts.type ?? "boolean";
  if (!(NEW_FLAG_TYPES as readonly string[]).includes(type)) {
    throw new UserError(`--type: expected one of ${NEW_FLAG_TYPES.join(", ")}, found ${JSON.stringify(type)}`);
  }
  const root = opts.dir ?? DEFAULT_FLAGS_DIR;
  const environment = requireEnvironment(opts.env ?? ENVIRONMENTS[0], "--env");
  // A new flag starts in one environment (dev unless told) and reaches the others by promotion.
  const dir = requireParsable(readTree(io, root), root).layout === "environments" ? environmentDirectory(environment, root) : root;
  const today = todayOption(opts.today, io);
  const change = planNewFlag(readFolder(path.resolve(io.cwd, dir), dir), {
    key: opts.key!,
    owner: opts.owner!,
    description: opts.description!,
    namespace: opts.namespace,
    expires: opts.expires,
    permanent: opts.permanent ?? false,
    type: type as NewFlagType,
    today,
  }, dir);
  writeFiles(path.resolve(io.cwd, dir), [change], dir);
  const namespace = opts.namespace ?? "default";
  io.stdout(`${change.created ? "Created" : "Updated"} ${path.join(dir, change.path)}: added flag ${opts.key} in namespace ${namespace} (disabled; commit it to reach Flipt).`);
  return 0;
}

// ---- diff --------------------------------------------------------------------------------

function diff(args: string[], io: CliIo): number {
  const opts = options(args, { base: { type: "string" }, head: { type: "string" }, format: { type: "string" }, dir: { type: "string" } });
  const format = opts.format ?? "text";
  if (!(DIFF_FORMATS as readonly string[]).includes(format)) {
    throw new UserError(`--format: expected one of ${DIFF_FORMATS.join(", ")}, found ${JSON.stringify(format)}`);
  }
  const dir = opts.dir ?? DEFAULT_FLAGS_DIR;
  const root = repositoryRoot(io.cwd);
  const inRepository = path.relative(root, path.resolve(io.cwd, dir));
  if (inRepository.startsWith("..")) throw new UserError(`--dir ${dir}: outside the Git repository ${root}`);
  const base = opts.base ?? defaultBase(root);
  const short = (ref: string) => `${ref} (${resolveCommit(root, ref)!.slice(0, 8)})`;
  const atRef = (ref: string, option: string) => {
    const tree = readFlagsTree(readFolderAtRef(root, ref, inRepository, option)); // refuses a ref that names no commit
    return { name: short(ref), tree, shown: `${ref}:${inRepository}` };
  };
  const sides = [atRef(base, "--base"), opts.head === undefined ? { name: "the working tree", tree: readTree(io, dir), shown: dir } : atRef(opts.head, "--head")];
  // A side with a typo would show its flags as removed: refuse to compare instead, naming the file.
  const today = io.today;
  const reports = sides.map((side) => checkFlagsTree(side.tree, today));
  const problems = sides.flatMap((side, i) => uncomparable(reports[i]).map((p) => formatProblem(side.shown, p)));
  if (problems.length > 0) {
    io.stdout(formatUncomparable({ base: sides[0].name, head: sides[1].name, problems }, format as DiffFormat));
    throw new UserError(problems);
  }
  const states = (tree: FlagsTree) => new Map([...environmentFiles(tree)].map(([env, files]) => [env, readEnvironmentState(files)]));
  const report = diffFlags({
    base: sides[0].name,
    head: sides[1].name,
    baseSingleLayout: sides[0].tree.layout === "single",
    before: states(sides[0].tree),
    after: states(sides[1].tree),
  });
  // The head side judged against the stacks' memoryLimit, read from the working tree's stack files.
  const memory = memoryGuard(path.resolve(io.cwd, dir), io.cwd, flagCounts(reports[1]), sides[1].shown);
  io.stdout(formatDiff(report, format as DiffFormat, dir, memory));
  return 0;
}

/** Why a side cannot be compared: its files that do not parse (the problems with a column), else its lint problems. */
function uncomparable(report: TreeReport): Problem[] {
  const problems = report.problems;
  const syntax = problems.filter((p) => p.column !== undefined);
  return syntax.length > 0 ? syntax : problems;
}

// ---- mirror ------------------------------------------------------------------------------

function mirror(args: string[], io: CliIo): number {
  const opts = options(args, { source: { type: "string" }, branch: { type: "string" }, dir: { type: "string" } });
  const dir = opts.dir ?? DEFAULT_FLAGS_DIR;
  const root = repositoryRoot(io.cwd);
  const inRepository = path.relative(root, path.resolve(io.cwd, dir));
  if (inRepository === "" || inRepository.startsWith("..")) throw new UserError(`--dir ${dir}: expected a directory inside the Git repository ${root}`);
  const source = opts.source ?? "HEAD";
  // The mirror is what a stack serves: a source whose flags do not lint is not appended.
  // A source whose flag files do not parse is not mirrored: the branch keeps serving the last one that did.
  const problems = syntaxProblems(readFlagsTree(readFolderAtRef(root, source, inRepository, "--source")));
  if (problems.length > 0) {
    throw new UserError([...problems.map((p) => formatProblem(`${source}:${inRepository}`, p)), `${source}: not mirrored; the mirror keeps what it holds`]);
  }
  const update = updateFlagsMirror(root, inRepository, source, opts.branch ?? FLAGS_MIRROR_BRANCH);
  io.stdout(
    update.appended
      ? `${update.branch}: appended ${update.commit.slice(0, 8)} with ${inRepository}/ of ${update.source.slice(0, 8)}; push it: git push origin ${update.branch}`
      : `${update.branch}: already holds ${inRepository}/ of ${update.source.slice(0, 8)} (${update.commit.slice(0, 8)}); nothing appended`,
  );
  return 0;
}

// ---- promote -----------------------------------------------------------------------------

function promote(args: string[], io: CliIo): number {
  const spec = { from: { type: "string" }, to: { type: "string" }, flag: { type: "string", multiple: true }, dir: { type: "string" }, today: { type: "string" } } as const;
  const opts = options(args, spec, ["from", "to"]);
  const [from, to]: Environment[] = [requireEnvironment(opts.from!, "--from"), requireEnvironment(opts.to!, "--to")];
  const root = opts.dir ?? DEFAULT_FLAGS_DIR;
  const tree = requireParsable(readTree(io, root), root);
  if (tree.layout !== "environments") {
    throw new UserError(`--dir ${root}: has no environment directories (${ENVIRONMENTS.map((e) => environmentDirectory(e, root)).join(", ")}); promote copies between them`);
  }
  const promotion = planPromotion(tree.environments.get(from)!, tree.environments.get(to)!, { from, to, flags: opts.flag ?? [], today: todayOption(opts.today, io) });
  const targetDir = environmentDirectory(to, root);
  for (const ref of promotion.unchanged) io.stdout(`${ref}: already the same in ${from} and ${to}; nothing to promote`);
  if (promotion.files.length === 0) {
    io.stdout(`Nothing to promote: ${to} already serves what ${from} serves${opts.flag === undefined ? "" : " for the flags given"}.`);
    return 0;
  }
  writeFiles(path.resolve(io.cwd, targetDir), promotion.files, targetDir);
  io.stdout(`Promoted ${plural(promotion.promoted.length, "flag")} from ${from} to ${to} (${promotion.files.map((f) => path.join(targetDir, f.path)).join(", ")}); what ${to} will serve once this is committed:`);
  for (const change of promotion.diff.flags) io.stdout([`  ${change.ref} ${change.kind}`, ...change.effects.map((e) => `    - ${e}`)].join("\n"));
  for (const change of promotion.diff.segments) io.stdout([`  segment ${change.ref} ${change.kind}`, ...change.effects.map((e) => `    - ${e}`)].join("\n"));
  io.stdout(`Review with \`npm run flags -- diff\`, then commit ${targetDir}.`);
  return 0;
}

// ---- files -------------------------------------------------------------------------------

function readText(file: string, shown: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(`${shown}: cannot read (${code === "ENOENT" ? "no such file" : code ?? String(error)})`);
  }
}

/** Writes each file through a temporary file and a rename, so no file is left half written. */
function writeFiles(dir: string, files: readonly { path: string; text: string }[], shownDir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
    for (const file of files) {
      const target = path.join(dir, file.path);
      const temporary = `${target}.${process.pid}.tmp`;
      fs.writeFileSync(temporary, file.text);
      fs.renameSync(temporary, target);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(`${shownDir}: cannot write (${code ?? String(error)})`);
  }
}

export function defaultIo(): CliIo {
  return {
    cwd: process.cwd(),
    today: localToday(),
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
  };
}
