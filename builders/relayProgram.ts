import { buildSync } from "esbuild";
import * as path from "node:path";

/**
 * The relay program as the pod runs it: flags-relay/main.ts and what it imports (the flags tool's
 * checks, js-yaml) bundled into one ES module for Node, which the relay's ConfigMap holds. Built from
 * this checkout with paths relative to it, so the same sources give the same text in every clone
 * (and an unchanged program shows no diff in a preview). The tests run this same text.
 */
const PROJECT_DIR = path.resolve(__dirname, "..");
let built: string | undefined;

export function relayProgram(): string {
  if (built === undefined) {
    const result = buildSync({
      absWorkingDir: PROJECT_DIR,
      entryPoints: ["flags-relay/main.ts"],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      write: false,
      legalComments: "none",
      // ASCII only (esbuild's default: other characters as \u escapes). Server-side apply reads the ConfigMap as YAML,
      // which turns a raw U+0085 (js-yaml holds one) into a space: the live program would differ from this text.
      banner: { js: "// flags relay: built from flags-relay/main.ts by builders/relayProgram.ts; do not edit.\nimport { createRequire as __relayCreateRequire } from 'node:module'; const require = __relayCreateRequire(import.meta.url);" },
    });
    built = result.outputFiles[0].text;
  }
  return built;
}
