import * as fs from "fs";
import * as path from "path";
import { ConfigInput, isReviewStack } from "./parse";
import { projectDir, readProjectFile } from "./schema";
import { UserError } from "./userError";
import { readYamlFile } from "./yamlFile";

/** How `secure:` values are stood in for when a stack file is read without the Pulumi CLI. */
export type SecretStandIn = (key: string) => string;

/** Render's stand-in: visible in the output, obviously not a real secret. */
export const placeholderSecret: SecretStandIn = (key) => `<secret:${key}>`;

/** A stack file's encrypted value: `key: {secure: <ciphertext>}`. */
export function isSecureValue(value: unknown): boolean {
  return value !== null && typeof value === "object" && "secure" in value;
}

/** The stack whose file a review stack (`pr-<n>`) is made from, as the review workflow does. */
export const REVIEW_STACK_BASE = "dev";

/** The stack file a stack reads: its own, or dev's for a review stack that has none yet. */
export function stackFileFor(stack: string, dir: string = projectDir): string {
  const own = path.join(dir, `Pulumi.${stack}.yaml`);
  if (fs.existsSync(own) || !isReviewStack(stack)) return own;
  return path.join(dir, `Pulumi.${REVIEW_STACK_BASE}.yaml`);
}

/**
 * Reads Pulumi.yaml and a stack's Pulumi.<stack>.yaml the way the Pulumi CLI hands them to the
 * program (declared defaults apply; `secure:` values are secret), for render and tests, which
 * run without the CLI. Encrypted values cannot be decrypted here: `secretStandIn` provides them.
 */
export function readStackConfig(stack: string, secretStandIn: SecretStandIn, dir: string = projectDir): ConfigInput {
  const project = readProjectFile(dir);
  const file = stackFileFor(stack, dir);
  if (!fs.existsSync(file)) {
    throw new UserError(`no stack file ${path.basename(file)}; expected one of ${listStacks(dir).join(", ")} or pr-<number>`);
  }
  const doc = (readYamlFile(file) ?? {}) as { config?: Record<string, unknown> };
  const values: Record<string, unknown> = {};
  const secretKeys = new Set<string>();
  const prefix = `${project.name}:`;
  for (const [fullKey, value] of Object.entries(doc.config ?? {})) {
    if (!fullKey.startsWith(prefix)) continue; // provider settings such as kubernetes:context
    const key = fullKey.slice(prefix.length);
    if (isSecureValue(value)) {
      values[key] = secretStandIn(key);
      secretKeys.add(key);
    } else {
      values[key] = value;
    }
  }
  return { project: project.name, stack, values, secretKeys, declarations: project.config };
}

/** Stacks that have a stack file. */
export function listStacks(dir: string = projectDir): string[] {
  return fs
    .readdirSync(dir)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}
