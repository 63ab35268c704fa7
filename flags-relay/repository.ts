import * as fs from "node:fs";
import * as path from "node:path";
import type { FolderFile } from "../scripts/flags/folder";
import { compareWalkOrder } from "../scripts/flags/folder";
import { RELAY } from "../builders/flagsRelayContract";
import { git, gitOk, upstreamAuthEnv } from "./git";

/**
 * The relay's two repositories on its volume: `upstream.git`, where upstream's branch is fetched
 * (the last commit only: the relay never needs upstream's history), and the served repository,
 * whose branch Flipt follows: one commit per change of what is served, holding the flags root only
 * (as the flags-mirror branch does), so Flipt clones the flags' own history and nothing else.
 */
export class RelayRepositories {
  readonly upstreamDir: string;
  readonly servedDir: string;
  private static readonly UPSTREAM_REF = "refs/relay/upstream";

  constructor(
    dataDir: string,
    readonly repositoryName: string,
    readonly ref: string,
  ) {
    this.upstreamDir = path.join(dataDir, "upstream.git");
    this.servedDir = path.join(dataDir, "served", repositoryName);
  }

  async init(): Promise<void> {
    for (const dir of [this.upstreamDir, this.servedDir]) {
      if (!fs.existsSync(path.join(dir, "HEAD"))) {
        fs.mkdirSync(dir, { recursive: true });
        await gitOk(["init", "--quiet", "--bare", dir]);
      }
    }
    // The served repository's HEAD names the branch Flipt follows, so a plain clone gets it too.
    await gitOk([`--git-dir=${this.servedDir}`, "symbolic-ref", "HEAD", `refs/heads/${this.ref}`]);
  }

  /** Fetches upstream's branch; the new head, or an error message (the Git host's or git's words). */
  async fetch(upstream: string, env: NodeJS.ProcessEnv = process.env): Promise<{ commit: string } | { error: string }> {
    const result = await git(
      [`--git-dir=${this.upstreamDir}`, "fetch", "--quiet", "--depth=1", "--no-tags", "--force", upstream, `+refs/heads/${this.ref}:${RelayRepositories.UPSTREAM_REF}`],
      { env: upstreamAuthEnv(env), timeoutMs: RELAY.fetchTimeoutSeconds * 1000 },
    );
    if (result.code !== 0) return { error: result.stderr.split("\n").filter((l) => l.trim() !== "").pop() ?? `git fetch exited ${result.code}` };
    return { commit: await gitOk([`--git-dir=${this.upstreamDir}`, "rev-parse", RelayRepositories.UPSTREAM_REF]) };
  }

  /** Every file under `root` at an upstream commit, paths relative to `root`, in Flipt's walk order. */
  async filesAt(commit: string, root: string): Promise<FolderFile[]> {
    const prefix = `${root.replace(/\/+$/, "")}/`;
    const listing = (await gitOk([`--git-dir=${this.upstreamDir}`, "ls-tree", "-r", "-z", "--full-tree", "--name-only", commit, "--", prefix]))
      .split("\0")
      .filter((name) => name.startsWith(prefix));
    if (listing.length === 0) return [];
    // One cat-file for every blob: a flags root of thousands of flags is read in one process.
    const result = await git([`--git-dir=${this.upstreamDir}`, "cat-file", "--batch"], { input: listing.map((name) => `${commit}:${name}\n`).join("") });
    if (result.code !== 0) throw new Error(`git cat-file: ${result.stderr}`);
    const files: FolderFile[] = [];
    let offset = 0;
    for (const name of listing) {
      const headerEnd = result.stdout.indexOf(0x0a, offset);
      const size = Number(result.stdout.subarray(offset, headerEnd).toString("latin1").split(" ")[2]);
      files.push({ path: name.slice(prefix.length), text: result.stdout.subarray(headerEnd + 1, headerEnd + 1 + size).toString("utf8") });
      offset = headerEnd + 1 + size + 1;
    }
    return files.sort((a, b) => compareWalkOrder(a.path, b.path));
  }

  /** The served branch's head, or undefined before the first served commit. */
  async servedHead(): Promise<string | undefined> {
    const result = await git([`--git-dir=${this.servedDir}`, "rev-parse", "--verify", "--quiet", `refs/heads/${this.ref}^{commit}`]);
    return result.code === 0 ? result.stdout.toString("utf8").trim() : undefined;
  }

  /** The served head's committer time, in Unix seconds. */
  async servedTime(): Promise<number | undefined> {
    const result = await git([`--git-dir=${this.servedDir}`, "log", "-1", "--format=%ct", `refs/heads/${this.ref}`]);
    return result.code === 0 ? Number(result.stdout.toString("utf8").trim()) : undefined;
  }

  /**
   * Appends to the served branch a commit whose tree is exactly `files` under `root` (git
   * fast-import: one process, no work tree, no index). Returns the new head and its commit time (Unix seconds).
   */
  async serve(root: string, files: readonly FolderFile[], message: string, committer: string): Promise<{ commit: string; time: number }> {
    const parent = await this.servedHead();
    const now = Math.floor(Date.now() / 1000);
    const chunks: Buffer[] = [];
    const text = (s: string) => chunks.push(Buffer.from(s, "utf8"));
    const data = (content: Buffer) => {
      text(`data ${content.length}\n`);
      chunks.push(content, Buffer.from("\n"));
    };
    text(`commit refs/heads/${this.ref}\ncommitter ${committer} ${now} +0000\n`);
    data(Buffer.from(message, "utf8"));
    if (parent) text(`from ${parent}\n`);
    text("deleteall\n");
    for (const file of files) {
      text(`M 100644 inline ${root.replace(/\/+$/, "")}/${file.path}\n`);
      data(Buffer.from(file.text, "utf8"));
    }
    text("done\n");
    await gitOk([`--git-dir=${this.servedDir}`, "fast-import", "--quiet", "--done", "--date-format=raw"], { input: Buffer.concat(chunks) });
    return { commit: (await this.servedHead())!, time: now };
  }
}
