/**
 * A repository of flags on a loopback Git server, with a stack's kind of Git authentication: what a
 * stack's gitRepository is on this machine. `npm run local`, the e2e tests (through localFlipt.ts)
 * and `deploy:local` (servedFlags.ts) serve their flags through it; one or more Flipts clone it.
 */
import { randomBytes } from "node:crypto";
import * as path from "node:path";
import type { GitSettings } from "../../settings/types";
import { FlagsRepository } from "./flagsRepository";
import { localGitAuth } from "./fliptProcess";
import { GitServer } from "./gitServer";
import type { Supervisor } from "./processes";

export interface FlagsServer {
  readonly repository: FlagsRepository;
  readonly gitServer: GitServer;
  readonly repoName: string;
  /** The secret the Git server accepts. */
  readonly gitCredential: string;
  /** Where in the repository the source directory was copied (replaceFlags(source, into) refreshes it). */
  readonly into: string;
  /** Clone URL: the stack's gitRepository here. */
  readonly url: string;
}

export interface FlagsServerOptions {
  readonly supervisor: Supervisor;
  readonly gitBin: string;
  /** The stack's Git settings: repository name, ref, directory and kind of authentication. */
  readonly git: GitSettings;
  /** A directory of the caller's temp dir to keep the repository in. */
  readonly dir: string;
  /** The directory whose files the first commit holds, at `into` in the repository. */
  readonly source: string;
  readonly into: string;
  /** The credential the server accepts; defaults to a random one. */
  readonly credential?: string;
}

/** Commits `source` at `into` and starts the Git server; the Supervisor stops it. */
export async function startFlagsServer(options: FlagsServerOptions): Promise<FlagsServer> {
  const { gitBin, git, dir } = options;
  const repoName = path.basename(new URL(git.repository).pathname) || "flags.git";
  const projectRoot = path.join(dir, "git");
  const repository = new FlagsRepository({ gitBin, projectRoot, name: repoName, workDir: dir, ref: git.ref, directory: git.directory });
  repository.init(options.source, options.into);
  const gitCredential = options.credential ?? randomBytes(24).toString("base64url");
  const gitServer = new GitServer({ gitBin, projectRoot, auth: localGitAuth(git, gitCredential) });
  await gitServer.start();
  options.supervisor.onStop(() => gitServer.stop());
  return { repository, gitServer, repoName, gitCredential, into: options.into, url: gitServer.url(repoName) };
}
