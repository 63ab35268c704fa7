/**
 * A throw-away Git repository holding a flags directory, laid out as the deployed program expects
 * it (`<directory>/` on `<ref>`), for Flipt to clone through the Git storage backend. A bare
 * repository is served; changes are committed in a work tree and pushed to it, like a merge would.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export interface FlagsRepositoryOptions {
  readonly gitBin: string;
  /** Parent of the bare repository: the Git server's project root. */
  readonly projectRoot: string;
  /** Name of the bare repository under projectRoot, e.g. `flipt-deploy.git`. */
  readonly name: string;
  /** Scratch directory for the work tree. */
  readonly workDir: string;
  /** The branch Flipt follows (settings.git.ref). */
  readonly ref: string;
  /** The directory inside the repository that holds the flags (settings.git.directory). */
  readonly directory: string;
}

/** Identity and config for every git call: no user config, no prompts, no signing. */
export function gitEnv(home: string | undefined = process.env.HOME): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: home,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_AUTHOR_NAME: "flipt-deploy tests",
    GIT_AUTHOR_EMAIL: "flipt-deploy@localhost",
    GIT_COMMITTER_NAME: "flipt-deploy tests",
    GIT_COMMITTER_EMAIL: "flipt-deploy@localhost",
    GIT_TERMINAL_PROMPT: "0",
  };
}

export class FlagsRepository {
  readonly barePath: string;
  readonly workTree: string;

  constructor(private readonly options: FlagsRepositoryOptions) {
    this.barePath = path.join(options.projectRoot, options.name);
    this.workTree = path.join(options.workDir, "work");
  }

  /**
   * Creates the bare repository and its first commit: a copy of `sourceDir` at `into` (default:
   * the flags directory; the flags root `flags` for a tree with a directory per environment).
   */
  init(sourceDir: string, into: string = this.options.directory): void {
    const { ref } = this.options;
    fs.mkdirSync(this.options.projectRoot, { recursive: true });
    this.git(this.options.projectRoot, "init", "--quiet", "--bare", `--initial-branch=${ref}`, this.barePath);
    fs.mkdirSync(this.workTree, { recursive: true });
    this.git(this.workTree, "init", "--quiet", `--initial-branch=${ref}`);
    this.git(this.workTree, "remote", "add", "origin", this.barePath);
    this.replaceFlags(sourceDir, into);
    this.commit(`flags from ${sourceDir}`);
  }

  /** Path of a file in the work tree's flags directory. */
  flagsPath(file = ""): string {
    return path.join(this.workTree, this.options.directory, file);
  }

  /** Path of a file in the work tree, relative to the repository's root. */
  workTreePath(file = ""): string {
    return path.join(this.workTree, file);
  }

  /** Makes `into` (default: the flags directory) in the work tree an exact copy of `sourceDir`. */
  replaceFlags(sourceDir: string, into: string = this.options.directory): void {
    const target = this.workTreePath(into);
    fs.rmSync(target, { recursive: true, force: true });
    fs.cpSync(sourceDir, target, { recursive: true });
  }

  /** Writes (or, with null, deletes) files under the flags directory. */
  writeFlags(files: Readonly<Record<string, string | null>>): void {
    for (const [file, content] of Object.entries(files)) {
      const target = this.flagsPath(file);
      if (content === null) fs.rmSync(target, { force: true });
      else fs.writeFileSync(target, content);
    }
  }

  /** Commits everything in the work tree and pushes it; returns the commit, or undefined when nothing changed. */
  commit(message: string): string | undefined {
    this.git(this.workTree, "add", "--all");
    const changed = this.git(this.workTree, "status", "--porcelain").trim() !== "";
    if (!changed) return undefined;
    this.git(this.workTree, "commit", "--quiet", "--no-verify", "-m", message);
    this.git(this.workTree, "push", "--quiet", "origin", `HEAD:refs/heads/${this.options.ref}`);
    return this.git(this.workTree, "rev-parse", "HEAD").trim();
  }

  /** The commit the served branch points at. */
  head(): string {
    return this.git(this.workTree, "rev-parse", "HEAD").trim();
  }

  private git(cwd: string, ...args: string[]): string {
    return execFileSync(this.options.gitBin, args, { cwd, env: gitEnv(), encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  }
}
