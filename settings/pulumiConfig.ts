import * as pulumi from "@pulumi/pulumi";
import { ConfigInput } from "./parse";
import { readProjectFile } from "./schema";

// isConfigSecret is exported by the SDK's runtime but missing from its type declarations.
const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(key: string): boolean };

/** The running stack's configuration as the Pulumi CLI passed it to the program. */
export function pulumiConfigInput(): ConfigInput {
  const project = readProjectFile();
  const prefix = `${pulumi.getProject()}:`;
  const values: Record<string, unknown> = {};
  const secretKeys = new Set<string>();
  for (const [fullKey, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (!fullKey.startsWith(prefix)) continue;
    const key = fullKey.slice(prefix.length);
    values[key] = value;
    if (runtimeConfig.isConfigSecret(fullKey)) secretKeys.add(key);
  }
  return { project: pulumi.getProject(), stack: pulumi.getStack(), values, secretKeys, declarations: project.config };
}
