/**
 * `npm run render -- --stack <name> --out <dir>`: writes every Kubernetes object the stack would
 * create, one YAML file per object, with secret values replaced by visible placeholders. No
 * cluster and no Pulumi CLI: it reads Pulumi.yaml and Pulumi.<stack>.yaml and calls the same
 * builders as the components (lib/renderedStack.ts). `--out` must be new, empty, or a folder render
 * wrote before (its marker file lists what it wrote); render never deletes a file it did not write.
 */
import * as path from "path";
import { parseFlags, runMain, stringFlag } from "./cli";
import { previousRender, RENDER_MARKER, renderStack, writeRender } from "./lib/renderedStack";

const USAGE = `Usage: npm run render -- --stack <dev|prod|pr-<number>> --out <dir>

Writes every object the stack would create, one YAML file each, secrets as <secret:…> placeholders.
--out must be a new or empty folder, or one that render wrote before (it holds ${RENDER_MARKER});
render replaces only the files it wrote there and refuses any other folder.`;

function main(): void {
  const flags = parseFlags(process.argv.slice(2), ["stack", "out"], USAGE);
  const stack = stringFlag(flags, "stack");
  const shown = stringFlag(flags, "out");
  const out = path.resolve(process.env.INIT_CWD ?? process.cwd(), shown); // npm runs scripts from the project dir
  previousRender(out, shown); // refuse before rendering, so a bad --out changes nothing
  const files = renderStack(stack);
  writeRender(out, shown, files);
  process.stdout.write(`rendered ${files.length} files of stack ${stack} into ${out}\n`);
}

if (require.main === module) runMain(main);
