/**
 * The engine tier's shared state: one control plane with the cluster's existing world, one Pulumi
 * engine, and the stacks' settings as render computes them (the expected side of every check).
 */
import { randomBytes } from "node:crypto";
import * as yaml from "js-yaml";
import { RenderedFile, renderSettings } from "../../scripts/lib/renderedStack";
import { Supervisor } from "../../scripts/lib/processes";
import { toolchainPaths, ToolchainPaths } from "../../scripts/toolchain/paths";
import { readStack, type StackConfig } from "../../settings/stackFiles";
import { Settings } from "../../settings/types";
import { KubeObject, LocalWorld, startLocalWorld } from "../../scripts/lib/localWorld";

/** The engine has no PostgreSQL or Grafana provider here: every stack runs in sqlite mode (README). */
export const ENGINE_OVERRIDES = { databaseMode: "sqlite" } as const;

export interface EngineStack {
  readonly name: string;
  readonly config: StackConfig;
  readonly settings: Settings;
  /** What `npm run render` writes for this stack, parsed. */
  readonly rendered: readonly KubeObject[];
  readonly secrets: Record<string, string>;
}

/** Test values for the stack file's `secure:` keys: real secrets, unknown to the repository. */
export function testSecrets(): Record<string, string> {
  return {
    gitCredential: `test-git-token-${randomBytes(12).toString("hex")}`,
    postgresAdminPassword: "",
    grafanaToken: "",
  };
}

/**
 * A stack made as the README says: `pulumi stack init <name> --copy-config-from <from>` (a review
 * stack's `from` is dev; by default a stack's own file), the sqlite override, then `overrides`.
 */
export function engineStackConfig(name: string, overrides: Record<string, unknown> = {}, from = name, secrets = testSecrets()) {
  const input = readStack(from, { name, values: { ...ENGINE_OVERRIDES, ...overrides } });
  return { name, input, secrets, config: input.engineConfig(secrets) };
}

/** engineStackConfig, plus the settings and rendered objects the program should produce from it. */
export function engineStack(name: string, overrides: Record<string, unknown> = {}, from = name, secrets = testSecrets()): EngineStack {
  const { input, config } = engineStackConfig(name, overrides, from, secrets);
  return { name, config, settings: input.settings, rendered: renderedObjects(renderSettings(input.settings)), secrets };
}

export function renderedObjects(files: readonly RenderedFile[]): KubeObject[] {
  return files.filter((f) => f.file.endsWith(".yaml")).map((f) => yaml.load(f.content) as KubeObject);
}

export interface EngineWorld extends LocalWorld {
  readonly supervisor: Supervisor;
  readonly paths: ToolchainPaths;
}

/** Starts everything; the caller stops it with `supervisor.stopAll()` (afterAll), also when a test failed. */
export async function startEngineWorld(stacks: readonly EngineStack[], options: { postgresAdmin?: string } = {}): Promise<EngineWorld> {
  const supervisor = new Supervisor();
  try {
    const paths = toolchainPaths();
    const world = await startLocalWorld({ supervisor, paths, stacks: stacks.map((s) => s.settings), postgresAdmin: options.postgresAdmin });
    return { ...world, supervisor, paths };
  } catch (error) {
    await supervisor.stopAll();
    throw error;
  }
}
