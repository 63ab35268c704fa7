import * as fs from "node:fs";
import * as path from "node:path";

/**
 * Flipt's memory after syncs as a function of the flag count, fitted to the bench's committed
 * scale rows (`npm run bench -- --only scale`): the flag-count series of
 * `sections.scale.results.flipt` (no history, on `main`), RSS after the one-flag syncs each row
 * measured. Ordinary least squares of a line in the flag count: on the committed rows (12 to 10,000
 * flags) every residual is within 2 MiB (about 2 %), so a line describes them and nothing with more
 * parameters is warranted; weighting by the relative error instead moves the 10,000-flag
 * prediction 4 MiB off for no gain below it. No history is in these rows: a stack following a
 * long `main` holds more (docs/performance.md, "Repository history, and the flags mirror").
 */

/** The committed bench results, relative to the repository. */
export const BENCH_RESULTS_FILE = "bench/results.json";

/** One measured row of the flag-count series. */
export interface ScaleRow {
  readonly flags: number;
  /** RSS after the row's one-flag syncs, MiB. */
  readonly rssAfterSyncsMiB: number;
}

export interface FittedRow extends ScaleRow {
  readonly predictedMiB: number;
  /** Prediction minus measurement, MiB. */
  readonly residualMiB: number;
}

/** Where the rows come from, for messages that cite the model. */
export interface ModelSource {
  readonly file: string;
  /** When the scale section ran (ISO time), if the results say. */
  readonly startedAt?: string;
  /** The Flipt version measured, if the results say (`v1.61.1`). */
  readonly fliptVersion?: string;
  /** One-flag syncs each row made before its RSS was read, when every row made the same number. */
  readonly syncs?: number;
}

export interface MemoryModel {
  /** MiB at no flags: the fitted line's intercept. */
  readonly interceptMiB: number;
  /** MiB each flag adds: the fitted line's slope. */
  readonly mibPerFlag: number;
  /** The rows fitted, ordered by flag count, with the model's prediction and residual at each. */
  readonly rows: readonly FittedRow[];
  readonly source: ModelSource;
}

/** A model, or why there is none: the file, and what is missing or wrong in it (one line). */
export type MemoryModelResult = { readonly model: MemoryModel } | { readonly unavailable: string; readonly file: string };

export function predictMiB(model: MemoryModel, flags: number): number {
  return model.interceptMiB + model.mibPerFlag * flags;
}

/** Least squares fit of `rssAfterSyncsMiB = intercept + slope × flags`; undefined with fewer than two flag counts. */
export function fitMemoryModel(rows: readonly ScaleRow[], source: ModelSource): MemoryModel | undefined {
  const n = rows.length;
  if (n < 2) return undefined;
  const meanFlags = rows.reduce((sum, r) => sum + r.flags, 0) / n;
  const meanMiB = rows.reduce((sum, r) => sum + r.rssAfterSyncsMiB, 0) / n;
  const spread = rows.reduce((sum, r) => sum + (r.flags - meanFlags) ** 2, 0);
  if (spread === 0) return undefined;
  const mibPerFlag = rows.reduce((sum, r) => sum + (r.flags - meanFlags) * (r.rssAfterSyncsMiB - meanMiB), 0) / spread;
  const interceptMiB = meanMiB - mibPerFlag * meanFlags;
  const fitted = [...rows]
    .sort((a, b) => a.flags - b.flags)
    .map((row) => {
      const predictedMiB = interceptMiB + mibPerFlag * row.flags;
      return { ...row, predictedMiB, residualMiB: predictedMiB - row.rssAfterSyncsMiB };
    });
  return { interceptMiB, mibPerFlag, rows: fitted, source };
}

type Json = Record<string, unknown>;
const isMap = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);
const isPositive = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value) && value > 0;

/** The model from the parsed results file (`file` names it in messages). */
export function memoryModelFromResults(results: unknown, file: string): MemoryModelResult {
  const unavailable = (why: string) => ({ unavailable: why, file });
  const top: Json = isMap(results) ? results : {};
  const scale: Json = isMap(top.sections) && isMap(top.sections.scale) ? top.sections.scale : {};
  const fliptRows = isMap(scale.results) ? scale.results.flipt : undefined;
  if (!Array.isArray(fliptRows)) return unavailable("no scale rows (sections.scale.results.flipt); run npm run bench -- --only scale");
  const series = fliptRows.filter((row): row is Json => isMap(row) && row.historyCommits === 0 && row.branch === "main");
  const syncOf = (row: Json): Json => (isMap(row.sync) ? row.sync : {});
  const rows = series.flatMap((row) => {
    const rss = syncOf(row).rssAfterMiB;
    return isPositive(row.flags) && isPositive(rss) ? [{ flags: row.flags, rssAfterSyncsMiB: rss }] : [];
  });
  const syncCounts = new Set(series.map((row) => syncOf(row).changeSyncs));
  const [syncs] = syncCounts;
  const source: ModelSource = {
    file,
    startedAt: scaleStartedAt(top, scale),
    fliptVersion: isMap(top.flipt) ? firstWord(top.flipt.version) : undefined,
    syncs: syncCounts.size === 1 && isPositive(syncs) ? syncs : undefined,
  };
  const model = fitMemoryModel(rows, source);
  if (model === undefined) {
    return unavailable(`${rows.length} scale rows with flags and sync.rssAfterMiB (historyCommits 0, branch main); the fit needs at least two flag counts`);
  }
  if (!(model.mibPerFlag > 0)) return unavailable(`the scale rows fit a line that does not grow with the flag count (${model.mibPerFlag} MiB per flag)`);
  return { model };
}

/** The scale section's own start, else the one recorded for it when it was kept from an earlier run, else the run's. */
function scaleStartedAt(results: Json, scale: Json): string | undefined {
  const kept = isMap(results.keptFrom) && isMap(results.keptFrom.scale) ? results.keptFrom.scale.startedAt : undefined;
  const startedAt = [scale.startedAt, kept, results.startedAt].find((value) => typeof value === "string");
  return startedAt as string | undefined;
}

const firstWord = (value: unknown) => (typeof value === "string" && value.trim() !== "" ? value.trim().split(/\s+/)[0] : undefined);

/** The model from `repository`'s committed bench results, or why there is none; never throws for a missing or broken file. */
export function readMemoryModel(repository: string): MemoryModelResult {
  let text: string;
  try {
    text = fs.readFileSync(path.join(repository, BENCH_RESULTS_FILE), "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { unavailable: `cannot read (${code === "ENOENT" ? "no such file" : code ?? String(error)})`, file: BENCH_RESULTS_FILE };
  }
  let results: unknown;
  try {
    results = JSON.parse(text);
  } catch (error) {
    return { unavailable: `not JSON (${error instanceof Error ? error.message : String(error)})`, file: BENCH_RESULTS_FILE };
  }
  return memoryModelFromResults(results, BENCH_RESULTS_FILE);
}

// ---- how messages cite it --------------------------------------------------------------------

export const formatCount = (n: number) => n.toLocaleString("en-US");
export const formatMiB = (mib: number) => `${mib.toFixed(0)} MiB`;

/** "84.4 MiB + 79.4 MiB per 1,000 flags": the coefficients as a reader compares them with docs/performance.md. */
export function modelEquation(model: MemoryModel): string {
  return `${model.interceptMiB.toFixed(1)} MiB + ${(model.mibPerFlag * 1000).toFixed(1)} MiB per 1,000 flags`;
}

/** "bench/results.json scale rows at 12, 100, 1,000, 10,000 flags (run 2026-12-02, Flipt v1.61.1)". */
export function modelCitation(model: MemoryModel): string {
  const { source } = model;
  const run = [source.startedAt && `run ${source.startedAt.slice(0, 10)}`, source.fliptVersion && `Flipt ${source.fliptVersion}`].filter(Boolean);
  return `${source.file} scale rows at ${model.rows.map((r) => formatCount(r.flags)).join(", ")} flags${run.length > 0 ? ` (${run.join(", ")})` : ""}`;
}

/** "after 21 syncs", or "after syncs" when the rows do not agree on how many. */
export function afterSyncs(model: MemoryModel): string {
  return model.source.syncs === undefined ? "after syncs" : `after ${model.source.syncs} syncs`;
}
