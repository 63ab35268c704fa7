/**
 * The deployment under test: the dev stack's rendered Flipt (see scripts/lib/localFlipt.ts),
 * optionally against a throw-away PostgreSQL whose role and database are created from the same
 * DatabaseSpec that feeds the @pulumi/postgresql resources.
 */
import { databaseSpec, databaseSpecSql, postgresUrl } from "../../../builders/database";
import { LocalFlipt, prepareLocalFlipt, repositoryFlagsDir, REPOSITORY_FLAGS_ROOT } from "../../../scripts/lib/localFlipt";
import { environmentOfStack } from "../../../settings/parse";
import { Supervisor } from "../../../scripts/lib/processes";
import { describe } from "vitest";
import { ToolchainPaths, fliptUnavailableReason, toolchainPaths } from "../../../scripts/toolchain/paths";
import { PostgresSettings } from "../../../settings/types";
import { PostgresServer } from "../../../scripts/lib/postgres";
import { readStack } from "../../../settings/stackFiles";

/** Why the Flipt server cannot run on this machine (see scripts/toolchain/setup.sh), or undefined. */
export const FLIPT_UNAVAILABLE = fliptUnavailableReason(toolchainPaths());

/** A suite that needs a running Flipt: skipped, with the reason in its name, only when Flipt cannot run here. */
export function describeWithFlipt(name: string, body: () => void): void {
  describe.skipIf(FLIPT_UNAVAILABLE !== undefined)(
    FLIPT_UNAVAILABLE === undefined ? name : `${name} (skipped: ${FLIPT_UNAVAILABLE})`,
    body,
  );
}

/** Every scenario runs the stack the dev instructions of docs/deploying.md deploy. */
export const STACK = "dev";
/** This repository's flags root (a directory per environment): what the served repository holds by default. */
export const REPO_FLAGS_ROOT = REPOSITORY_FLAGS_ROOT;
/** The flags STACK serves (flags/dev), for tests that read them. */
export const REPO_FLAGS_DIR = repositoryFlagsDir(environmentOfStack(STACK)!);

/** URL-special characters (and SQL quotes) in the role's password: proves the DSN encoding and the SQL quoting. */
export const ROLE_PASSWORD = `p@ss:w/rd?x=1&y=2#frag[]%25 +'quote"\\end`;
const SUPERUSER_PASSWORD = "superuser-secret";

/** The stack's PostgreSQL settings pointed at the throw-away server, which listens without TLS. */
export function testPostgresSettings(postgres: PostgresSettings, server: PostgresServer): PostgresSettings {
  return { ...postgres, host: server.host, port: server.port, sslmode: "disable" };
}

export interface StackOptions {
  /** A flags root or a single folder (see prepareLocalFlipt); defaults to this repository's flags/. */
  readonly flagsDir?: string;
  /** The stack whose rendered config Flipt runs (default STACK). */
  readonly stack?: string;
  readonly database: "postgres" | "sqlite";
  /** What the rendered Git Secret carries; defaults to the credential the Git server accepts. */
  readonly fliptGitCredential?: string;
  /** Start Flipt and wait until it is healthy (default true). */
  readonly start?: boolean;
}

export interface E2EStack extends LocalFlipt {
  readonly supervisor: Supervisor;
  readonly tools: ToolchainPaths;
  readonly postgres?: PostgresServer;
  readonly postgresSettings?: PostgresSettings;
  /** Stops everything the stack started and removes its temporary directories. */
  stop(): Promise<void>;
}

export async function startStack(options: StackOptions): Promise<E2EStack> {
  const supervisor = new Supervisor();
  const tools = toolchainPaths();
  try {
    let postgres: PostgresServer | undefined;
    let postgresSettings: PostgresSettings | undefined;
    let dbUrl: string | undefined;
    if (options.database === "postgres") {
      const settings = readStack(STACK).settings;
      if (!settings.database.postgres) throw new Error(`stack ${STACK} does not use PostgreSQL`);
      postgres = await PostgresServer.start(supervisor, { pgBinDir: tools.pgBinDir, superuserPassword: SUPERUSER_PASSWORD });
      postgresSettings = testPostgresSettings(settings.database.postgres, postgres);
      postgres.psql(databaseSpecSql(databaseSpec(postgresSettings), ROLE_PASSWORD));
      dbUrl = postgresUrl(postgresSettings, ROLE_PASSWORD);
    }
    const local = await prepareLocalFlipt({
      supervisor,
      fliptBin: tools.fliptBin,
      gitBin: tools.gitBin,
      stack: options.stack ?? STACK,
      // These scenarios are Flipt's own behaviour against Git (as review stacks run it); the relay's are in flagsRelay.test.ts.
      values: { flagsRelay: false },
      flagsDir: options.flagsDir ?? REPO_FLAGS_ROOT,
      dbUrl,
      fliptGitCredential: options.fliptGitCredential,
    });
    if (options.start ?? true) await local.flipt.start();
    return { ...local, supervisor, tools, postgres, postgresSettings, stop: () => supervisor.stopAll() };
  } catch (error) {
    await supervisor.stopAll();
    throw error;
  }
}
