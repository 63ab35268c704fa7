import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { relayProgram } from "../../builders/relayProgram";
import { commitProblems, flagsLayout, stackFolder, withStackFolder } from "../../flags-relay/checks";
import { overrideObjectName, OVERRIDE_KEYS, relayRepositoryName } from "../../builders/flagsRelayContract";
import { applyOverride, decideOverride, parseOverride, type Override } from "../../flags-relay/overrides";
import { parseDuration } from "../../flags-relay/relay";
import { findFlag, folderFlags, forceFlagInText } from "../../scripts/flags/flagEdit";
import { readFolder, type FolderFile } from "../../scripts/flags/folder";
import { REPO_ROOT } from "../flags/helpers";

/** The flags root as committed: the relay's checks must accept it, whatever it holds today. */
const ROOT_FILES: FolderFile[] = readFolder(path.join(REPO_ROOT, "flags"));
const LAYOUT = flagsLayout("flags/prod");
const PROD = stackFolder(LAYOUT, ROOT_FILES);
const TODAY = new Date().toISOString().slice(0, 10);
const [FLAG] = folderFlags(PROD).filter((f) => f.type === "BOOLEAN_FLAG_TYPE");
const NAME = `${FLAG.namespace}/${FLAG.key}`;

const override = (value: Override["value"], extra: Partial<Override> = {}): Override => ({ name: "o", uid: "u1", flag: NAME, value, reason: "r", requestedBy: "alice", requestedAt: "2026-12-03T10:00:00Z", ...extra });
/** The prod folder with the flag's value forced, as a merged pull request would hold it. */
const upstreamWith = (value: Override["value"]) => PROD.map((f) => (f.path === FLAG.file ? { path: f.path, text: forceFlagInText(f.text, FLAG, value)! } : f));

describe("the relay's checks: what it serves and what it holds back", () => {
  it("gitDirectory flags/prod is environment prod of the flags root flags; a plain folder is checked alone", () => {
    expect(flagsLayout("flags/prod")).toEqual({ root: "flags", environment: "prod" });
    expect(flagsLayout("config/flags/")).toEqual({ root: "config/flags" });
  });

  it("the committed flags pass, as flags lint says", () => {
    expect(commitProblems(LAYOUT, ROOT_FILES, TODAY)).toEqual([]);
  });

  it("a commit with a broken flag file fails, with lint's file:line: message lines", () => {
    const broken = ROOT_FILES.map((f) => (f.path === `prod/${FLAG.file}` ? { path: f.path, text: `${f.text}\n  - key: [unclosed\n` } : f));
    const problems = commitProblems(LAYOUT, broken, TODAY);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatch(new RegExp(`^flags/prod/${FLAG.file.replace(".", "\\.")}:\\d+(:\\d+)?: YAML syntax error`));
  });

  it("a commit without the stack's directory fails", () => {
    expect(commitProblems(LAYOUT, ROOT_FILES.filter((f) => !f.path.startsWith("prod/")), TODAY).join("\n")).toMatch(/prod/);
    expect(commitProblems(LAYOUT, [], TODAY)).toEqual(["flags: no such directory in the commit"]);
  });

  it("the stack's folder is taken out of the root and put back unchanged", () => {
    expect(withStackFolder(LAYOUT, ROOT_FILES, PROD).map((f) => f.path).sort()).toEqual(ROOT_FILES.map((f) => f.path).sort());
  });
});

describe("the relay's overrides: applied, merged, in conflict, rejected", () => {
  const value = { enabled: !FLAG.enabled };

  it("applies an override whose flag upstream serves as it did when the override began", () => {
    const first = decideOverride(override(value), PROD, undefined, "2026-12-03T10:00:01Z");
    expect(first.state).toBe("applied");
    const folder = applyOverride(PROD, override(value)) as FolderFile[];
    expect(findFlag(folder, NAME)!.enabled).toBe(!FLAG.enabled);
    expect(decideOverride(override(value), PROD, first.memory, "2026-12-03T10:05:00Z")).toMatchObject({ state: "applied", memory: { since: "2026-12-03T10:00:01Z" } });
  });

  it("ends by itself once upstream serves the same value, and stays ended", () => {
    const first = decideOverride(override(value), PROD, undefined, "t0");
    const merged = decideOverride(override(value), upstreamWith(value), first.memory, "t1");
    expect(merged.state).toBe("merged");
    expect(merged.memory.mergedAt).toBe("t1");
    // Upstream moving the flag again later does not revive it.
    expect(decideOverride(override(value), PROD, merged.memory, "t2").state).toBe("merged");
  });

  it("stays, reported as a conflict, when upstream changes the flag to something else", () => {
    const first = decideOverride(override(value), PROD, undefined, "t0");
    const conflict = decideOverride(override(value), upstreamWith({ rollout: 50 }), first.memory, "t1");
    expect(conflict.state).toBe("conflict");
    expect(conflict.message).toMatch(/upstream changed .* to rollout 50%.*still serving/);
  });

  it("rejects an override of a flag upstream does not have, or a rollout of a variant flag", () => {
    expect(decideOverride(override(value, { flag: `${FLAG.namespace}/gone` }), PROD, undefined, "t").state).toBe("rejected");
    expect(decideOverride(override({ rollout: 120 }), PROD, undefined, "t").state).toBe("rejected");
  });

  it("reads an override ConfigMap and names what is wrong with a malformed one", () => {
    const data = { [OVERRIDE_KEYS.flag]: NAME, [OVERRIDE_KEYS.value]: '{"rollout":5}', [OVERRIDE_KEYS.reason]: "why", [OVERRIDE_KEYS.requestedBy]: "bob", [OVERRIDE_KEYS.requestedAt]: "t" };
    expect(parseOverride({ metadata: { name: "x", uid: "u" }, data })).toMatchObject({ flag: NAME, value: { rollout: 5 }, requestedBy: "bob" });
    expect(parseOverride({ metadata: { name: "x" }, data: { ...data, [OVERRIDE_KEYS.value]: "{" } })).toEqual({ name: "x", problem: "value is not JSON" });
    expect(parseOverride({ metadata: { name: "x" }, data: { ...data, [OVERRIDE_KEYS.value]: '{"enabled":"no"}' } })).toMatchObject({ problem: /expected/ });
  });
});

describe("the relay's names and program", () => {
  it("an override object's name is per flag, readable and within 63 characters", () => {
    const hash = (t: string) => createHash("sha256").update(t).digest("hex");
    const long = overrideObjectName(`platform/${"x".repeat(100)}`, hash);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^flags-override-platform-x+-[0-9a-f]{8}$/);
    expect(overrideObjectName("a/b", hash)).not.toBe(overrideObjectName("a/c", hash));
  });

  it("serves the repository under gitRepository's last segment", () => {
    expect(relayRepositoryName("https://github.com/acme/flipt-deploy.git")).toBe("flipt-deploy.git");
    expect(relayRepositoryName("git@github.com:acme/flipt-deploy")).toBe("flipt-deploy.git");
  });

  it("reads Go durations as the stack files write them", () => {
    expect(parseDuration("5s")).toBe(5000);
    expect(parseDuration("1m30s")).toBe(90_000);
    expect(() => parseDuration("5 seconds")).toThrow(/expected a duration/);
  });

  it("the bundled program is ASCII, so server-side apply (YAML) stores exactly this text: a raw U+0085 would come back as a space", () => {
    expect(relayProgram()).toMatch(/^[\x00-\x7f]*$/);
  });

  it("the bundled program is self-contained: node runs it without the repository's modules", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "relay-bundle-"));
    try {
      const file = path.join(dir, "flags-relay.mjs");
      fs.writeFileSync(file, relayProgram());
      expect(execFileSync(process.execPath, [file, "--help"], { cwd: dir, encoding: "utf8" })).toMatch(/--upstream=<url>/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
