import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { FolderFile } from "../scripts/flags/folder";
import { describeValue } from "../scripts/flags/flagEdit";
import { RELAY, RELAY_METRICS, type HeldBackCommit, type OverrideStatus, type RelayArguments, type RelayStatus } from "../builders/flagsRelayContract";
import { commitProblems, flagsLayout, folderProblems, stackFolder, withStackFolder, type FlagsLayout } from "./checks";
import type { RelayKubernetes } from "./kubernetes";
import { goDurationSeconds } from "../settings/validators";
import { RelayMetrics } from "./metrics";
import { applyOverride, decideOverride, parseOverride, type Override, type OverrideMemory } from "./overrides";
import { RelayRepositories } from "./repository";

/** What the relay keeps on its volume across restarts, beside the repositories. */
interface RelayState {
  goodUpstream?: string;
  /** The upstream head last checked, good or not: it is not checked again. */
  checkedUpstream?: string;
  heldBack?: HeldBackCommit;
  lastFetchSuccess?: string;
  /** sha256 of what the served head holds. */
  servedDigest?: string;
  overrides: Record<string, OverrideMemory>;
  /** The override objects last read from the API server: a restart while it cannot be asked keeps serving them. */
  knownOverrides?: Override[];
}

export type Log = (level: "info" | "warn" | "error", message: string, fields?: Record<string, unknown>) => void;

/** A JSON line per event on stdout, as Flipt logs. */
export const jsonLog: Log = (level, message, fields = {}) => {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields })}\n`);
};

function digest(files: readonly FolderFile[]): string {
  const hash = createHash("sha256");
  for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) hash.update(`${file.path}\0${file.text}\0`);
  return hash.digest("hex");
}

/** --poll-interval in milliseconds: a Go duration, read as the settings read flagsRelayPollInterval. */
export function parseDuration(text: string): number {
  const seconds = goDurationSeconds(text);
  if (seconds === undefined) throw new Error(`--poll-interval ${JSON.stringify(text)}: expected a duration such as 5s, 1m or 1m30s`);
  return seconds * 1000;
}

/**
 * The relay's loop: every poll interval it fetches upstream and checks a new head; every
 * RELAY.overrideCheckSeconds it reads the override objects; whenever what should be served
 * differs from the served head, it writes a commit. Upstream down, or the API server down, never
 * changes what is served: the last good commit and the last known overrides stay.
 */
export class Relay {
  readonly metrics = new RelayMetrics();
  readonly repositories: RelayRepositories;
  private readonly layout: FlagsLayout;
  private readonly stateFile: string;
  private state: RelayState;
  private overrides: Override[] = [];
  private statuses: OverrideStatus[] = [];
  private upstreamReachable = false;
  private upstreamHead: string | undefined;
  private lastStatusJson = "";
  private stopped = false;
  /** The served branch's head (undefined before the first served commit). */
  private servedHead: string | undefined;
  private fetchFailedBefore = false;
  private apiFailing = false;
  private goodFiles: { commit: string; files: FolderFile[] } | undefined;
  private wake: (() => void) | undefined;

  constructor(
    readonly args: RelayArguments,
    private readonly kubernetes: RelayKubernetes | undefined,
    private readonly log: Log = jsonLog,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.repositories = new RelayRepositories(args.dataDir, args.repositoryName, args.ref);
    this.layout = flagsLayout(args.directory);
    this.stateFile = path.join(args.dataDir, "state.json");
    this.state = fs.existsSync(this.stateFile) ? (JSON.parse(fs.readFileSync(this.stateFile, "utf8")) as RelayState) : { overrides: {} };
    this.overrides = this.state.knownOverrides ?? [];
    // What the volume says until the first poll: a held-back head stays alerted across a restart.
    this.metrics.set(RELAY_METRICS.heldBack, this.state.heldBack ? 1 : 0);
    this.metrics.set(RELAY_METRICS.upstreamUp, 0);
    // 0 before any successful fetch, so "no fetch for 10 minutes" also fires for a relay that never reached upstream.
    this.metrics.set(RELAY_METRICS.upstreamLastSuccess, this.state.lastFetchSuccess ? Math.floor(Date.parse(this.state.lastFetchSuccess) / 1000) : 0);
  }

  /** True once there is a served commit (from upstream, or on the volume from before a restart). */
  ready(): boolean {
    return this.servedHead !== undefined;
  }

  async run(): Promise<void> {
    await this.repositories.init();
    // Read from the volume once; from then on the relay is the only writer of the served branch.
    this.servedHead = await this.repositories.servedHead();
    if (this.servedHead) {
      this.log("info", "serving the commit on the volume until upstream answers", { served: this.servedHead });
      this.metrics.set(RELAY_METRICS.servedTimestamp, (await this.repositories.servedTime()) ?? 0);
    }
    const pollMs = parseDuration(this.args.pollInterval);
    let nextFetch = 0;
    while (!this.stopped) {
      const started = Date.now();
      const fetched = started >= nextFetch;
      try {
        if (fetched) {
          nextFetch = started + pollMs;
          await this.fetchUpstream();
        }
        await this.readOverrides();
        await this.serve();
        await this.publishStatus();
      } catch (error) {
        // A failed step (a full volume, a git error) is logged and tried again; what is served stays.
        this.log("error", "poll failed; serving what was served", { error: (error as Error).message });
      }
      if (fetched) this.metrics.observePoll((Date.now() - started) / 1000);
      await this.sleep(Math.min(RELAY.overrideCheckSeconds * 1000, Math.max(0, nextFetch - Date.now())));
    }
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async fetchUpstream(): Promise<void> {
    const result = await this.repositories.fetch(this.args.upstream, this.env);
    if ("error" in result) {
      // Logged when it starts failing, not at every poll of an outage.
      if (this.upstreamReachable || !this.fetchFailedBefore) this.log("warn", "upstream fetch failed; serving the last good commit", { error: result.error, serving: this.state.goodUpstream });
      this.fetchFailedBefore = true;
      this.upstreamReachable = false;
      this.metrics.add(RELAY_METRICS.fetches, 1, { result: "error" });
      this.metrics.set(RELAY_METRICS.upstreamUp, 0);
      return;
    }
    if (!this.upstreamReachable) this.log("info", "upstream fetched", { commit: result.commit });
    this.upstreamReachable = true;
    this.upstreamHead = result.commit;
    this.state.lastFetchSuccess = new Date().toISOString();
    this.metrics.add(RELAY_METRICS.fetches, 1, { result: "ok" });
    this.metrics.set(RELAY_METRICS.upstreamUp, 1);
    this.metrics.set(RELAY_METRICS.upstreamLastSuccess, Math.floor(Date.now() / 1000));
    if (result.commit !== this.state.checkedUpstream) await this.check(result.commit);
  }

  /** Checks a new upstream head as `flags lint` would; a failing one is held back, the last good stays. */
  private async check(commit: string): Promise<void> {
    const files = await this.repositories.filesAt(commit, this.layout.root);
    const problems = commitProblems(this.layout, files, new Date().toISOString().slice(0, 10));
    this.state.checkedUpstream = commit;
    if (problems.length === 0) {
      if (this.state.heldBack) this.log("info", "upstream passes the checks again", { commit });
      this.state.goodUpstream = commit;
      this.state.heldBack = undefined;
      this.metrics.set(RELAY_METRICS.heldBack, 0);
    } else {
      this.state.heldBack = { commit, at: new Date().toISOString(), problems };
      this.metrics.set(RELAY_METRICS.heldBack, 1);
      this.metrics.add(RELAY_METRICS.heldBackTotal);
      this.log("error", "upstream commit held back: its flags fail the checks; serving the last good commit", { commit, problems, serving: this.state.goodUpstream });
    }
    this.saveState();
  }

  private async readOverrides(): Promise<void> {
    if (!this.kubernetes) return;
    try {
      const objects = await this.kubernetes.overrides();
      const parsed = objects.map(parseOverride);
      for (const bad of parsed.filter((p): p is { name: string; problem: string } => "problem" in p)) {
        this.log("warn", "override object ignored", { name: bad.name, problem: bad.problem });
      }
      const next = parsed.filter((p): p is Override => !("problem" in p)).sort((a, b) => (a.requestedAt < b.requestedAt ? -1 : 1));
      for (const gone of this.overrides.filter((o) => !next.some((n) => n.uid === o.uid))) {
        this.log("info", "override cleared", { flag: gone.flag, name: gone.name });
        delete this.state.overrides[gone.uid];
      }
      const changed = JSON.stringify(next) !== JSON.stringify(this.overrides);
      this.overrides = next;
      if (changed) {
        this.state.knownOverrides = next;
        this.saveState();
      }
      if (this.apiFailing) this.log("info", "override objects readable again", { overrides: next.length });
      this.apiFailing = false;
    } catch (error) {
      // The API server down is not the end of an override: keep the last list (logged when it starts failing, not every 2 s).
      if (!this.apiFailing) this.log("warn", "cannot read the override objects; keeping the last known ones", { error: (error as Error).message, overrides: this.overrides.length });
      this.apiFailing = true;
    }
  }

  /** Writes a commit when upstream's last good commit with the overrides differs from the served head. */
  private async serve(): Promise<void> {
    const good = this.state.goodUpstream;
    if (!good) return;
    if (this.goodFiles?.commit !== good) this.goodFiles = { commit: good, files: await this.repositories.filesAt(good, this.layout.root) };
    const rootFiles = this.goodFiles.files;
    const upstreamFolder = stackFolder(this.layout, rootFiles);
    const today = new Date().toISOString().slice(0, 10);
    let folder = upstreamFolder;
    const statuses: OverrideStatus[] = [];
    const applied: string[] = [];
    for (const override of this.overrides) {
      const decision = decideOverride(override, upstreamFolder, this.state.overrides[override.uid], new Date().toISOString());
      this.state.overrides[override.uid] = decision.memory;
      let { state, message } = decision;
      if (state === "applied" || state === "conflict") {
        const next = applyOverride(folder, override);
        const problems = "problem" in next ? [next.problem] : folderProblems(this.layout, next, today);
        if (problems.length > 0) {
          state = "rejected";
          message = `not applied: ${problems.join("; ")}`;
        } else {
          folder = next as FolderFile[];
          applied.push(`${override.flag} ${describeValue(override.value)} by ${override.requestedBy}: ${override.reason}`);
        }
      }
      const previous = this.statuses.find((s) => s.uid === override.uid);
      if (previous?.state !== state) this.log(state === "conflict" || state === "rejected" ? "warn" : "info", `override ${state}`, { flag: override.flag, name: override.name, message });
      statuses.push({ name: override.name, uid: override.uid, flag: override.flag, value: override.value, state, since: decision.memory.since, message });
    }
    this.statuses = statuses;
    this.updateOverrideMetrics();
    const served = withStackFolder(this.layout, rootFiles, folder);
    const servedDigest = digest(served);
    if (servedDigest === this.state.servedDigest && this.servedHead) return;
    const message = [`flags relay: upstream ${good.slice(0, 12)}${applied.length > 0 ? ` with ${applied.length} override(s)` : ""}`, "", ...applied.map((a) => `override: ${a}`), `upstream: ${good}`].join("\n");
    const { commit, time } = await this.repositories.serve(this.layout.root, served, `${message}\n`, `flags-relay <flags-relay@${this.args.namespace}>`);
    this.servedHead = commit;
    this.state.servedDigest = servedDigest;
    this.saveState();
    this.metrics.add(RELAY_METRICS.servedCommits, 1, { cause: applied.length > 0 ? "override" : "upstream" });
    this.metrics.set(RELAY_METRICS.servedTimestamp, time);
    this.log("info", "served", { commit, upstream: good, overrides: applied });
  }

  private updateOverrideMetrics(): void {
    const byState = ["applied", "conflict", "rejected"].map((state) => ({ labels: { state }, value: this.statuses.filter((s) => s.state === state).length }));
    this.metrics.replace(RELAY_METRICS.overrides, byState);
    this.metrics.replace(
      RELAY_METRICS.overrideStarted,
      this.statuses.filter((s) => s.state === "applied" || s.state === "conflict").map((s) => ({ labels: { flag: s.flag, state: s.state }, value: Math.floor(Date.parse(s.since) / 1000) })),
    );
  }

  status(): RelayStatus {
    return {
      servedCommit: this.servedHead,
      goodUpstreamCommit: this.state.goodUpstream,
      upstreamCommit: this.upstreamHead,
      lastFetchSuccess: this.state.lastFetchSuccess,
      upstreamReachable: this.upstreamReachable,
      heldBack: this.state.heldBack,
      overrides: this.statuses,
      updatedAt: new Date().toISOString(),
    };
  }

  private async publishStatus(): Promise<void> {
    const status = this.status();
    const { updatedAt: _ignored, ...comparable } = status;
    const text = JSON.stringify(comparable);
    if (!this.kubernetes || text === this.lastStatusJson) return;
    try {
      await this.kubernetes.writeStatus(status);
      this.lastStatusJson = text;
    } catch (error) {
      this.log("warn", "cannot write the status ConfigMap", { error: (error as Error).message });
    }
  }

  private saveState(): void {
    const temporary = `${this.stateFile}.tmp`;
    fs.writeFileSync(temporary, JSON.stringify(this.state, null, 2));
    fs.renameSync(temporary, this.stateFile);
  }
}
