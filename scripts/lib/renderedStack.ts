/**
 * A stack's objects as `npm run render` writes them: one YAML file per object (secrets as visible
 * placeholders), named in apply order, and the rule for where they may be written. The render CLI,
 * `npm run local`, the engine tier and the tests use it; it reads the stack through the settings.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { dashboardJson, dashboardUid } from "../../builders/dashboard";
import { ObjectSpec } from "../../builders/kubernetes";
import { PATCH_ANNOTATIONS } from "../../builders/serviceConfig";
import { stackObjectSpecs } from "../../builders/stackObjects";
import { placeholderSecret, readStack } from "../../settings/stackFiles";
import { Settings } from "../../settings/types";
import { UserError } from "../../settings/userError";

/** Left in every folder render writes: the files it wrote, so the next render may replace exactly those. */
export const RENDER_MARKER = ".rendered-by-flipt-deploy";


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
  return renderSettings(readStack(stack).settings);
}

/**
 * The files a previous render left in `out` (to be replaced), after checking that `out` holds
 * nothing else: a user error (exit 2), and nothing touched, when it is a file or holds files render did not write.
 */
export function previousRender(out: string, shown: string): string[] {
  if (!fs.existsSync(out)) return [];
  if (!fs.statSync(out).isDirectory()) throw new UserError(`--out ${shown}: is a file; expected a new or empty folder, or one render wrote before`, 2);
  const entries = fs.readdirSync(out);
  if (entries.length === 0) return [];
  const markerFile = path.join(out, RENDER_MARKER);
  const written = fs.existsSync(markerFile) ? fs.readFileSync(markerFile, "utf8").split("\n").filter((l) => l !== "" && !l.startsWith("#")) : undefined;
  const foreign = entries.filter((name) => name !== RENDER_MARKER && !(written ?? []).includes(name));
  if (written === undefined || foreign.length > 0) {
    const named = foreign.slice(0, 3).join(", ") + (foreign.length > 3 ? ` and ${foreign.length - 3} more` : "");
    throw new UserError(`--out ${shown}: holds ${named}, which render did not write; expected a new or empty folder, or one render wrote before (nothing was changed)`, 2);
  }
  return written.filter((name) => entries.includes(name));
}

/** Writes the rendered files into `out`, replacing only what a previous render wrote there. */
export function writeRender(out: string, shown: string, files: readonly RenderedFile[]): void {
  const previous = previousRender(out, shown);
  fs.mkdirSync(out, { recursive: true });
  for (const name of previous) fs.rmSync(path.join(out, name));
  for (const { file, content } of files) fs.writeFileSync(path.join(out, file), content);
  const marker = ["# written by npm run render; the next render replaces these files and nothing else", ...files.map((f) => f.file)];
  fs.writeFileSync(path.join(out, RENDER_MARKER), `${marker.join("\n")}\n`);
}
