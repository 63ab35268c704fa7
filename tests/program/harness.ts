import * as pulumi from "@pulumi/pulumi";
import { vi } from "vitest";
import { readStackConfig } from "../../settings/stackFiles";

/** A resource the program registered, with the inputs the mocks received. */
export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, any>;
  readonly provider?: string;
}

export interface ProgramRun {
  readonly resources: RecordedResource[];
  readonly outputs: Record<string, unknown>;
  readonly secretOutputs: Set<string>;
  /** Every secret value the run handled: stack secrets and generated passwords. */
  readonly secretValues: string[];
}

/** Stack secrets in tests: distinctive, and full of URL-special characters to prove encoding. */
export const testSecret = (key: string) => `T3st:${key}/p@ss?w#rd%&`;
/** What the mocked random provider returns for a RandomPassword. */
export const mockPassword = (name: string) => `Mock!${name}:p@ss/w?rd#1`;

function configValue(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * Runs index.ts under Pulumi's mocks with the stack's real configuration: Pulumi.yaml's
 * declarations and Pulumi.<stack>.yaml's values (secure values replaced by test secrets),
 * plus `overrides` (short key → value). Returns what was registered and exported.
 */
export async function runProgram(stack: string, overrides: Record<string, unknown> = {}): Promise<ProgramRun> {
  const input = readStackConfig(stack, testSecret);
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const decl of input.declarations) {
    const value = overrides[decl.key] ?? input.values[decl.key] ?? decl.default;
    if (value !== undefined) config[`${input.project}:${decl.key}`] = configValue(value);
    if (input.secretKeys.has(decl.key)) secretKeys.push(`${input.project}:${decl.key}`);
  }
  pulumi.runtime.setAllConfig(config, secretKeys);

  const resources: RecordedResource[] = [];
  const secretValues = [...input.secretKeys].map((k) => configValue(input.values[k]));
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        resources.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider });
        const state = { ...args.inputs };
        if (args.type === "random:index/randomPassword:RandomPassword") {
          state.result = mockPassword(args.name);
          secretValues.push(state.result);
        }
        return { id: `${args.name}-id`, state };
      },
      call: (args) => args.inputs,
    },
    input.project,
    stack,
    false,
  );
  vi.resetModules();
  const program: Record<string, unknown> = await import("../../index");
  const outputs: Record<string, unknown> = {};
  const secretOutputs = new Set<string>();
  for (const [key, value] of Object.entries(program)) {
    if (!pulumi.Output.isInstance(value)) {
      outputs[key] = value;
      continue;
    }
    outputs[key] = await new Promise((resolve) => value.apply(resolve));
    if (await pulumi.isSecret(value)) secretOutputs.add(key);
  }
  await pulumi.runtime.disconnect();
  return { resources, outputs, secretOutputs, secretValues };
}

export function byType(run: ProgramRun, type: string): RecordedResource[] {
  return run.resources.filter((r) => r.type === type);
}

export function k8sObject(run: ProgramRun, kind: string, name: string): RecordedResource {
  const found = run.resources.find((r) => r.inputs.kind === kind && r.inputs.metadata?.name === name);
  if (!found) throw new Error(`no ${kind}/${name} among ${run.resources.map((r) => r.name).join(", ")}`);
  return found;
}
