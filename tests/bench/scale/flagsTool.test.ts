import { describe, expect, it } from "vitest";
import { daysBetween } from "../../../scripts/flags/dates";
import { diffChangeCount, FLAGS_TOOL_TODAY, flagsToolArgs, lintSummary, promotedCount } from "../../../bench/scale/flagsTool";
import { measuredArgv, shownCommandLine } from "../../../bench/scale/measuredProcess";
import { vmHwmKib } from "../../../bench/scale/peakRssReporter";
import { GENERATED_CREATED, GENERATED_MIN_LIFETIME_DAYS } from "../../../bench/lib/generatedFlags";
import { projectDir } from "../../../settings/schema";

describe("the flags tool commands measured", () => {
  it.each([
    ["lint", ["lint", "--dir", "flags", "--today", "2026-11-25"]],
    ["diff", ["diff", "--base", "HEAD~1", "--head", "HEAD", "--dir", "flags"]],
    ["promote", ["promote", "--from", "dev", "--to", "prod", "--dir", "flags", "--today", "2026-11-25"]],
  ] as const)("%s runs as a user types it, on the flags root of the temp repository", (command, args) => {
    expect(flagsToolArgs(command, "2026-11-25")).toEqual(args);
  });

  it("judges the generated flags on a fixed day within their shortest lifetime, so no run finds one expired", () => {
    const age = daysBetween(GENERATED_CREATED, FLAGS_TOOL_TODAY);
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(GENERATED_MIN_LIFETIME_DAYS);
  });

  it("runs node with tsx's loader and then the peak-RSS reporter, before the script", () => {
    const argv = measuredArgv("/x/cli.ts", ["lint"]);
    expect(argv.slice(-2)).toEqual(["/x/cli.ts", "lint"]);
    expect(argv[1]).toMatch(/tsx\/dist\/loader\.mjs$/);
    expect(argv[3]).toMatch(/bench\/scale\/peakRssReporter\.ts$/);
    expect(shownCommandLine(`${projectDir}/scripts/flags/cli.ts`, ["lint"])).toBe("node --import tsx scripts/flags/cli.ts lint");
  });
});

describe("what the commands report", () => {
  it("reads lint's per-environment counts without the file list", () => {
    const line = "No problems: dev: 100 flags in 4 files (.flipt.yml, a.features.yml); prod: 99 flags in 4 files (.flipt.yml, a.features.yml)";
    expect(lintSummary(["x", line])).toBe("no problems; dev: 100 flags in 4 files; prod: 99 flags in 4 files");
  });

  it("counts the flag and segment changes diff lists, not their effects and not the drift", () => {
    const lines = [
      "Flag changes: HEAD~1 (1234abcd) → HEAD (5678ef01)",
      "",
      "dev:",
      "  platform/a_00001 changed (flags/dev/platform.features.yml)",
      "    - enabled: false → true",
      "  segment platform/everyone added (flags/dev/platform.features.yml; used by no flag)",
      "",
      "prod — goes live on merge:",
      "  no flag changes",
      "",
      "Drift (definitions that differ between environments):",
      "  platform/a_00001 changed (in dev, prod)",
    ];
    expect(diffChangeCount(lines)).toBe(2);
  });

  it.each([
    [["Promoted 1 flag from dev to prod (flags/prod/a.features.yml); what prod will serve once this is committed:"], 1],
    [["Promoted 10000 flags from dev to prod (…)", "  platform/a added"], 10000],
    [["Nothing to promote: prod already serves what dev serves."], 0],
    [["flags promote: dev has 3 lint problems"], undefined],
  ])("reads how many flags promote promoted: %j", (lines, count) => {
    expect(promotedCount(lines)).toBe(count);
  });

  it("reads the peak resident memory (VmHWM, KiB) from /proc/<pid>/status", () => {
    expect(vmHwmKib("Name:\tnode\nVmPeak:\t 1200000 kB\nVmHWM:\t  165432 kB\nVmRSS:\t  120000 kB\n")).toBe(165432);
    expect(vmHwmKib("Name:\tnode\nVmRSS:\t 1 kB\n")).toBeUndefined();
  });
});
