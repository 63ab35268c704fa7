/**
 * `node --import tsx bench/scale/servicesProgram.ts render <count> <out-dir>` and `… mocks <count>`:
 * dev's configuration with its `services` replaced by <count> generated ones (servicesTargets.ts),
 * rendered as `npm run render` renders a stack, or run under Pulumi's mocks as
 * bench/program/underMocks.ts runs a stack. Prints one JSON line; bench/scale/services.ts times the
 * whole process.
 *
 * scripts/render.ts's command line takes only `--stack`: renderSettings(settings) is the seam
 * render offers; runUnderMocks(input) the one bench/lib/programUnderMocks.ts offers.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { renderSettings } from "../../scripts/lib/renderedStack";
import { parseSettings } from "../../settings/parse";
import { readStack } from "../../settings/stackFiles";
import { runUnderMocks, standInStackConfig } from "../lib/programUnderMocks";
import { SERVICES_BASE_STACK, withServices } from "./servicesTargets";

function render(count: number, out: string): Record<string, unknown> {
  const files = renderSettings(parseSettings(withServices(readStack(SERVICES_BASE_STACK).configInput, count)));
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  for (const { file, content } of files) fs.writeFileSync(path.join(out, file), content);
  return { files: files.length };
}

async function main(argv: readonly string[]): Promise<void> {
  const [command, countText, out] = argv;
  const count = Number(countText);
  if (!["render", "mocks"].includes(command) || !Number.isInteger(count) || count < 0 || (command === "render" && !out)) {
    throw new Error("usage: servicesProgram.ts render <count> <out-dir> | mocks <count>");
  }
  const figures = command === "render" ? render(count, path.resolve(out)) : await runUnderMocks(withServices(standInStackConfig(SERVICES_BASE_STACK), count));
  process.stdout.write(`${JSON.stringify({ command, services: count, ...figures })}\n`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
