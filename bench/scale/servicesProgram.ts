/**
 * `node --import tsx bench/scale/servicesProgram.ts render <count> <out-dir>` and `… mocks <count>`:
 * dev's configuration with its `services` replaced by <count> generated ones (servicesTargets.ts),
 * rendered as `npm run render` renders a stack, or run under Pulumi's mocks as
 * bench/programUnderMocks.ts runs a stack. Prints one JSON line; bench/scale/services.ts times the
 * whole process.
 *
 * Why a copy of programUnderMocks' few lines: it reads the stack file itself and takes no other
 * configuration, and scripts/render.ts's command line takes only `--stack`; renderSettings(settings)
 * is the seam render offers, and pulumi.runtime.setAllConfig the one the program offers.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { renderSettings } from "../../scripts/render";
import { ConfigInput, parseSettings } from "../../settings/parse";
import { placeholderSecret, readStackConfig } from "../../settings/stackFiles";
import { SERVICES_BASE_STACK, withServices } from "./servicesTargets";

const standInSecret = (key: string) => `bench-${key}-secret`;

function render(count: number, out: string): Record<string, unknown> {
  const files = renderSettings(parseSettings(withServices(readStackConfig(SERVICES_BASE_STACK, placeholderSecret), count)));
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  for (const { file, content } of files) fs.writeFileSync(path.join(out, file), content);
  return { files: files.length };
}

/** As bench/programUnderMocks.ts: the configuration as the CLI would hand it over, index.ts run once, every output awaited. */
async function underMocks(input: ConfigInput): Promise<Record<string, unknown>> {
  // Loaded here, not at the top: render loads only what `npm run render` loads. The clock starts after
  // it, as programUnderMocks' starts after its static import.
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

async function main(argv: readonly string[]): Promise<void> {
  const [command, countText, out] = argv;
  const count = Number(countText);
  if (!["render", "mocks"].includes(command) || !Number.isInteger(count) || count < 0 || (command === "render" && !out)) {
    throw new Error("usage: servicesProgram.ts render <count> <out-dir> | mocks <count>");
  }
  const figures = command === "render" ? render(count, path.resolve(out)) : await underMocks(withServices(readStackConfig(SERVICES_BASE_STACK, standInSecret), count));
  process.stdout.write(`${JSON.stringify({ command, services: count, ...figures })}\n`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
