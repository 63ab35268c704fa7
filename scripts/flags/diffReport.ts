import * as path from "node:path";
import { environmentDirectory, type Environment } from "./environments";
import type { EnvironmentReport, FlagsDiff } from "./diff";
import { verdictMessage, verdictSummary, WARNING_SHARE, type MemoryGuard } from "./memoryGuard";
import { modelCitation, modelEquation } from "./memoryModel";

/** How `flags diff` prints its report. The markdown is the pull request's comment. */
export const DIFF_FORMATS = ["text", "markdown", "json"] as const;
export type DiffFormat = (typeof DIFF_FORMATS)[number];

/** First line of the markdown: the preview workflow finds its own comment by it, to update it in place. */
export const DIFF_COMMENT_MARKER = "<!-- flags-diff -->";

/** `memory`: the flag-count memory guard on the head side, shown after the drift (none: no section). */
export function formatDiff(diff: FlagsDiff, format: DiffFormat, root: string, memory: MemoryGuard = { kind: "none" }): string {
  switch (format) {
    case "json":
      return JSON.stringify({ ...diffJson(diff, root), ...memoryJson(memory) }, null, 2);
    case "markdown":
      return `${diffMarkdown(diff, root)}${memoryMarkdown(memory)}`;
    case "text":
      return [diffText(diff, root), ...memoryText(memory)].join("\n");
  }
}

const fileOf = (root: string, environment: Environment, file: string) => `${environmentDirectory(environment, root)}/${file}`;
const heading = (report: EnvironmentReport) => `${report.environment}${report.live ? " — goes live on merge" : ""}`;
const changeCount = (diff: FlagsDiff) => diff.environments.reduce((n, e) => n + e.flags.length + e.segments.length, 0);

function baseNote(diff: FlagsDiff, root: string): string[] {
  if (!diff.baseSingleLayout) return [];
  return [`The base has the layout before environments (one ${root}/ served by every stack); it is compared as the state of every environment.`];
}

function diffJson(diff: FlagsDiff, root: string) {
  return {
    base: diff.base,
    head: diff.head,
    base_single_layout: diff.baseSingleLayout,
    changes: changeCount(diff),
    environments: diff.environments.map((report) => ({
      environment: report.environment,
      live: report.live,
      flags: report.flags.map((c) => ({ flag: c.ref, kind: c.kind, file: fileOf(root, report.environment, c.file), effects: c.effects })),
      segments: report.segments.map((c) => ({ segment: c.ref, kind: c.kind, file: fileOf(root, report.environment, c.file), effects: c.effects, used_by: c.usedBy })),
    })),
    drift: diff.drift.map((d) => ({ flag: d.ref, environments: d.environments, effects: d.effects })),
  };
}

function diffText(diff: FlagsDiff, root: string): string {
  const lines = [`Flag changes: ${diff.base} → ${diff.head}`, ...baseNote(diff, root)];
  for (const report of diff.environments) {
    lines.push("", `${heading(report)}:`);
    if (report.flags.length + report.segments.length === 0) lines.push("  no flag changes");
    for (const change of report.flags) {
      lines.push(`  ${change.ref} ${change.kind} (${fileOf(root, report.environment, change.file)})`, ...change.effects.map((e) => `    - ${e}`));
    }
    for (const change of report.segments) {
      const used = change.usedBy.length === 0 ? "used by no flag" : `used by ${change.usedBy.join(", ")}`;
      lines.push(`  segment ${change.ref} ${change.kind} (${fileOf(root, report.environment, change.file)}; ${used})`, ...change.effects.map((e) => `    - ${e}`));
    }
  }
  lines.push("", "Drift (definitions that differ between environments):");
  if (diff.drift.length === 0) lines.push("  none: every environment serves the same flags");
  for (const drift of diff.drift) lines.push(`  ${drift.ref} (in ${drift.environments.join(", ")})`, ...drift.effects.map((e) => `    - ${e}`));
  return lines.join("\n");
}

const code = (text: string) => `\`${text}\``;

function diffMarkdown(diff: FlagsDiff, root: string): string {
  const lines = [
    DIFF_COMMENT_MARKER,
    "## Feature flag changes",
    "",
    `${changeCount(diff) === 0 ? "No flag changes" : changeCount(diff) === 1 ? "1 change" : `${changeCount(diff)} changes`} between ${code(diff.base)} and ${code(diff.head)}, by their effect on subjects (\`npm run flags -- diff\`).`,
    ...baseNote(diff, root).map((note) => `\n${note}`),
  ];
  for (const report of diff.environments) {
    lines.push("", `### ${report.live ? `${report.environment} — **goes live on merge**` : report.environment}`, "");
    if (report.flags.length + report.segments.length === 0) lines.push("No flag changes.");
    for (const change of report.flags) {
      lines.push(`- **${code(change.ref)}** ${change.kind} (${code(fileOf(root, report.environment, change.file))})`, ...change.effects.map((e) => `  - ${e}`));
    }
    for (const change of report.segments) {
      const used = change.usedBy.length === 0 ? "used by no flag" : `used by ${change.usedBy.map(code).join(", ")}`;
      lines.push(`- segment **${code(change.ref)}** ${change.kind} (${used})`, ...change.effects.map((e) => `  - ${e}`));
    }
  }
  lines.push("", "### Drift between environments", "");
  if (diff.drift.length === 0) lines.push("None: every environment serves the same flags.");
  else {
    lines.push("Normal during a rollout; listed so that nobody forgets the promotion (`npm run flags -- promote`).", "");
    for (const drift of diff.drift) lines.push(`- ${code(drift.ref)} (in ${drift.environments.join(", ")})`, ...drift.effects.map((e) => `  - ${e}`));
  }
  return `${lines.join("\n")}\n`;
}

// ---- the memory guard -----------------------------------------------------------------------

const MEMORY_HEADING = "Memory after syncs (flag-count guard)";

/** The guard's lines: a finding per stack past WARNING_SHARE (severity, stack file, message), else one line for all. */
function memoryLines(memory: MemoryGuard): { severity: "error" | "warning" | "ok"; file?: string; text: string }[] {
  if (memory.kind === "none") return [];
  if (memory.kind === "unavailable") return [{ severity: "warning", file: memory.file, text: `no flag-count memory guard: ${memory.reason}` }];
  const findings = memory.verdicts.filter((v) => v.severity !== "ok");
  if (findings.length === 0) {
    const within = memory.verdicts.map(verdictSummary).join("; ");
    const model = `${modelEquation(memory.model)}, least squares over ${modelCitation(memory.model)}`;
    return [{ severity: "ok", text: `every stack stays within ${WARNING_SHARE * 100} % of its memoryLimit: ${within}; model: ${model}` }];
  }
  return findings.map((v) => ({ severity: v.severity, file: path.relative(memory.repository, v.stack.file), text: verdictMessage(v, memory.model) }));
}

function memoryText(memory: MemoryGuard): string[] {
  const lines = memoryLines(memory);
  if (lines.length === 0) return [];
  return ["", `${MEMORY_HEADING}:`, ...lines.map((l) => `  ${l.severity === "ok" ? "" : `${l.severity}: `}${l.file === undefined ? "" : `${l.file}: `}${l.text}`)];
}

function memoryMarkdown(memory: MemoryGuard): string {
  const lines = memoryLines(memory);
  if (lines.length === 0) return "";
  const items = lines.map((l) => (l.severity === "ok" ? `${l.text[0].toUpperCase()}${l.text.slice(1)}.` : `- **${l.severity}**${l.file === undefined ? "" : ` (${code(l.file)})`}: ${l.text}`));
  return ["", `### ${MEMORY_HEADING}`, "", ...items, ""].join("\n");
}

function memoryJson(memory: MemoryGuard) {
  if (memory.kind === "none") return {};
  if (memory.kind === "unavailable") return { memory: { unavailable: memory.reason, file: memory.file } };
  const { model } = memory;
  return {
    memory: {
      model: {
        intercept_mib: model.interceptMiB,
        mib_per_flag: model.mibPerFlag,
        source: model.source,
        rows: model.rows.map((r) => ({ flags: r.flags, rss_after_syncs_mib: r.rssAfterSyncsMiB, predicted_mib: r.predictedMiB, residual_mib: r.residualMiB })),
      },
      stacks: memory.verdicts.map((v) => ({
        stack: v.stack.stack,
        environment: v.stack.environment,
        flags: v.flags,
        predicted_mib: v.predictedMiB,
        memory_limit: v.stack.memoryLimit,
        share: v.share,
        severity: v.severity,
        ...(v.severity === "ok" ? {} : { message: verdictMessage(v, model) }),
      })),
    },
  };
}

/** Why `flags diff` did not compare: the files of either side that do not parse or lint. */
export interface Uncomparable {
  readonly base: string;
  readonly head: string;
  /** `file:line[:col]: message`, one per problem. */
  readonly problems: readonly string[];
}

/**
 * The report of a diff that was refused. The markdown is still the pull request's comment (same
 * marker), so reviewers read "cannot be compared" and the file, never flags listed as removed.
 */
export function formatUncomparable(refused: Uncomparable, format: DiffFormat): string {
  const reason = `cannot be compared: ${refused.problems.length === 1 ? "a flag file does not" : `${refused.problems.length} problems in flag files do not`} pass \`npm run flags -- lint\``;
  switch (format) {
    case "json":
      return JSON.stringify({ base: refused.base, head: refused.head, comparable: false, problems: refused.problems }, null, 2);
    case "markdown":
      return [
        DIFF_COMMENT_MARKER,
        "## Feature flag changes",
        "",
        `${code(refused.base)} → ${code(refused.head)} ${reason}; fix these first:`,
        "",
        ...refused.problems.map((problem) => `- ${code(problem)}`),
        "",
      ].join("\n");
    case "text":
      return [`Flag changes: ${refused.base} → ${refused.head} ${reason}:`, ...refused.problems.map((problem) => `  ${problem}`)].join("\n");
  }
}
