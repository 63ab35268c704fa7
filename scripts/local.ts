/**
 * `npm run local -- [--env dev|prod] [--flags <dir>] [--port <http-port>]`: a real Flipt serving
 * one flag environment (default dev) of this repository's flags/ the way that environment's stack
 * deploys it — Git storage, cloned from a throw-away repository on a loopback Git server, with the
 * stack's rendered config — but with the embedded SQLite database. `--flags` serves another flags
 * root (or a single folder of flag files) instead. Prints `FLIPT_URL=http://127.0.0.1:<port>` on
 * stdout once Flipt is healthy; edits are committed and picked up within the poll interval. Runs
 * until interrupted, then stops everything and removes its temporary directory.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { readStack } from "../settings/stackFiles";
import { UserError } from "../settings/userError";
import { UsageError, parseFlags, portFlag, runMain, stringFlag } from "./cli";
import { describeExit } from "./lib/fliptProcess";
import { ENVIRONMENTS, FLAGS_ROOT, requireEnvironment } from "./flags/environments";
import { isFlagsRoot, prepareLocalFlipt, REPOSITORY_FLAGS_ROOT } from "./lib/localFlipt";
import { Supervisor } from "./lib/processes";
import { ensureToolchain, fliptUnavailableReason } from "./toolchain/paths";

/** The environment served without --env: where changes start. */
const DEFAULT_ENVIRONMENT = ENVIRONMENTS[0];
/** Flipt could not start or stopped: reported as one message with its last output, no stack trace. */
class LocalRunError extends UserError {
  constructor(message: string) {
    super(message, 2);
  }
}

const USAGE = `Usage: npm run local -- [--env ${ENVIRONMENTS.join("|")}] [--flags <dir>] [--port <port>]

Starts a real Flipt serving one flag environment (default ${ENVIRONMENTS[0]}) the way that environment's
stack deploys it (Git storage from a local Git server, the stack's rendered config, SQLite), prints
FLIPT_URL=http://127.0.0.1:<port> once healthy, commits edits to the flags every 2 s, and stops
everything on Ctrl-C. --flags serves another flags root or a single folder of flag files.`;

/** How often the flags directory is compared with the served repository. */
const SYNC_EVERY_MS = 2000;

function flagsDirFlag(value: string): string {
  const dir = path.resolve(value);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new UsageError(`--flags ${JSON.stringify(value)}: no such directory`);
  }
  return dir;
}

function log(line: string): void {
  process.stderr.write(`local: ${line}\n`);
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), ["env", "flags", "port"], USAGE);
  // Each environment runs as its stack deploys it (dev: 10 s poll, debug log; prod: 5 s, warn; both behind their relay).
  const stack = requireEnvironment(flags.env === undefined ? DEFAULT_ENVIRONMENT : stringFlag(flags, "env"), "--env");
  const flagsDir = flagsDirFlag(stringFlag(flags, "flags", REPOSITORY_FLAGS_ROOT));
  const httpPort = await portFlag(flags.port === undefined ? undefined : stringFlag(flags, "port"));
  const tools = ensureToolchain();
  const unavailable = fliptUnavailableReason(tools);
  if (unavailable) throw new LocalRunError(`${unavailable}; set FLIPT_BIN to a Flipt v1.61.1 binary to run it`);

  const supervisor = new Supervisor();
  try {
    const local = await prepareLocalFlipt({ supervisor, fliptBin: tools.fliptBin, gitBin: tools.gitBin, stack, flagsDir, httpPort });
    supervisor.onStop(() => log(`stopped Flipt and the Git server; removing ${local.dir}`));
    await local.flipt.start().catch((error: Error) => {
      throw new LocalRunError(`${error.message}\nIf the flags are at fault, \`npm run flags -- lint --dir ${flagsDir}\` names the file and line.`);
    });

    const served = isFlagsRoot(flagsDir) ? path.join(flagsDir, path.relative(FLAGS_ROOT, local.settings.git.directory)) : flagsDir;
    log(`serving ${served} (${stack} environment) through Git (${local.gitServer.url(path.basename(local.repository.barePath))}, ${stack} stack config, SQLite)`);
    if (local.relay) log(`through the stack's flags relay (${local.relay.url}, polling the Git server every ${local.settings.relay!.pollInterval}; no API server here, so no overrides; log: ${local.relay.logFile})`);
    else if (local.settings.relay === undefined && readStack(stack).settings.relay) log("one folder, not a flags root: Flipt clones it directly, without the stack's relay (the relay checks every environment)");
    log(`changes to ${flagsDir} are committed every ${SYNC_EVERY_MS / 1000}s; Flipt polls every ${local.settings.git.pollInterval}`);
    log(`management API token: ${local.secretValues.bootstrapToken}`);
    log(`Flipt log: ${local.flipt.logFile}; Ctrl-C to stop`);
    process.stdout.write(`FLIPT_URL=${local.flipt.url}\n`);

    const sync = setInterval(() => {
      local.repository.replaceFlags(flagsDir, local.flagsServer.into);
      const commit = local.repository.commit(`local change to ${flagsDir}`);
      if (commit) log(`committed a change to the flags (${commit.slice(0, 8)})`);
    }, SYNC_EVERY_MS);
    // Runs until SIGINT/SIGTERM: the Supervisor then stops Flipt and the Git server and removes the temp dir.
    const status = await local.flipt.process!.exited;
    clearInterval(sync);
    if (supervisor.stopping) return new Promise<never>(() => undefined); // interrupted: the signal handler exits
    throw new LocalRunError(`Flipt exited unexpectedly (${describeExit(status)}); its last output:\n${local.flipt.process!.tail()}`);
  } catch (error) {
    await supervisor.stopAll();
    throw error;
  }
}

if (require.main === module) runMain(main);
