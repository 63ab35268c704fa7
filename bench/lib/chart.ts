/**
 * Charts beside the results file: a Vega-Lite spec (the latency and scale sections build theirs)
 * rendered to SVG in this process by Vega, no browser, and written next to the JSON.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { TopLevelSpec } from "vega-lite/build/index";
import { projectDir } from "../../settings/schema";

/** Renders a Vega-Lite spec to SVG text with Vega's headless renderer. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  // Both packages are ES modules only (vega-canvas uses top-level await): import them as such.
  const vega = await import("vega");
  const vegaLite = (await import("vega-lite" as string)) as typeof import("vega-lite/build/index");
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** A chart goes beside the JSON: bench/results.json → bench/results-<name>.svg. */
export function chartFileBeside(out: string, name: string): string {
  return path.join(path.dirname(out), `${path.basename(out, ".json")}-${name}.svg`);
}

/** Renders `spec` to `file`; returns the path as results.json records it (relative inside the project). */
export async function writeChart(file: string, spec: TopLevelSpec): Promise<string> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, await renderSvg(spec));
  return path.relative(projectDir, file).startsWith("..") ? file : path.relative(projectDir, file);
}
