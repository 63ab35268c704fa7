// Global setup of the engine tier: the toolchain with the engine's tools once, and the summary table at the end.
import * as fs from "node:fs";
import * as path from "node:path";
import type { TestProject } from "vitest/node";
import { ensureToolchain, fliptUnavailableReason, ToolchainPaths } from "../../scripts/toolchain/paths";
import { provideSummary } from "../e2e/harness/summary";

/** How long each engine tool took to build when it was built (setup.sh records it beside the binary). */
function coldBuildTimes(paths: ToolchainPaths): string {
  const tools: [string, string][] = [
    ["etcd", paths.etcdBin],
    ["kube-apiserver+controller-manager+scheduler", paths.kubeApiserverBin],
    ["kwok", paths.kwokBin],
    ["pulumi", paths.pulumiBin],
    ["pulumi-resource-kubernetes", paths.pulumiKubernetesBin],
  ];
  return tools
    .map(([name, bin]) => {
      const file = path.join(path.dirname(bin), "build-seconds");
      return `${name} ${fs.existsSync(file) ? `${fs.readFileSync(file, "utf8").trim()}s` : "not built here"}`;
    })
    .join(", ");
}

export default function setup(project: TestProject): () => void {
  const started = Date.now();
  const paths = ensureToolchain(process.env, { engine: true });
  const footer = [
    `Toolchain: setup took ${((Date.now() - started) / 1000).toFixed(1)}s this run; first builds took ${coldBuildTimes(paths)}.`,
  ];
  const unavailable = fliptUnavailableReason(paths);
  if (unavailable) footer.push(`Not run: scenario 9 needs a Flipt binary: ${unavailable}`);
  return provideSummary(project, "Engine tier summary", footer.join("\n"));
}
