import { RELAY_METRICS } from "../builders/flagsRelayContract";

type Labels = Record<string, string>;

const HELP: Record<string, [type: "gauge" | "counter" | "histogram", help: string]> = {
  [RELAY_METRICS.upstreamLastSuccess]: ["gauge", "Unix time of the last successful fetch of upstream's branch."],
  [RELAY_METRICS.upstreamUp]: ["gauge", "1 when the last fetch of upstream succeeded, 0 when it failed."],
  [RELAY_METRICS.fetches]: ["counter", "Fetches of upstream, by result."],
  [RELAY_METRICS.heldBack]: ["gauge", "1 while upstream's head fails the flags checks and is held back."],
  [RELAY_METRICS.heldBackTotal]: ["counter", "Upstream commits held back since the relay started."],
  [RELAY_METRICS.overrides]: ["gauge", "Overrides the relay knows of, by state (merged ones have ended and are not counted)."],
  [RELAY_METRICS.overrideStarted]: ["gauge", "Unix time an applied or conflicting override began, by flag."],
  [RELAY_METRICS.servedCommits]: ["counter", "Commits written to the branch Flipt follows, by cause."],
  [RELAY_METRICS.servedTimestamp]: ["gauge", "Unix time of the served head's commit."],
  [RELAY_METRICS.pollSeconds]: ["histogram", "Seconds one poll took: fetch, checks, overrides and write."],
};

const BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

function labelText(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return "";
  return `{${entries.map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`).join(",")}}`;
}

/** The relay's metrics, kept in memory and written in Prometheus' text format. */
export class RelayMetrics {
  private readonly values = new Map<string, Map<string, { labels: Labels; value: number }>>();
  private readonly histogram = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 };

  set(name: string, value: number, labels: Labels = {}): void {
    this.series(name).set(labelText(labels), { labels, value });
  }

  add(name: string, by = 1, labels: Labels = {}): void {
    const series = this.series(name);
    const key = labelText(labels);
    series.set(key, { labels, value: (series.get(key)?.value ?? 0) + by });
  }

  /** Replaces every series of a gauge (the per-flag and per-state ones). */
  replace(name: string, series: readonly { labels: Labels; value: number }[]): void {
    this.values.set(name, new Map(series.map((s) => [labelText(s.labels), s])));
  }

  observePoll(seconds: number): void {
    BUCKETS.forEach((bound, i) => {
      if (seconds <= bound) this.histogram.counts[i]++;
    });
    this.histogram.sum += seconds;
    this.histogram.count++;
  }

  exposition(): string {
    const lines: string[] = [];
    for (const [name, [type, help]] of Object.entries(HELP)) {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      if (type === "histogram") {
        BUCKETS.forEach((bound, i) => lines.push(`${name}_bucket{le="${bound}"} ${this.histogram.counts[i]}`));
        lines.push(`${name}_bucket{le="+Inf"} ${this.histogram.count}`, `${name}_sum ${this.histogram.sum}`, `${name}_count ${this.histogram.count}`);
        continue;
      }
      for (const [labels, { value }] of this.values.get(name) ?? []) lines.push(`${name}${labels} ${value}`);
    }
    return `${lines.join("\n")}\n`;
  }

  private series(name: string) {
    let series = this.values.get(name);
    if (!series) this.values.set(name, (series = new Map()));
    return series;
  }
}
