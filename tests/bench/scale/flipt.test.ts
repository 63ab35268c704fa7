import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseSyncCounters } from "../../../bench/lib/fliptAtScale";
import { addHistory } from "../../../bench/scale/flipt";
import { gitEnv } from "../../../scripts/lib/flagsRepository";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
const git = (cwd: string, ...args: string[]) => execFileSync("git", args, { cwd, env: gitEnv(), encoding: "utf8" }).trim();

describe("Flipt's sync figures from its metrics", () => {
  it("reads flipt_git_sync_latency's sum and count and the flags counter, across label sets", () => {
    const exposition = [
      "# TYPE flipt_git_sync_latency_seconds histogram",
      'flipt_git_sync_latency_seconds_bucket{otel_scope_name="x",le="0.5"} 3',
      'flipt_git_sync_latency_seconds_sum{otel_scope_name="x"} 1.25',
      'flipt_git_sync_latency_seconds_count{otel_scope_name="x"} 4',
      'flipt_git_sync_flags_total{otel_scope_name="x"} 2000',
      'flipt_git_sync_last_time{otel_scope_name="x"} 1.7e9',
      "flipt_evaluations_requests_total 12",
    ].join("\n");
    expect(parseSyncCounters(exposition)).toEqual({ count: 4, sum: 1.25, flags: 2000 });
  });

  it("reads nothing before the first sync", () => expect(parseSyncCounters('flipt_git_sync_last_time{a="b"} 0\n')).toEqual({ count: 0, sum: 0, flags: 0 }));
});

describe("repository history for the scale rows", () => {
  it("adds the given number of commits touching files outside the flags, pushed, the flags unchanged", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "scale-history-"));
    dirs.push(root);
    const bare = path.join(root, "bare.git");
    const work = path.join(root, "work");
    git(root, "init", "--quiet", "--bare", "--initial-branch=main", bare);
    fs.mkdirSync(path.join(work, "flags"), { recursive: true });
    git(work, "init", "--quiet", "--initial-branch=main");
    git(work, "remote", "add", "origin", bare);
    fs.writeFileSync(path.join(work, "flags", "a.features.yml"), "flags: []\n");
    git(work, "add", "--all");
    git(work, "commit", "--quiet", "-m", "flags");
    const flagsTree = git(work, "rev-parse", "HEAD:flags");
    addHistory(work, "main", 300);
    expect(git(bare, "rev-list", "--count", "main")).toBe("301");
    expect(git(bare, "rev-parse", "main:flags")).toBe(flagsTree);
    expect(git(bare, "diff", "--name-only", "main~1", "main")).toMatch(/^deploy\/svc-\d+\/values\.yaml$/);
    expect(git(work, "status", "--porcelain")).toBe("");
  });
});
