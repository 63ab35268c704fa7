import { UserError } from "./errors";

/**
 * The file store's snapshot: protojson of `config.v1.FeatureFlagSnapshot`, read with the same
 * strictness as the store (unknown fields are errors). See file-store-migration/README.md.
 */
export const SUPPORTED_SCHEMA_VERSION = 1;

export interface LegacyFlag {
  /** Trimmed, as the store uses it. */
  readonly key: string;
  readonly enabled: boolean;
  readonly rolloutPercent: number;
  readonly owners: readonly string[];
  readonly description: string;
  /** Where the entry sits in the file, e.g. `flags[3]`, for messages. */
  readonly position: string;
}

export interface Snapshot {
  readonly flags: readonly LegacyFlag[];
  readonly warnings: readonly string[];
}

// protojson accepts a field under its proto name or its JSON (lowerCamelCase) name.
const SNAPSHOT_FIELDS = { schema_version: "schemaVersion", flags: "flags" } as const;
const FLAG_FIELDS = {
  key: "key",
  enabled: "enabled",
  rollout_percent: "rolloutPercent",
  owners: "owners",
  description: "description",
} as const;

const UINT32_MAX = 0xffff_ffff;

type Problems = string[];

export function parseSnapshot(text: string, source: string): Snapshot {
  const root = parseJson(text, source);
  const problems: Problems = [];
  const warnings: string[] = [];
  const fields = readFields(root, SNAPSHOT_FIELDS, "snapshot", problems);
  const schemaVersion = readUint32(fields.get("schema_version"), "schema_version", problems);
  if (schemaVersion !== undefined && schemaVersion !== SUPPORTED_SCHEMA_VERSION) {
    problems.push(`schema_version: expected ${SUPPORTED_SCHEMA_VERSION}, found ${schemaVersion}`);
  }
  const entries = readList(fields.get("flags"), "flags", problems);
  const flags: LegacyFlag[] = [];
  entries.forEach((entry, index) => {
    const flag = readFlag(entry, `flags[${index}]`, problems);
    if (flag === undefined) return;
    if (flag.key === "") warnings.push(`${flag.position}: empty key, entry skipped`);
    else flags.push(flag);
  });
  problems.push(...duplicateKeyProblems(flags));
  if (problems.length > 0) throw new UserError(problems.map((p) => `${source}: ${p}`));
  return { flags, warnings: warnings.map((w) => `${source}: ${w}`) };
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const offset = /position (\d+)/.exec(message);
    const where = offset ? lineAndColumn(text, Number(offset[1])) : "";
    const reason = message.replace(/\s*in JSON at position \d+.*$/, "").replace(/^JSON\.parse: /, "");
    throw new UserError(`${source}${where}: not valid JSON: ${reason}`);
  }
}

function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - before.lastIndexOf("\n");
  return `:${line}:${column}`;
}

function readFlag(entry: unknown, position: string, problems: Problems): LegacyFlag | undefined {
  if (!isPlainObject(entry)) {
    problems.push(`${position}: expected an object, found ${describe(entry)}`);
    return undefined;
  }
  const fields = readFields(entry, FLAG_FIELDS, position, problems);
  const owners = readList(fields.get("owners"), `${position}.owners`, problems).flatMap((owner, i) =>
    readString(owner, `${position}.owners[${i}]`, problems, false),
  );
  return {
    key: readString(fields.get("key"), `${position}.key`, problems).trim(),
    enabled: readBool(fields.get("enabled"), `${position}.enabled`, problems),
    rolloutPercent: readUint32(fields.get("rollout_percent"), `${position}.rollout_percent`, problems) ?? 0,
    owners: owners.map((owner) => owner.trim()).filter((owner) => owner !== ""),
    description: readString(fields.get("description"), `${position}.description`, problems),
    position,
  };
}

function duplicateKeyProblems(flags: readonly LegacyFlag[]): string[] {
  const positions = new Map<string, string[]>();
  for (const flag of flags) positions.set(flag.key, [...(positions.get(flag.key) ?? []), flag.position]);
  return [...positions]
    .filter(([, where]) => where.length > 1)
    .map(([key, where]) => `duplicate key ${JSON.stringify(key)} at ${where.join(", ")}`);
}

/** Returns the present fields under their proto names; reports unknown and doubly-given fields. */
function readFields<Proto extends string>(
  value: unknown,
  names: Record<Proto, string>,
  where: string,
  problems: Problems,
): Map<Proto, unknown> {
  const fields = new Map<Proto, unknown>();
  if (!isPlainObject(value)) {
    problems.push(`${where}: expected an object, found ${describe(value)}`);
    return fields;
  }
  const protoNameOf = new Map<string, Proto>();
  for (const proto of Object.keys(names) as Proto[]) {
    protoNameOf.set(proto, proto);
    protoNameOf.set(names[proto], proto);
  }
  for (const [name, fieldValue] of Object.entries(value)) {
    const proto = protoNameOf.get(name);
    if (proto === undefined) {
      const known = Object.keys(names).join(", ");
      problems.push(`${where}: unknown field ${JSON.stringify(name)} (known fields: ${known})`);
    } else if (fields.has(proto)) {
      problems.push(`${where}: field ${JSON.stringify(proto)} is given twice`);
    } else {
      fields.set(proto, fieldValue);
    }
  }
  return fields;
}

function readUint32(value: unknown, where: string, problems: Problems): number | undefined {
  if (value === undefined || value === null) return 0;
  const number = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof number === "number" && Number.isInteger(number) && number >= 0 && number <= UINT32_MAX) {
    return number;
  }
  problems.push(`${where}: expected an unsigned 32-bit integer, found ${describe(value)}`);
  return undefined;
}

function readBool(value: unknown, where: string, problems: Problems): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === "boolean") return value;
  problems.push(`${where}: expected true or false, found ${describe(value)}`);
  return false;
}

function readString(value: unknown, where: string, problems: Problems, nullable = true): string {
  if (nullable && (value === undefined || value === null)) return "";
  if (typeof value === "string") return value;
  problems.push(`${where}: expected a string, found ${describe(value)}`);
  return "";
}

function readList(value: unknown, where: string, problems: Problems): unknown[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value;
  problems.push(`${where}: expected a list, found ${describe(value)}`);
  return [];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (value === null) return "null";
  if (typeof value === "object") return "an object";
  return JSON.stringify(value);
}
