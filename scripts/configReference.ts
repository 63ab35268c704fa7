/**
 * The configuration reference's table (docs/configuration.md), generated from Pulumi.yaml's
 * `config:` block. `npm run config-reference` rewrites the table in that document; a test fails
 * when they differ.
 */
import * as fs from "fs";
import * as path from "path";
import { ConfigDeclaration, projectDir, readProjectFile } from "../settings/schema";
import { UsageError, parseFlags, runMain } from "./cli";

export const CONFIG_REFERENCE_DOC = path.join(projectDir, "docs", "configuration.md");
const START = "<!-- config-reference:start (generated from Pulumi.yaml by `npm run config-reference`) -->";
const END = "<!-- config-reference:end -->";

const USAGE = `Usage: npm run config-reference

Rewrites the configuration table of docs/configuration.md from Pulumi.yaml's config: block
(every key with its type, default and description). Takes no options.`;

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
  parseFlags(process.argv.slice(2), [], USAGE);
  const docName = path.relative(projectDir, CONFIG_REFERENCE_DOC);
  const doc = fs.readFileSync(CONFIG_REFERENCE_DOC, "utf8");
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) throw new UsageError(`${docName} lacks the markers ${START} … ${END}`);
  const table = configReferenceTable(); // read before writing, so a broken Pulumi.yaml changes nothing
  fs.writeFileSync(CONFIG_REFERENCE_DOC, `${doc.slice(0, start + START.length)}\n${table}\n${doc.slice(end)}`);
  process.stdout.write(`${docName} configuration table: ${table.split("\n").length - 2} keys\n`);
}

if (require.main === module) runMain(main);
