import * as yaml from "js-yaml";

/** Flipt v1 declarative format (internal/ext in Flipt), only the parts this tooling writes. */
export const FLIPT_DOCUMENT_VERSION = "1.4";
export const FLIPT_DOCUMENT_VERSIONS = ["1.0", "1.1", "1.2", "1.3", "1.4"] as const;
export const BOOLEAN_FLAG_TYPE = "BOOLEAN_FLAG_TYPE";
export const VARIANT_FLAG_TYPE = "VARIANT_FLAG_TYPE";
export type FlagType = typeof BOOLEAN_FLAG_TYPE | typeof VARIANT_FLAG_TYPE;

/** The index Flipt looks for at the root of the served folder, and the files it includes. */
export const INDEX_FILE = ".flipt.yml";
export const INDEX_VERSION = "1.0";
export const FLAG_FILE_SUFFIX = ".features.yml";
export const FLAG_FILE_GLOB = `*${FLAG_FILE_SUFFIX}`;

export type MetadataValue = string | number | boolean;

export interface FliptVariant {
  key: string;
  name?: string;
  description?: string;
  default?: boolean;
}

export interface FliptRollout {
  description?: string;
  segment?: { key: string; value: boolean };
  threshold?: { percentage: number; value: boolean };
}

export interface FliptFlag {
  key: string;
  name: string;
  type: FlagType;
  description?: string;
  enabled: boolean;
  metadata: Record<string, MetadataValue>;
  variants?: FliptVariant[];
  rollouts?: FliptRollout[];
}

export interface FliptConstraint {
  type: string;
  property: string;
  operator: string;
  value?: string;
}

export interface FliptSegment {
  key: string;
  name: string;
  description?: string;
  match_type: "ALL_MATCH_TYPE" | "ANY_MATCH_TYPE";
  constraints: FliptConstraint[];
}

export interface FliptDocument {
  version: typeof FLIPT_DOCUMENT_VERSION;
  namespace: string;
  flags: FliptFlag[];
  segments?: FliptSegment[];
}

export function flagFileName(namespace: string): string {
  return `${namespace}${FLAG_FILE_SUFFIX}`;
}

const DUMP_OPTIONS: yaml.DumpOptions = { lineWidth: -1, noRefs: true, quotingType: '"' };

export function renderFlagFile(document: FliptDocument): string {
  const header = [
    `# Flipt flags of namespace "${document.namespace}". Policy and how to change them: README.md.`,
    "# Check with `npm run flags -- lint`; add flags with `npm run flags -- new`.",
  ];
  return `${header.join("\n")}\n${yaml.dump(document, DUMP_OPTIONS)}`;
}

/** One flag as a block-sequence item, indented to sit under an existing `flags:` list. */
export function renderFlagItem(flag: FliptFlag, indent: string): string {
  return yaml
    .dump([flag], DUMP_OPTIONS)
    .split("\n")
    .map((line) => (line === "" ? line : indent + line))
    .join("\n");
}

export function renderIndex(): string {
  const index = { version: INDEX_VERSION, include: [FLAG_FILE_GLOB] };
  return `# Flipt serves only the files included here: the flag files, not README.md or other docs.\n${yaml.dump(index, DUMP_OPTIONS)}`;
}
