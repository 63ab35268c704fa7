/**
 * `npm run drift -- --stack <dev|prod> [--issue-body <file>]`: whether the stack's live resources
 * still match what it last deployed. Runs the Pulumi CLI on PATH with driftCommand (driftReport.ts),
 * in the project directory, logged in and with the cluster's kubeconfig as for `pulumi preview`.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseFlags, runMain, stringFlag, UsageError } from "../cli";
import { plural } from "../lib/text";
import { driftCommand, driftIssueBody, driftLines, driftVerdict } from "./driftReport";

const USAGE = `Usage: npm run drift -- --stack <dev|prod> [--issue-body <file>]

Runs \`pulumi ${driftCommand("<stack>").join(" ")}\` and says what drifted:
each changed resource and field, deployed value → live value, one line each.
--issue-body <file>  on drift, also write the drift issue's Markdown there.
Exit 0: no drift. Exit 1: drift. Exit 2: the command failed (nothing is known about drift).`;

/** A refresh reads every resource once; a slow cluster API gets ten minutes. */
const REFRESH_TIMEOUT_MS = 10 * 60_000;
const DRIFT_EXIT = 1;
const FAILED_EXIT = 2;

/** Where the report's "what to do" links: the repository's docs on GitHub in a workflow, the path elsewhere. */
function docsLink(env: NodeJS.ProcessEnv): string | undefined {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repository, GITHUB_SHA: sha } = env;
  return server && repository ? `${server}/${repository}/blob/${sha ?? "HEAD"}/docs/operating.md#drift` : undefined;
}

function main(): void {
  const flags = parseFlags(process.argv.slice(2), ["stack", "issue-body"], USAGE);
  const stack = stringFlag(flags, "stack");
  if (!/^[\w.-]+$/.test(stack)) throw new UsageError(`--stack ${JSON.stringify(stack)}: expected a stack name such as dev or prod`);
  const bodyFile = flags["issue-body"] === undefined ? undefined : path.resolve(process.env.INIT_CWD ?? process.cwd(), stringFlag(flags, "issue-body"));
  const run = spawnSync("pulumi", driftCommand(stack), { encoding: "utf8", maxBuffer: 512 * 1024 * 1024, timeout: REFRESH_TIMEOUT_MS });
  const verdict = driftVerdict({ status: run.status, stdout: run.stdout ?? "", stderr: `${run.stderr ?? ""}${run.error ? run.error.message : ""}` });
  switch (verdict.kind) {
    case "clean":
      process.stdout.write(`stack ${stack}: no drift\n`);
      return;
    case "drift":
      process.stdout.write(`stack ${stack}: drift in ${plural(verdict.resources.length, "resource")}\n${driftLines(verdict.resources).join("\n")}\n`);
      if (bodyFile) fs.writeFileSync(bodyFile, driftIssueBody(stack, verdict.resources, docsLink(process.env)));
      process.exit(DRIFT_EXIT);
    case "failed":
      process.stderr.write(`error: stack ${stack}: pulumi ${driftCommand(stack).join(" ")} failed: ${verdict.reason}\n`);
      process.exit(FAILED_EXIT);
  }
}

if (require.main === module) runMain(main);
