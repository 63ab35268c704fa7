/**
 * `npm run render -- --stack <name> --out <dir>`: writes every Kubernetes object the stack would
 * create, one YAML file per object, with secret values replaced by visible placeholders. No
 * cluster and no Pulumi CLI: it reads Pulumi.yaml and Pulumi.<stack>.yaml and calls the same
 * builders as the components.
 */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { dashboardJson, dashboardUid } from "../builders/dashboard";
import { ObjectSpec } from "../builders/kubernetes";
import { PATCH_ANNOTATIONS } from "../builders/serviceConfig";
import { stackObjectSpecs } from "../builders/stackObjects";
import { ConfigError, parseSettings } from "../settings/parse";
import { placeholderSecret, readStackConfig } from "../settings/stackFiles";
import { Settings } from "../settings/types";
import { UsageError, parseFlags, runMain, stringFlag } from "./cli";

export interface RenderedFile {
  readonly file: string;
  readonly content: string;
}

/**
 * File name: order, kind and name, so a directory listing reads like the apply order. A patch of
 * a service's existing ConfigMap (server-side apply body) is named `<kind>-patch-<name>`, so a
 * reviewer does not mistake it for a ConfigMap the stack owns.
 */
function fileName(index: number, spec: ObjectSpec): string {
  const order = String(index + 1).padStart(2, "0");
  const patch = spec.metadata.annotations?.[PATCH_ANNOTATIONS.fieldManager] !== undefined ? "-patch" : "";
  return `${order}-${spec.kind.toLowerCase()}${patch}-${spec.metadata.name}.yaml`;
}

export function renderSettings(settings: Settings): RenderedFile[] {
  const specs = stackObjectSpecs(settings, {
    dbUrl: placeholderSecret("dbUrl"),
    bootstrapToken: placeholderSecret("bootstrapToken"),
    gitCredential: settings.git.auth === "none" ? undefined : placeholderSecret("gitCredential"),
  });
  const files = specs.map((spec, i) => ({
    file: fileName(i, spec),
    content: yaml.dump(spec, { lineWidth: -1, noRefs: true, sortKeys: false }),
  }));
  // In API mode the dashboard is no Kubernetes object; write its model anyway so a pull request diffs it.
  if (settings.monitoring.grafanaApi) files.push({ file: `dashboard-${dashboardUid(settings)}.json`, content: dashboardJson(settings) });
  return files;
}

export function renderStack(stack: string): RenderedFile[] {
  return renderSettings(parseSettings(readStackConfig(stack, placeholderSecret)));
}

function main(): void {
  const flags = parseFlags(process.argv.slice(2), ["stack", "out"]);
  const stack = stringFlag(flags, "stack");
  const out = path.resolve(stringFlag(flags, "out"));
  const files = renderStack(stack);
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  for (const { file, content } of files) fs.writeFileSync(path.join(out, file), content);
  process.stdout.write(`rendered ${files.length} files of stack ${stack} into ${out}\n`);
}

if (require.main === module) {
  runMain(main, (err): err is Error => err instanceof UsageError || err instanceof ConfigError || isMissingStack(err));
}

function isMissingStack(err: unknown): err is Error {
  return err instanceof Error && err.message.startsWith("no stack file");
}
