/**
 * The README's configuration table, generated from Pulumi.yaml's `config:` block.
 * `npm run config-reference` rewrites the table in README.md; a test fails when they differ.
 */
import * as fs from "fs";
import * as path from "path";
import { ConfigDeclaration, projectDir, readProjectFile } from "../settings/schema";

export const README = path.join(projectDir, "README.md");
const START = "<!-- config-reference:start (generated from Pulumi.yaml by `npm run config-reference`) -->";
const END = "<!-- config-reference:end -->";

function defaultCell(decl: ConfigDeclaration): string {
  if (decl.secret) return "secret, required";
  if (decl.default === undefined) return "required";
  return `\`${JSON.stringify(decl.default)}\``;
}

export function configReferenceTable(): string {
  const rows = readProjectFile().config.map((decl) => {
    const description = decl.description.replace(/\s+/g, " ").replace(/\|/g, "\\|").trim();
    return `| \`${decl.key}\` | ${decl.type} | ${defaultCell(decl)} | ${description} |`;
  });
  return ["| Key | Type | Default | Description |", "|---|---|---|---|", ...rows].join("\n");
}

/** The README's current table (between the markers), or undefined when the markers are missing. */
export function readmeConfigTable(readme: string = fs.readFileSync(README, "utf8")): string | undefined {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) return undefined;
  return readme.slice(start + START.length, end).trim();
}

function main(): void {
  const readme = fs.readFileSync(README, "utf8");
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md lacks the markers ${START} … ${END}`);
  const updated = `${readme.slice(0, start + START.length)}\n${configReferenceTable()}\n${readme.slice(end)}`;
  fs.writeFileSync(README, updated);
  process.stdout.write(`README.md configuration table: ${readProjectFile().config.length} keys\n`);
}

if (require.main === module) main();
