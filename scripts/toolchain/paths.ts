// Toolchain paths for TypeScript callers (local runner, e2e tests, benchmarks).
// The versions and the cache layout are defined once, in versions.env and
// paths.sh; this module reads them by sourcing paths.sh rather than repeating them.
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export interface ToolchainPaths {
  /** Cache of built tools: $FLIPT_DEPLOY_CACHE, else $XDG_CACHE_HOME/flipt-deploy, else ~/.cache/flipt-deploy. */
  readonly cacheDir: string;
  readonly fliptVersion: string;
  readonly fliptBin: string;
  /** Present when setup could not build Flipt here: the reason, then a blank line and details. */
  readonly fliptUnavailableFile: string;
  readonly actionlintVersion: string;
  readonly actionlintBin: string;
  readonly vegetaVersion: string;
  /** vegeta, the constant-rate HTTP load generator, built from its Go module. */
  readonly vegetaBin: string;
  readonly ghzVersion: string;
  /** ghz, the constant-rate gRPC load generator, built from its Go module. */
  readonly ghzBin: string;
  /** Directory holding postgres, initdb, pg_ctl…; empty until a PostgreSQL server is installed. */
  readonly pgBinDir: string;
  readonly prometheusBin: string;
  readonly promtoolBin: string;
  readonly wrkBin: string;
  readonly gitBin: string;
  readonly kubernetesValidateVersion: string;
  /** kubernetes-validate from PyPI, in the virtualenv setup.sh makes under cacheDir/pytools. */
  readonly kubernetesValidateBin: string;
  readonly checkovVersion: string;
  /** checkov from PyPI, in the same virtualenv. */
  readonly checkovBin: string;
  // The engine tier's tools (`setup.sh --engine`, scripts/toolchain/engine.sh).
  readonly kubernetesVersion: string;
  readonly etcdBin: string;
  readonly kubeApiserverBin: string;
  readonly kubeControllerManagerBin: string;
  readonly kubeSchedulerBin: string;
  readonly kwokBin: string;
  readonly pulumiVersion: string;
  readonly pulumiBin: string;
  /** @pulumi/kubernetes's version, which the provider plugin is built and installed as. */
  readonly pulumiKubernetesVersion: string;
  readonly pulumiKubernetesBin: string;
  /** The Prometheus Operator's ServiceMonitor and PrometheusRule CRDs (YAML files). */
  readonly prometheusOperatorCrdDir: string;
}

export const TOOLCHAIN_DIR: string = __dirname;
export const SETUP_SCRIPT: string = path.join(TOOLCHAIN_DIR, "setup.sh");
export const PATHS_SCRIPT: string = path.join(TOOLCHAIN_DIR, "paths.sh");

/** The variable paths.sh defines for each field. */
const SHELL_VARIABLES: { readonly [K in keyof ToolchainPaths]: string } = {
  cacheDir: "TOOLCHAIN_CACHE_DIR",
  fliptVersion: "FLIPT_VERSION",
  fliptBin: "FLIPT_BIN",
  fliptUnavailableFile: "FLIPT_UNAVAILABLE_FILE",
  actionlintVersion: "ACTIONLINT_VERSION",
  actionlintBin: "ACTIONLINT_BIN",
  vegetaVersion: "VEGETA_VERSION",
  vegetaBin: "VEGETA_BIN",
  ghzVersion: "GHZ_VERSION",
  ghzBin: "GHZ_BIN",
  pgBinDir: "PG_BINDIR",
  prometheusBin: "PROMETHEUS_BIN",
  promtoolBin: "PROMTOOL_BIN",
  wrkBin: "WRK_BIN",
  gitBin: "GIT_BIN",
  kubernetesValidateVersion: "KUBERNETES_VALIDATE_VERSION",
  kubernetesValidateBin: "KUBERNETES_VALIDATE_BIN",
  checkovVersion: "CHECKOV_VERSION",
  checkovBin: "CHECKOV_BIN",
  kubernetesVersion: "KUBERNETES_VERSION",
  etcdBin: "ETCD_BIN",
  kubeApiserverBin: "KUBE_APISERVER_BIN",
  kubeControllerManagerBin: "KUBE_CONTROLLER_MANAGER_BIN",
  kubeSchedulerBin: "KUBE_SCHEDULER_BIN",
  kwokBin: "KWOK_BIN",
  pulumiVersion: "PULUMI_VERSION",
  pulumiBin: "PULUMI_BIN",
  pulumiKubernetesVersion: "PULUMI_KUBERNETES_VERSION",
  pulumiKubernetesBin: "PULUMI_KUBERNETES_BIN",
  prometheusOperatorCrdDir: "PROMETHEUS_OPERATOR_CRD_DIR",
};

/** Where the tools are (or will be, once setup has run). Does not install anything. */
export function toolchainPaths(env: NodeJS.ProcessEnv = process.env): ToolchainPaths {
  const fields = Object.keys(SHELL_VARIABLES) as (keyof ToolchainPaths)[];
  const printed = fields.map((field) => `"$${SHELL_VARIABLES[field]}"`).join(" ");
  const output = execFileSync("bash", ["-c", `source "$1" && printf '%s\\0' ${printed}`, "bash", PATHS_SCRIPT], {
    encoding: "utf8",
    env,
  });
  const values = output.split("\0");
  return Object.fromEntries(fields.map((field, i) => [field, values[i]])) as unknown as ToolchainPaths;
}

/**
 * Installs and builds whatever is missing (scripts/toolchain/setup.sh; seconds when
 * warm, about five minutes for a cold Flipt build, about sixteen more for the engine tier's
 * tools with `engine`) and returns the paths. The script's output goes to this process's
 * stderr so that stdout stays the caller's: on a warm cache one line (`--brief`, `toolchain:
 * every tool ready in 1s (19 tools, Flipt unavailable: …)`), each tool's line and the build's
 * progress only when something is built or missing.
 */
export function ensureToolchain(env: NodeJS.ProcessEnv = process.env, options: { engine?: boolean } = {}): ToolchainPaths {
  const args = [SETUP_SCRIPT, ...(options.engine ? ["--engine"] : []), "--brief"];
  const result = spawnSync("bash", args, { stdio: ["ignore", 2, 2], env });
  if (result.error) throw new Error(`cannot run ${SETUP_SCRIPT}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`${SETUP_SCRIPT} failed (exit ${result.status ?? result.signal}); its output is above`);
  }
  return toolchainPaths(env);
}

/**
 * Why the Flipt server cannot run here (setup could not build it and FLIPT_BIN names no binary),
 * or undefined when it can: the first paragraph of setup's record, in one line. Tests that need
 * Flipt are skipped with this reason.
 */
export function fliptUnavailableReason(paths: ToolchainPaths): string | undefined {
  if (fs.existsSync(paths.fliptBin)) return undefined;
  if (fs.existsSync(paths.fliptUnavailableFile)) {
    return fs.readFileSync(paths.fliptUnavailableFile, "utf8").trim().split(/\n\s*\n/)[0].replace(/\s+/g, " ");
  }
  return `no Flipt binary at ${paths.fliptBin}; run scripts/toolchain/setup.sh`;
}
