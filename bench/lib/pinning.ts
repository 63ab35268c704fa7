/**
 * CPU pinning on a two-core host: Flipt on one core (so every figure is per core, as under a one-CPU
 * pod limit), the load generators, the loopback Git server and this process on the other. The
 * latency, transport and scale sections pin; the others share both cores.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Supervisor } from "../../scripts/lib/processes";
import { ToolchainPaths } from "../../scripts/toolchain/paths";
import type { PinnedCores } from "./cpuShare";

export interface CpuPinning {
  /** taskset CPU list Flipt runs on: one core, so every figure is per core. */
  readonly flipt: string;
  /** vegeta, this harness and the loopback Git server. */
  readonly generator: string;
}

/** The pinning as core numbers, for reading each core's share of /proc/stat. */
export function pinnedCores(pinning: CpuPinning): PinnedCores {
  return { flipt: Number(pinning.flipt), generator: Number(pinning.generator) };
}

/** The CPUs a process may run on, as the kernel lists them. */
export function cpusAllowed(pid: number | "self"): string {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /^Cpus_allowed_list:\s*(\S+)/m.exec(status);
  if (!match) throw new Error(`/proc/${pid}/status has no Cpus_allowed_list line`);
  return match[1];
}

/** Moves every thread of a running process onto `cpus`. */
export function pinProcess(pid: number, cpus: string): void {
  execFileSync("taskset", ["-a", "-p", "-c", cpus, String(pid)], { stdio: "ignore" });
}

/**
 * Runs `fn` with this process on `cpus`, and so what it starts meanwhile (the Git server, the load
 * generators), then moves it back to the CPUs it had.
 */
export async function onCpus<T>(cpus: string, fn: () => Promise<T>): Promise<T> {
  const own = cpusAllowed("self");
  pinProcess(process.pid, cpus);
  try {
    return await fn();
  } finally {
    pinProcess(process.pid, own);
  }
}

/** Variables set in, or (undefined) removed from, Flipt's environment whatever the rendered Deployment gives it. */
export type EnvironmentOverrides = Readonly<Record<string, string | undefined>>;

/**
 * A Flipt command that starts on `cpus` only: Go sizes GOMAXPROCS from the CPUs it may use at
 * start-up, as it does from a pod's CPU limit, so pinning before exec (not after) matters. With
 * `environment`, the command also sets and unsets those variables (`env -u NAME NAME=value`), after
 * the rendered container's environment is applied: GOMEMLIMIT and GOGC are what an experiment says.
 */
export function pinnedFliptTools(supervisor: Supervisor, tools: ToolchainPaths, cpus: string, environment: EnvironmentOverrides = {}): ToolchainPaths {
  const dir = supervisor.tempDir("flipt-pinned");
  const wrapper = path.join(dir, "flipt");
  fs.writeFileSync(wrapper, `#!/bin/sh\nexec ${envPrefix(environment)}taskset -c ${shellQuote(cpus)} ${shellQuote(tools.fliptBin)} "$@"\n`, { mode: 0o755 });
  return { ...tools, fliptBin: wrapper };
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `env -u A B='1' ` for the overrides, or nothing without any. */
export function envPrefix(environment: EnvironmentOverrides): string {
  const entries = Object.entries(environment);
  if (entries.length === 0) return "";
  for (const [name] of entries) if (!/^[A-Z_][A-Z0-9_]*$/.test(name)) throw new Error(`environment variable name ${JSON.stringify(name)}: expected capitals, digits and _`);
  const unset = entries.filter(([, v]) => v === undefined).map(([name]) => `-u ${name}`);
  const set = entries.filter(([, v]) => v !== undefined).map(([name, v]) => `${name}=${shellQuote(v!)}`);
  return `env ${[...unset, ...set].join(" ")} `;
}
