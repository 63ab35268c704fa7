import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  BENCH_RESULTS_FILE,
  fitMemoryModel,
  memoryModelFromResults,
  modelCitation,
  predictMiB,
  readMemoryModel,
  type MemoryModel,
  type ScaleRow,
} from "../../scripts/flags/memoryModel";
import { REPO_ROOT, removeTempDirs, tempDir } from "./helpers";

afterAll(removeTempDirs);

/**
 * The flag-count memory model against the bench's committed scale rows: a line fitted by least
 * squares must describe every row it was fitted from. Nothing here pins the rows or the
 * coefficients, which change with every `npm run bench -- --only scale`.
 */

/** How far the model may be from a committed row: 5 % of the row (at 384Mi, 19 MiB). */
const TOLERANCE = 0.05;
const describesEveryRow = (model: MemoryModel) => model.rows.every((row) => Math.abs(row.residualMiB) <= TOLERANCE * row.rssAfterSyncsMiB);

type Json = Record<string, any>;
const committedResults = (): Json => JSON.parse(fs.readFileSync(path.join(REPO_ROOT, BENCH_RESULTS_FILE), "utf8"));

function committedModel(): MemoryModel {
  const read = readMemoryModel(REPO_ROOT);
  if (!("model" in read)) throw new Error(`no model from the committed results: ${read.file}: ${read.unavailable}`);
  return read.model;
}

describe("the memory model fitted to the committed scale rows", () => {
  it("is fitted from the flag-count series: every flipt row with no history on main, by flag count", () => {
    const series = (committedResults().sections.scale.results.flipt as Json[]).filter((r) => r.historyCommits === 0 && r.branch === "main");
    const expected = series.map((r) => ({ flags: r.flags, rssAfterSyncsMiB: r.sync.rssAfterMiB })).sort((a, b) => a.flags - b.flags);
    expect(committedModel().rows.map(({ flags, rssAfterSyncsMiB }) => ({ flags, rssAfterSyncsMiB }))).toEqual(expected);
    expect(expected.length).toBeGreaterThanOrEqual(2);
  });

  it(`predicts every committed row within ${TOLERANCE * 100} %`, () => {
    const model = committedModel();
    for (const row of model.rows) {
      expect(Math.abs(predictMiB(model, row.flags) - row.rssAfterSyncsMiB), `${row.flags} flags: ${row.rssAfterSyncsMiB.toFixed(1)} MiB measured`).toBeLessThanOrEqual(
        TOLERANCE * row.rssAfterSyncsMiB,
      );
    }
    expect(describesEveryRow(model)).toBe(true);
  });

  it("has positive coefficients: memory at no flags, and memory per flag", () => {
    const model = committedModel();
    expect(model.interceptMiB).toBeGreaterThan(0);
    expect(model.mibPerFlag).toBeGreaterThan(0);
  });

  it("cites its source: the file, the flag counts and the run", () => {
    const results = committedResults();
    const citation = modelCitation(committedModel());
    expect(citation).toMatch(new RegExp(`^${BENCH_RESULTS_FILE} scale rows at [\\d, ]+ flags`));
    const startedAt = results.sections.scale.startedAt ?? results.keptFrom?.scale?.startedAt ?? results.startedAt;
    expect(citation).toContain(`run ${String(startedAt).slice(0, 10)}`);
  });
});

describe("the fit", () => {
  const rowsOf = (f: (flags: number) => number): ScaleRow[] => [12, 100, 1_000, 10_000].map((flags) => ({ flags, rssAfterSyncsMiB: f(flags) }));

  it("recovers a line exactly", () => {
    const model = fitMemoryModel(rowsOf((n) => 50 + 0.1 * n), { file: "x" })!;
    expect(model.interceptMiB).toBeCloseTo(50, 9);
    expect(model.mibPerFlag).toBeCloseTo(0.1, 9);
    expect(model.rows.map((r) => r.residualMiB).every((r) => Math.abs(r) < 1e-9)).toBe(true);
  });

  it("does not describe rows that curve: the tolerance check fails for them", () => {
    const curved = fitMemoryModel(rowsOf((n) => 80 + 1e-5 * n * n), { file: "x" })!;
    expect(describesEveryRow(curved)).toBe(false);
  });

  it("needs two flag counts", () => {
    expect(fitMemoryModel([{ flags: 100, rssAfterSyncsMiB: 90 }], { file: "x" })).toBeUndefined();
    expect(fitMemoryModel([{ flags: 100, rssAfterSyncsMiB: 90 }, { flags: 100, rssAfterSyncsMiB: 91 }], { file: "x" })).toBeUndefined();
  });
});

describe("results the model cannot come from: one line saying why, never a crash", () => {
  const row = (flags: number, rss: number, extra: Json = {}) => ({ flags, historyCommits: 0, branch: "main", sync: { rssAfterMiB: rss, changeSyncs: 21 }, ...extra });
  const results = (flipt: unknown, top: Json = {}) => ({ startedAt: "2026-12-02T04:31:39Z", sections: { scale: { status: "measured", results: { flipt } } }, ...top });

  it.each([
    ["no scale section", { sections: {} }, "no scale rows (sections.scale.results.flipt)"],
    ["not an object", [1, 2], "no scale rows"],
    ["one flag count", results([row(100, 90)]), "1 scale rows with flags and sync.rssAfterMiB"],
    ["only history rows", results([row(100, 90, { historyCommits: 1000 }), row(1000, 160, { branch: "flags-mirror" })]), "0 scale rows"],
    ["rows without their RSS", results([{ flags: 12, historyCommits: 0, branch: "main" }, row(100, 90)]), "1 scale rows"],
    ["a line that does not grow", results([row(100, 90), row(1000, 80)]), "does not grow with the flag count"],
  ])("%s", (_name, json, reason) => {
    const read = memoryModelFromResults(json, "bench/results.json");
    expect(read).toMatchObject({ file: "bench/results.json" });
    expect("unavailable" in read && read.unavailable).toContain(reason);
  });

  it("a repository without the file, or with a file that is not JSON", () => {
    const dir = tempDir();
    expect(readMemoryModel(dir)).toEqual({ file: BENCH_RESULTS_FILE, unavailable: "cannot read (no such file)" });
    fs.mkdirSync(path.join(dir, "bench"));
    fs.writeFileSync(path.join(dir, BENCH_RESULTS_FILE), "{ truncated");
    const read = readMemoryModel(dir);
    expect("unavailable" in read && read.unavailable).toMatch(/^not JSON \(/);
  });

  it("dates the rows by the scale section's run: its own start, else the one it was kept from, else the run's", () => {
    const rows = [row(12, 85), row(1000, 165)];
    const startOf = (json: unknown) => {
      const read = memoryModelFromResults(json, "r.json");
      return "model" in read ? read.model.source.startedAt : read.unavailable;
    };
    expect(startOf(results(rows))).toBe("2026-12-02T04:31:39Z");
    expect(startOf(results(rows, { keptFrom: { scale: { startedAt: "2026-11-30T01:00:00Z" } } }))).toBe("2026-11-30T01:00:00Z");
    const own = results(rows);
    (own.sections.scale as Json).startedAt = "2026-11-29T01:00:00Z";
    expect(startOf(own)).toBe("2026-11-29T01:00:00Z");
  });
});
