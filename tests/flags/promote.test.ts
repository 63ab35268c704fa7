import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { afterAll, describe, expect, it } from "vitest";
import { DIFF_COMMENT_MARKER } from "../../scripts/flags/diffReport";
import { readFlagsTree } from "../../scripts/flags/environments";
import { checkFlagsTree } from "../../scripts/flags/environmentsLint";
import { readFolder } from "../../scripts/flags/folder";
import { INDEX, migratedFlags, removeTempDirs, runCli, tempDir, writeFiles } from "./helpers";

afterAll(removeTempDirs);

const TODAY = "2026-12-01";
const LIFECYCLE = { owner: "payments", created: "2026-11-24", expires: "2027-02-22" };
type Flag = Record<string, unknown>;

const flag = (key: string, extra: Flag = {}): Flag => ({ key, name: key, type: "BOOLEAN_FLAG_TYPE", enabled: false, metadata: LIFECYCLE, ...extra });
const segment = (key: string, value: string) => ({
  key,
  name: key,
  match_type: "ALL_MATCH_TYPE",
  constraints: [{ type: "STRING_COMPARISON_TYPE", property: "plan", operator: "eq", value }],
});
const onFor = (segmentKey: string) => ({ rollouts: [{ segment: { key: segmentKey, value: true } }] });

function flagFile(flags: Flag[], segments: Flag[] = []): string {
  return yaml.dump({ version: "1.4", namespace: "shop", flags, ...(segments.length > 0 ? { segments } : {}) });
}

/** A flags root with dev and prod, each holding shop.features.yml. */
function root(dev: { flags: Flag[]; segments?: Flag[] }, prod: { flags: Flag[]; segments?: Flag[] }): string {
  const dir = tempDir();
  writeFiles(dir, {
    "dev/.flipt.yml": INDEX,
    "dev/shop.features.yml": flagFile(dev.flags, dev.segments),
    "prod/.flipt.yml": INDEX,
    "prod/shop.features.yml": flagFile(prod.flags, prod.segments),
  });
  return dir;
}

const promote = (dir: string, ...args: string[]) => runCli(["promote", "--dir", dir, "--today", TODAY, ...args]);
const prodDocument = (dir: string) => yaml.load(fs.readFileSync(path.join(dir, "prod", "shop.features.yml"), "utf8")) as { flags: Flag[]; segments?: Flag[] };
const lintClean = (dir: string) => expect(checkFlagsTree(readFlagsTree(readFolder(dir)), TODAY).problems).toEqual([]);

describe("promote", () => {
  it("copies one flag's definition and the segment it uses, leaves the other flags, and prints the effect", () => {
    const dir = root(
      { flags: [flag("a", onFor("beta")), flag("b", { enabled: true })], segments: [segment("beta", "beta")] },
      { flags: [flag("a"), flag("b")] },
    );
    const result = promote(dir, "--from", "dev", "--to", "prod", "--flag", "shop/a");
    expect(result).toMatchObject({ code: 0, stderr: [] });
    expect(prodDocument(dir)).toMatchObject({ flags: [flag("a", onFor("beta")), flag("b")], segments: [segment("beta", "beta")] });
    expect(result.stdout.join("\n")).toContain("Promoted 1 flag from dev to prod");
    expect(result.stdout.join("\n")).toContain("subjects in segment beta: false → true");
    expect(result.stdout.join("\n")).toContain("segment shop/beta added");
    lintClean(dir);
  });

  it("without --flag promotes every flag that differs, removals included", () => {
    const dir = root({ flags: [flag("a", { enabled: true }), flag("new")] }, { flags: [flag("a"), flag("gone")] });
    const result = promote(dir, "--from", "dev", "--to", "prod");
    expect(result.code).toBe(0);
    expect(prodDocument(dir).flags.map((f) => [f.key, f.enabled])).toEqual([["a", true], ["new", false]]);
    const out = result.stdout.join("\n");
    expect(out).toContain("Promoted 3 flags");
    expect(out).toContain("shop/gone removed");
    expect(out).toContain("shop/new added");
  });

  it("from prod to dev brings an emergency change made in prod back to dev", () => {
    const dir = root({ flags: [flag("kill")] }, { flags: [flag("kill", { enabled: true })] });
    expect(promote(dir, "--from", "prod", "--to", "dev", "--flag", "shop/kill").code).toBe(0);
    expect(runCli(["promote", "--dir", dir, "--from", "dev", "--to", "prod"]).stdout).toEqual([
      "Nothing to promote: prod already serves what dev serves.",
    ]);
  });

  it("says so, and changes nothing, when the flag is already the same", () => {
    const dir = root({ flags: [flag("a")] }, { flags: [flag("a")] });
    const before = readFolder(dir);
    const result = promote(dir, "--from", "dev", "--to", "prod", "--flag", "shop/a");
    expect(result.stdout).toEqual(["shop/a: already the same in dev and prod; nothing to promote", "Nothing to promote: prod already serves what dev serves for the flags given."]);
    expect(readFolder(dir)).toEqual(before);
  });

  it.each([
    [
      "a segment that differs in the target and that a flag it does not promote uses",
      { flags: [flag("a", onFor("beta")), flag("b", onFor("beta"))], segments: [segment("beta", "beta")] },
      { flags: [flag("a"), flag("b", onFor("beta"))], segments: [segment("beta", "enterprise")] },
      ["--flag", "shop/a"],
      "flags promote: segment shop/beta differs between dev and prod, and prod's shop/b also use it; promote that flag too (--flag shop/b) or make the segment the same first",
    ],
    [
      "a source flag that uses a segment the source does not define",
      { flags: [flag("a", onFor("beta"))] },
      { flags: [flag("a")] },
      ["--flag", "shop/a"],
      'flags promote: dev has 1 lint problem (first: dev/shop.features.yml:14: flag "a": rollouts[0].segment: namespace "shop" has no segment "beta"',
    ],
  ])("refuses %s, naming it, and writes nothing", (_, dev, prod, args, message) => {
    const dir = root(dev, prod);
    const before = readFolder(dir);
    const result = promote(dir, "--from", "dev", "--to", "prod", ...args);
    expect(result.code).toBe(1);
    expect(result.stderr).toHaveLength(1);
    expect(result.stderr[0].startsWith(message), result.stderr[0]).toBe(true);
    expect(readFolder(dir)).toEqual(before);
  });

  it("refuses to put a flag where the target's index would not serve it", () => {
    const dir = tempDir();
    writeFiles(dir, {
      "dev/.flipt.yml": INDEX,
      "dev/shop.features.yml": flagFile([flag("a")]),
      "prod/.flipt.yml": 'version: "1.0"\ninclude:\n  - "other.features.yml"\n',
      "prod/other.features.yml": 'version: "1.4"\nnamespace: other\nflags: []\n',
    });
    const result = promote(dir, "--from", "dev", "--to", "prod", "--flag", "shop/a");
    expect(result.code).toBe(1);
    expect(result.stderr).toEqual(["flags promote: prod's index (.flipt.yml) does not include the file promote would put shop/a in; include it first"]);
    expect(fs.existsSync(path.join(dir, "prod", "shop.features.yml"))).toBe(false);
  });

  it("on the migrated flags, promoting an identical kill switch changes nothing", () => {
    const result = runCli(["promote", "--dir", migratedFlags(), "--from", "dev", "--to", "prod", "--flag", "platform/kill_switches--gate--control_api"]);
    expect(result.code).toBe(0);
    expect(result.stdout[0]).toBe("platform/kill_switches--gate--control_api: already the same in dev and prod; nothing to promote");
  });
});

describe("diff against a git ref", () => {
  const git = (cwd: string, ...args: string[]) =>
    execFileSync("git", args, {
      cwd,
      encoding: "utf8",
      env: { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1", GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@localhost", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@localhost" },
    });

  /** A repository whose first commit has the layout before environments, and whose working tree has dev/ and prod/. */
  function repository(): string {
    const dir = tempDir();
    git(dir, "init", "--quiet", "--initial-branch=main");
    writeFiles(dir, { "flags/.flipt.yml": INDEX, "flags/shop.features.yml": flagFile([flag("kill"), flag("rollout", { rollouts: [{ threshold: { percentage: 10, value: true } }] })]) });
    git(dir, "add", "--all");
    git(dir, "commit", "--quiet", "-m", "single layout");
    fs.rmSync(path.join(dir, "flags"), { recursive: true });
    writeFiles(dir, {
      "flags/dev/.flipt.yml": INDEX,
      "flags/dev/shop.features.yml": flagFile([flag("kill"), flag("rollout", { rollouts: [{ threshold: { percentage: 40, value: true } }] })]),
      "flags/prod/.flipt.yml": INDEX,
      "flags/prod/shop.features.yml": flagFile([flag("kill", { enabled: true }), flag("rollout", { rollouts: [{ threshold: { percentage: 10, value: true } }] })]),
    });
    return dir;
  }

  it("reads the old single layout as every environment's state and reports prod first, then drift", () => {
    const dir = repository();
    const result = runCli(["diff", "--base", "HEAD", "--format", "json"], { cwd: dir });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout.join("\n"));
    expect(report.base_single_layout).toBe(true);
    expect(report.environments.map((e: { environment: string; live: boolean }) => [e.environment, e.live])).toEqual([["prod", true], ["dev", false]]);
    // The emergency path: a kill switch engaged in prod directly is marked as such.
    expect(report.environments[0].flags).toEqual([
      {
        flag: "shop/kill",
        kind: "changed",
        file: "flags/prod/shop.features.yml",
        effects: [
          "everyone: false → true",
          "edited in prod directly: dev does not serve this; bring dev in line (npm run flags -- promote --from prod --to dev --flag shop/kill) or the next promotion undoes it",
        ],
      },
    ]);
    // dev's change is on its way: not marked, and listed as drift.
    expect(report.environments[1].flags[0].effects[1]).toMatch(/^everyone: 30% of them change value \(true 10% \/ false 90% → true 40% \/ false 60%;/);
    expect(report.drift.map((d: { flag: string }) => d.flag)).toEqual(["shop/kill", "shop/rollout"]);
  });

  it("markdown is one comment: its marker, prod marked as going live on merge before dev, then drift", () => {
    const markdown = runCli(["diff", "--base", "HEAD", "--format", "markdown"], { cwd: repository() }).stdout.join("\n");
    expect(markdown.startsWith(`${DIFF_COMMENT_MARKER}\n## Feature flag changes`)).toBe(true);
    const [prod, dev, drift] = ["### prod — **goes live on merge**", "### dev", "### Drift between environments"].map((h) => markdown.indexOf(h));
    expect(prod).toBeGreaterThan(0);
    expect(dev).toBeGreaterThan(prod);
    expect(drift).toBeGreaterThan(dev);
    expect(markdown).toContain("- **`shop/kill`** changed (`flags/prod/shop.features.yml`)\n  - everyone: false → true\n  - edited in prod directly");
  });

  it("compares two refs with --head, and the same tree as no change", () => {
    const dir = repository();
    git(dir, "add", "--all");
    git(dir, "commit", "--quiet", "-m", "environments");
    const report = JSON.parse(runCli(["diff", "--base", "HEAD", "--head", "HEAD", "--format", "json"], { cwd: dir }).stdout.join("\n"));
    expect(report.changes).toBe(0);
    expect(report.base_single_layout).toBe(false);
    expect(report.drift).toHaveLength(2);
  });
});
