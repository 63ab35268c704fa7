/**
 * A stack's Flipt on this machine: the flags directory committed to a throw-away Git repository,
 * served by a loopback Git server with the stack's kind of authentication, and Flipt started from
 * the stack's rendered objects (see fliptProcess.ts). `npm run local` and the e2e tests use it.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { readStack } from "../../settings/stackFiles";
import { Settings } from "../../settings/types";
import { renderSettings } from "./renderedStack";
import { LocalRelay, renderedRelay } from "./localRelay";
import { ENVIRONMENTS, environmentDirectory, FLAGS_ROOT, type Environment } from "../flags/environments";
import { projectDir } from "../../settings/schema";
import { FlagsRepository } from "./flagsRepository";
import { FlagsServer, startFlagsServer } from "./flagsServer";
import { FliptProcess, RenderedFlipt, SecretValues, localSqliteUrl, renderedFlipt } from "./fliptProcess";
import { GitServer } from "./gitServer";
import { Supervisor, freePort } from "./processes";

export interface LocalFliptOptions {
  readonly supervisor: Supervisor;
  readonly fliptBin: string;
  readonly gitBin: string;
  /** The stack whose rendered objects Flipt runs from. */
  readonly stack: string;
  /** Values set on top of the stack's file (readStack's `values`), e.g. `flagsRelay: false`. */
  readonly values?: Readonly<Record<string, unknown>>;
  /**
   * What the repository holds: a flags root with a directory per environment (this repository's
   * `flags/`) is copied to `flags/` and Flipt serves the stack's gitDirectory in it; any other
   * directory becomes the stack's gitDirectory itself. Ignored with `flagsServer`.
   */
  readonly flagsDir: string;
  /** Serve from another LocalFlipt's repository and Git server (several stacks, one repository). */
  readonly flagsServer?: FlagsServer;
  /** Flipt's HTTP port; defaults to a free one. */
  readonly httpPort?: number;
  /** FLIPT_DB_URL; defaults to the embedded SQLite database in the temp dir. */
  readonly dbUrl?: string;
  /** What the rendered Git Secret gets; defaults to the credential the Git server accepts. */
  readonly fliptGitCredential?: string;
  /** The credential the Git server accepts; defaults to a random one. */
  readonly gitServerCredential?: string;
  /** Where Flipt clones from, when not the Git server itself: the stack's flags relay on this machine. */
  readonly repositoryUrl?: string;
  /** Run from these objects instead of render's output (the engine tier reads them back from the API server). */
  readonly rendered?: RenderedFlipt;
  readonly echo?: NodeJS.WritableStream;
}

export interface LocalFlipt {
  readonly settings: Settings;
  readonly dir: string;
  readonly repository: FlagsRepository;
  readonly gitServer: GitServer;
  readonly flagsServer: FlagsServer;
  readonly flipt: FliptProcess;
  /** The stack's flags relay, when it has one and the caller gave no repositoryUrl: Flipt clones from it, as its pods do. */
  readonly relay?: LocalRelay;
  /** The secret values Flipt runs with (the test values behind the rendered placeholders). */
  readonly secretValues: SecretValues;
}

/** This repository's flags of one environment (flags/<environment>). */
export function repositoryFlagsDir(environment: Environment): string {
  return path.join(projectDir, environmentDirectory(environment));
}

/** This repository's flags root, with a directory per environment. */
export const REPOSITORY_FLAGS_ROOT = path.join(projectDir, FLAGS_ROOT);

function randomSecret(): string {
  return randomBytes(24).toString("base64url");
}

export type { FlagsServer } from "./flagsServer";

/** Sets everything up and starts the Git server; Flipt is prepared but not started (call flipt.start()). */
export async function prepareLocalFlipt(options: LocalFliptOptions): Promise<LocalFlipt> {
  const { supervisor } = options;
  let settings = readStack(options.stack, { values: options.values }).settings;
  // The relay checks the whole flags root, as flags lint does; one folder served alone would be held back, so Flipt clones it directly.
  if (settings.relay && options.flagsServer === undefined && !isFlagsRoot(options.flagsDir)) {
    settings = readStack(options.stack, { values: { ...options.values, flagsRelay: false } }).settings;
  }
  const rendered = renderSettings(settings);
  const dir = supervisor.tempDir(`flipt-${options.stack}`);
  const dataDir = path.join(dir, "data");
  fs.mkdirSync(dataDir, { recursive: true });

  const flagsServer =
    options.flagsServer ??
    (await startFlagsServer({
      supervisor,
      gitBin: options.gitBin,
      git: settings.git,
      dir,
      source: options.flagsDir,
      into: isFlagsRoot(options.flagsDir) ? FLAGS_ROOT : settings.git.directory,
      credential: options.gitServerCredential,
    }));
  const { repository, gitServer, repoName, gitCredential } = flagsServer;

  const secretValues: SecretValues = {
    dbUrl: options.dbUrl ?? localSqliteUrl(dataDir),
    bootstrapToken: randomSecret(),
    gitCredential: options.fliptGitCredential ?? gitCredential,
  };
  // With a relay, Flipt has no Git credential: the relay (from the same objects) holds it and Flipt clones from the relay.
  const relayObjects = options.repositoryUrl === undefined && options.rendered === undefined ? renderedRelay(rendered) : undefined;
  let relay: LocalRelay | undefined;
  if (relayObjects) {
    relay = new LocalRelay({
      supervisor,
      rendered: relayObjects,
      upstreamUrl: gitServer.url(repoName),
      secretValues,
      dataDir: path.join(dir, "relay", "volume"),
      namespace: settings.namespace,
      echo: options.echo,
    });
    supervisor.onStop(() => relay!.stop());
    await relay.start();
  }
  const flipt = new FliptProcess(supervisor, {
    fliptBin: options.fliptBin,
    rendered: options.rendered ?? renderedFlipt(rendered),
    local: {
      httpPort: options.httpPort ?? (await freePort()),
      grpcPort: await freePort(),
      repositoryUrl: options.repositoryUrl ?? relay?.repositoryUrl() ?? gitServer.url(repoName),
      dataDir,
    },
    secretValues,
    echo: options.echo,
  });
  return { settings, dir, repository, gitServer, flagsServer, flipt, relay, secretValues };
}

/** True when `dir` holds a directory per environment, as this repository's flags/ does. */
export function isFlagsRoot(dir: string): boolean {
  return ENVIRONMENTS.some((environment) => fs.existsSync(path.join(dir, environment)));
}
