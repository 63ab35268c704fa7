/**
 * The configuration reference's table (docs/configuration.md), generated from Pulumi.yaml's
 * `config:` block. `npm run config-reference` rewrites the table in that document; a test fails
 * when they differ.
 */
import * as fs from "fs";
import * as path from "path";
import { ConfigDeclaration, projectDir, readProjectFile } from "../settings/schema";

export const CONFIG_REFERENCE_DOC = path.join(projectDir, "docs", "configuration.md");
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

/** The table docs/configuration.md holds now (between the markers), or undefined when the markers are missing. */
export function documentedConfigTable(doc: string = fs.readFileSync(CONFIG_REFERENCE_DOC, "utf8")): string | undefined {
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) return undefined;
  return doc.slice(start + START.length, end).trim();
}

function main(): void {
  const docName = path.relative(projectDir, CONFIG_REFERENCE_DOC);
  const doc = fs.readFileSync(CONFIG_REFERENCE_DOC, "utf8");
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${docName} lacks the markers ${START} … ${END}`);
  const updated = `${doc.slice(0, start + START.length)}\n${configReferenceTable()}\n${doc.slice(end)}`;
  fs.writeFileSync(CONFIG_REFERENCE_DOC, updated);
  process.stdout.write(`${docName} configuration table: ${readProjectFile().config.length} keys\n`);
}

if (require.main === module) main();
