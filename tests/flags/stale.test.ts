import { afterAll, describe, expect, it } from "vitest";
import type { EnvironmentEntry } from "../../scripts/flags/environmentsLint";
import { findStaleFlags, formatStale } from "../../scripts/flags/stale";
import { migratedFlags, removeTempDirs, runCli } from "./helpers";

function entry(key: string, metadata: unknown, environment?: "dev" | "prod"): EnvironmentEntry {
  return { file: environment === undefined ? "shop.features.yml" : `${environment}/shop.features.yml`, line: 4, namespace: "shop", key, metadata, environment };
}

const TODAY = "2027-06-01";

describe("findStaleFlags", () => {
  it.each([
    ["created 90 days ago", { owner: "t", created: "2027-03-03", expires: "2027-09-01" }, []],
    ["created 91 days ago", { owner: "t", created: "2027-03-02", expires: "2027-09-01" }, ["older than 90 days"]],
    ["expiring today", { owner: "t", created: "2027-05-01", expires: "2027-06-01" }, []],
    ["expired yesterday", { owner: "t", created: "2027-05-01", expires: "2027-05-31" }, ["past expires by 1 days"]],
    ["old and expired", { owner: "t", created: "2026-11-24", expires: "2027-02-22" }, ["older than 90 days", "past expires by 99 days"]],
    ["permanent and old", { owner: "t", created: "2020-01-01", permanent: true }, []],
    ["old, reviewed recently", { owner: "t", created: "2026-01-01", expires: "2027-09-01", reviewed: "2027-05-01", review_note: "x" }, []],
    ["old, reviewed long ago", { owner: "t", created: "2026-01-01", expires: "2027-09-01", reviewed: "2027-01-01", review_note: "x" }, ["last reviewed 2027-01-01, more than 90 days ago"]],
    ["without metadata", undefined, ["lifecycle metadata missing or invalid (see lint)"]],
    ["with broken metadata", { owner: "t", created: "yesterday" }, ["lifecycle metadata missing or invalid (see lint)"]],
  ])("a flag %s is listed for %j", (_, metadata, reasons) => {
    const stale = findStaleFlags([entry("f", metadata)], TODAY);
    expect(stale.map((s) => s.reasons)).toEqual(reasons.length === 0 ? [] : [reasons]);
  });

  it("gives owner, age and expiry, sorted by owner then flag", () => {
    const flags = [
      entry("b", { owner: "zeta", created: "2026-11-24", expires: "2027-02-22", legacy_key: "shop.b" }),
      entry("a", { owner: "alpha", created: "2026-12-01", expires: "2027-03-01" }),
    ];
    expect(findStaleFlags(flags, TODAY)).toEqual([
      expect.objectContaining({ key: "a", owner: "alpha", created: "2026-12-01", ageDays: 182, expires: "2027-03-01" }),
      expect.objectContaining({ key: "b", owner: "zeta", ageDays: 189, legacyKey: "shop.b" }),
    ]);
  });
});

describe("findStaleFlags across environments", () => {
  it("lists a flag in dev and prod once, with both environments and dev's file", () => {
    const metadata = { owner: "t", created: "2026-11-24", expires: "2027-02-22" };
    const stale = findStaleFlags([entry("f", metadata, "dev"), entry("f", metadata, "prod"), entry("g", metadata, "dev")], TODAY);
    expect(stale.map((s) => [s.key, s.environments, s.file])).toEqual([
      ["f", ["dev", "prod"], "dev/shop.features.yml"],
      ["g", ["dev"], "dev/shop.features.yml"],
    ]);
  });
});

describe("formatStale", () => {
  const stale = findStaleFlags([entry("b", { owner: "payments", created: "2026-11-24", expires: "2027-02-22" })], TODAY);

  it("markdown is a table a scheduled job can post", () => {
    const markdown = formatStale(stale, "markdown", TODAY, "flags");
    expect(markdown).toContain("## Feature flags due for review");
    expect(markdown).toContain("| Flag | Owner | Age (days) | Expires | Why | Environments | Where |");
    expect(markdown).toContain("| `shop/b` | payments | 189 | 2027-02-22 | older than 90 days; past expires by 99 days | — | `flags/shop.features.yml:4` |");
  });

  it("json carries the same facts", () => {
    expect(JSON.parse(formatStale(stale, "json", TODAY, "flags"))).toEqual({
      today: TODAY,
      review_after_days: 90,
      count: 1,
      flags: [
        {
          namespace: "shop",
          key: "b",
          legacy_key: null,
          owner: "payments",
          created: "2026-11-24",
          age_days: 189,
          expires: "2027-02-22",
          reasons: ["older than 90 days", "past expires by 99 days"],
          environments: [],
          file: "flags/shop.features.yml",
          line: 4,
        },
      ],
    });
  });

  it.each([
    ["text", "No flags need review on 2027-06-01"],
    ["markdown", "No flags need review on 2027-06-01."],
  ] as const)("%s says when nothing needs review", (format, text) => {
    expect(formatStale([], format, TODAY, "flags")).toContain(text);
  });
});

describe("stale command on the migrated flags", () => {
  afterAll(removeTempDirs);
  const FLAGS_DIR = migratedFlags();

  it("lists the four non-permanent migrated flags on 2027-06-01 once each, in dev and prod, not the kill switches, and exits 0", () => {
    const result = runCli(["stale", "--dir", FLAGS_DIR, "--today", TODAY, "--format", "json"]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout.join("\n"));
    for (const flag of report.flags) expect(flag.environments).toEqual(["dev", "prod"]);
    expect(report.flags.map((f: { namespace: string; key: string }) => `${f.namespace}/${f.key}`).sort()).toEqual([
      "llm_gateway/model_routing--openai_responses_api",
      "llm_gateway/model_routing--provider_failover",
      "maestro/agent_authority--draft_and_confirm_default",
      "platform/migrations--proto_event_envelopes",
    ]);
  });

  it("lists nothing on the migration day", () => {
    const result = runCli(["stale", "--dir", FLAGS_DIR, "--today", "2026-11-24"]);
    expect(result).toMatchObject({ code: 0, stderr: [] });
    expect(result.stdout.join("\n")).toContain("No flags need review on 2026-11-24");
  });
});
