/**
 * What a run left behind: processes of the kinds the local world starts, and temp dirs of the
 * prefixes its Supervisor makes, that did not exist before (snapshot, then compare).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import { liveProcesses } from "../../scripts/lib/processes";

/** The programs the local world and deploy:local run. */
const WORLD_PROCESS = /etcd|kube-apiserver|kube-controller|kube-scheduler|kwok|pulumi|postgres|flipt|deployLocal|operation\.ts|http-backend/;
/** The prefixes of the temp dirs they make. */
const WORLD_TEMP_DIR = /^(flipt-|postgres-)/;

export interface Snapshot {
  readonly pids: ReadonlySet<number>;
  readonly dirs: ReadonlySet<string>;
}

function livePids(): number[] {
  return liveProcesses().map((p) => p.pid);
}

function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
  } catch {
    return "";
  }
}

export function snapshot(): Snapshot {
  return { pids: new Set(livePids()), dirs: new Set(fs.readdirSync(os.tmpdir())) };
}

/** Processes of the world's kinds started since `before` and still alive, as "pid command line". */
export function newWorldProcesses(before: Snapshot): string[] {
  return livePids()
    .filter((pid) => !before.pids.has(pid) && pid !== process.pid)
    .map((pid) => `${pid} ${commandLine(pid)}`)
    .filter((line) => WORLD_PROCESS.test(line));
}

/** Temp dirs of the world's prefixes made since `before` and still there. */
export function newWorldTempDirs(before: Snapshot): string[] {
  return fs.readdirSync(os.tmpdir()).filter((name) => !before.dirs.has(name) && WORLD_TEMP_DIR.test(name));
}
