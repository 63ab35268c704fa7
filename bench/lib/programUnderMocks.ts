/**
 * index.ts once under Pulumi's mocks, in this process: the resources registered and the time the
 * run took. The program section's child (bench/program/underMocks.ts) runs it with a stack's own
 * configuration, the scale section's (bench/scale/servicesProgram.ts) with generated services.
 * The same approach as tests/program/harness.ts, without vitest.
 */
import { ConfigInput } from "../../settings/parse";
import { readStack } from "../../settings/stackFiles";

const standInSecret = (key: string) => `bench-${key}-secret`;

/**
 * index.ts once under Pulumi's mocks with `input` as the CLI would hand it over, every output
 * awaited: the resources registered and the time inside this process, from after Pulumi's SDK is
 * loaded.
 */
export async function runUnderMocks(input: ConfigInput): Promise<{ resources: number; inProcessMs: number }> {
  const pulumi = await import("@pulumi/pulumi");
  const started = performance.now();
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const decl of input.declarations) {
    const value = input.values[decl.key] ?? decl.default;
    if (value !== undefined) config[`${input.project}:${decl.key}`] = typeof value === "string" ? value : JSON.stringify(value);
    if (input.secretKeys.has(decl.key)) secretKeys.push(`${input.project}:${decl.key}`);
  }
  pulumi.runtime.setAllConfig(config, secretKeys);
  let resources = 0;
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        resources++;
        const state: Record<string, unknown> = { ...args.inputs };
        if (args.type === "random:index/randomPassword:RandomPassword") state.result = `bench-${args.name}-password`;
        return { id: `${args.name}-id`, state };
      },
      call: (args) => args.inputs,
    },
    input.project,
    input.stack,
    false,
  );
  const program: Record<string, unknown> = await import("../../index");
  for (const value of Object.values(program)) {
    if (pulumi.Output.isInstance(value)) await new Promise((resolve) => value.apply(resolve));
  }
  await pulumi.runtime.disconnect();
  return { resources, inProcessMs: performance.now() - started };
}

/** A stack's own configuration, secure values replaced by stand-ins. */
export function standInStackConfig(stack: string): ConfigInput {
  return readStack(stack, { secretStandIn: standInSecret }).configInput;
}
