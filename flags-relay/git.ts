import { execFile } from "node:child_process";
import * as fs from "node:fs";
import { RELAY, RELAY_ENV } from "../builders/flagsRelayContract";

/** One git command's outcome. */
export interface GitResult {
  readonly code: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** Runs git without a shell, with a timeout; never rejects (the caller reads `code`). */
export function git(args: readonly string[], options: { env?: NodeJS.ProcessEnv; input?: Buffer | string; timeoutMs?: number } = {}): Promise<GitResult> {
  return new Promise((resolve) => {
    const child = execFile(
      "git",
      args,
      { env: { ...baseEnv(), ...options.env }, encoding: "buffer", maxBuffer: 512 * 1024 * 1024, timeout: options.timeoutMs ?? 60_000, killSignal: "SIGKILL" },
      (error, stdout, stderr) => {
        const code = error ? (typeof (error as { code?: unknown }).code === "number" ? ((error as { code: number }).code) : 1) : 0;
        const timedOut = error !== null && (error as { killed?: boolean }).killed === true;
        resolve({ code, stdout: stdout as Buffer, stderr: timedOut ? `timed out after ${(options.timeoutMs ?? 60_000) / 1000} s` : (stderr as Buffer).toString("utf8").trim() });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Git's environment: no prompt, no system or user config that could differ between pod and test. */
function baseEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME ?? RELAY.tmpDir,
    GIT_TERMINAL_PROMPT: "0",
    GIT_CONFIG_NOSYSTEM: "1",
    LANG: "C",
  };
}

export async function gitOk(args: readonly string[], options: Parameters<typeof git>[1] = {}): Promise<string> {
  const result = await git(args, options);
  if (result.code !== 0) throw new Error(`git ${args[0] === "--git-dir" || args[0]?.startsWith("--git-dir") ? args.slice(1).join(" ") : args.join(" ")}: ${result.stderr}`);
  return result.stdout.toString("utf8").trim();
}

/**
 * How the relay authenticates to upstream, from its container's environment (the stack's Git
 * Secret, mounted as files): an extra HTTP header for basic and token, ssh's key and known hosts
 * for ssh. The credential goes to git through its environment only: never into a URL, a config
 * file or a log line.
 */
export function upstreamAuthEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const auth = env[RELAY_ENV.gitAuth] ?? "none";
  // Read at every fetch: a rotated Secret reaches the mounted files without a restart.
  const read = (name: string) => (env[name] ? fs.readFileSync(env[name]!, "utf8").trim() : "");
  const credential = auth === "basic" || auth === "token" ? read(RELAY_ENV.gitCredentialFile) : "";
  const header = (value: string): NodeJS.ProcessEnv => ({ GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: "http.extraHeader", GIT_CONFIG_VALUE_0: value });
  switch (auth) {
    case "none":
      return {};
    case "basic":
      return header(`Authorization: Basic ${Buffer.from(`${read(RELAY_ENV.gitUsernameFile)}:${credential}`).toString("base64")}`);
    case "token":
      return header(`Authorization: Bearer ${credential}`);
    case "ssh": {
      const user = env[RELAY_ENV.sshUser];
      const ssh = [
        "ssh",
        `-i ${env[RELAY_ENV.sshKeyFile]}`,
        "-o IdentitiesOnly=yes",
        "-o StrictHostKeyChecking=yes",
        `-o UserKnownHostsFile=${env[RELAY_ENV.sshKnownHostsFile]}`,
        ...(user ? [`-l ${user}`] : []),
      ].join(" ");
      return { GIT_SSH_COMMAND: ssh };
    }
    default:
      throw new Error(`${RELAY_ENV.gitAuth}=${auth}: expected none, basic, token or ssh`);
  }
}
