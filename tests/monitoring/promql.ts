/** Helpers for checking the dashboard model and alert rules: queries, variables, metric names, promtool. */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { DashboardModel } from "../../builders/grafanaSdk";

export interface PanelQuery {
  readonly panel: string;
  readonly refId: string;
  readonly expr: string;
}

type Panel = NonNullable<DashboardModel["panels"]>[number] & { targets?: { expr?: string; refId?: string }[]; panels?: Panel[] };

/** Every non-row panel, including those inside collapsed rows. */
export function panelsOf(model: DashboardModel): Panel[] {
  return ((model.panels ?? []) as Panel[]).flatMap((p) => (p.type === "row" ? (p.panels ?? []) : [p]));
}

export function dashboardQueries(model: DashboardModel): PanelQuery[] {
  return panelsOf(model).flatMap((p) =>
    (p.targets ?? []).map((t) => ({ panel: p.title ?? "(untitled)", refId: t.refId ?? "", expr: t.expr ?? "" })),
  );
}

/** Grafana's built-in variables; everything else used with `$` must be defined in the templating list. */
const BUILT_IN = new Set(["__rate_interval", "__interval", "__interval_ms", "__range", "__range_s", "__range_ms", "__all", "__from", "__to", "__dashboard"]);

/** Names used as `$name`, `${name}` or `${name:format}` anywhere in the model. */
export function variablesUsed(model: unknown): string[] {
  const text = JSON.stringify(model);
  const names = [...text.matchAll(/\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g)].map((m) => m[1] ?? m[2] ?? m[3]);
  return [...new Set(names)].filter((n) => !BUILT_IN.has(n));
}

/** What the variables stand for when a query is checked outside Grafana. */
export const VARIABLE_VALUES: Record<string, string> = {
  namespace: "flipt-dev",
  flag: ".*",
  __rate_interval: "2m",
  __interval: "1m",
  __range: "1h",
};

/** `values` defaults to VARIABLE_VALUES; the e2e tier passes the running stack's namespace. */
export function substituteVariables(expr: string, values: Readonly<Record<string, string>> = VARIABLE_VALUES): string {
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced, bare) => values[braced ?? bare] ?? whole);
}

const KEYWORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "inf", "nan", "atan2"]);
const GROUPING = new Set(["by", "without", "on", "ignoring", "group_left", "group_right"]);

/**
 * Metric names a PromQL expression selects: identifiers that are not functions, keywords,
 * label names inside `{…}`, label lists after by/on/…, durations or string contents.
 */
export function metricNames(expr: string): string[] {
  const text = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, "{}")
    .replace(/\[[^\]]*\]/g, "[]");
  const names = new Set<string>();
  const tokens = [...text.matchAll(/[A-Za-z_:][\w:]*|\d[\w.]*|\S/g)].map((m) => m[0]);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (GROUPING.has(token.toLowerCase()) && tokens[i + 1] === "(") {
      while (i < tokens.length && tokens[i] !== ")") i++;
      continue;
    }
    const next = tokens[i + 1]?.toLowerCase();
    // A function or aggregation: followed by its arguments, or by its grouping (`sum by (…) (…)`).
    if (next === "(" || next === "by" || next === "without") continue;
    if (!/^[A-Za-z_:]/.test(token) || KEYWORDS.has(token.toLowerCase())) continue;
    names.add(token);
  }
  return [...names];
}

/** promtool from $PROMTOOL_BIN, PATH or Debian's `prometheus` package; undefined when not installed. */
export function findPromtool(): string | undefined {
  const candidates = [process.env.PROMTOOL_BIN, ...(process.env.PATH ?? "").split(path.delimiter).map((d) => path.join(d, "promtool")), "/usr/bin/promtool"];
  return candidates.find((c): c is string => !!c && fs.existsSync(c) && spawnSync(c, ["--version"]).status === 0);
}

export const PROMTOOL_MISSING =
  "promtool is not installed (Debian: apt-get install --no-install-recommends prometheus; .ci/run installs it through scripts/toolchain/setup.sh)";

export interface PromtoolResult {
  readonly ok: boolean;
  readonly output: string;
}

/** Runs promtool with files written into a fresh temporary directory (paths relative to it). */
export function promtool(bin: string, args: string[], files: Record<string, unknown>): PromtoolResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flipt-promtool-"));
  try {
    for (const [name, content] of Object.entries(files)) {
      fs.writeFileSync(path.join(dir, name), typeof content === "string" ? content : yaml.dump(content, { lineWidth: -1, noRefs: true }));
    }
    try {
      return { ok: true, output: execFileSync(bin, args, { cwd: dir, encoding: "utf8", stdio: "pipe" }) };
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      return { ok: false, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
