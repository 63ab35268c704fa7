/**
 * STAND-IN (engine tier, deploy:local and the bench only, never shipped) for the PostgreSQL
 * provider plugin: the inputs of Role and Database as @pulumi/postgresql 3.18.1 declares them
 * (role.d.ts, database.d.ts), their defaults, the checks, and the diff rule (which changes
 * PostgreSQL can make in place and which replace the object). Pure: no server, no Pulumi runtime.
 */
import { specialSecretSig, specialSigKey, unknownValue } from "@pulumi/pulumi/runtime/rpc";

export const ROLE_TYPE = "postgresql:index/role:Role";
export const DATABASE_TYPE = "postgresql:index/database:Database";
/** PostgreSQL truncates longer identifiers (NAMEDATALEN - 1), so the object could not be found by its name afterwards. */
export const MAX_IDENTIFIER_BYTES = 63;

/** Property values as the engine sends them: secrets wrapped, unknowns (preview) as a sentinel string. */
export type PropertyMap = Record<string, unknown>;

export function isSecret(value: unknown): value is { value: unknown } {
  return typeof value === "object" && value !== null && (value as PropertyMap)[specialSigKey] === specialSecretSig;
}

/** A value with its secret wrapper, if any, removed; use it, never log it. */
export function reveal(value: unknown): unknown {
  return isSecret(value) ? value.value : value;
}

export function isUnknown(value: unknown): boolean {
  return reveal(value) === unknownValue;
}

export interface RoleSpec {
  readonly name: string;
  readonly login: boolean;
  readonly superuser: boolean;
  readonly createDatabase: boolean;
  readonly createRole: boolean;
  readonly replication: boolean;
  readonly inherit: boolean;
  readonly bypassRowLevelSecurity: boolean;
  readonly connectionLimit: number;
  /** "NULL" (any case) removes the password; unset or empty sets none. */
  readonly password?: string;
  readonly encryptedPassword: boolean;
  readonly validUntil: string;
  readonly skipDropRole: boolean;
  readonly skipReassignOwned: boolean;
}

export interface DatabaseSpec {
  readonly name: string;
  /** Unset: the connecting user, as CREATE DATABASE does. */
  readonly owner?: string;
  /** Unset: template0 (the provider's default, not PostgreSQL's template1). */
  readonly template?: string;
  /** Unset: UTF8. */
  readonly encoding?: string;
  /** Unset: the template's (what the provider's code does; the SDK's doc comment says C). */
  readonly lcCollate?: string;
  readonly lcCtype?: string;
  readonly tablespaceName?: string;
  readonly connectionLimit: number;
  readonly allowConnections: boolean;
  /** Unset: false. */
  readonly isTemplate?: boolean;
  readonly alterObjectOwnership: boolean;
}

/** What a change of the input does: ALTER in place, a new object (CREATE, then DROP), or nothing outside the state. */
export type ChangeKind = "replace" | "update" | "state";
type ValueKind = "identifier" | "nonEmpty" | "text" | "boolean" | "connectionLimit";

export interface Field {
  readonly value: ValueKind;
  readonly change: ChangeKind;
  readonly required?: true;
  /** Filled in by check when the input is unset, as the provider's schema default. */
  readonly default?: string | number | boolean;
  /** Optional and computed: unset means "whatever PostgreSQL has", never a change. */
  readonly computed?: true;
}

export type Fields<T> = { readonly [K in keyof Required<T>]: Field };

export const ROLE_FIELDS: Fields<RoleSpec> = {
  // PostgreSQL could ALTER ROLE … RENAME (the real provider does); here a new name is a new role, as asked of the stand-in.
  name: { value: "identifier", change: "replace", required: true },
  login: { value: "boolean", change: "update", default: false },
  superuser: { value: "boolean", change: "update", default: false },
  createDatabase: { value: "boolean", change: "update", default: false },
  createRole: { value: "boolean", change: "update", default: false },
  replication: { value: "boolean", change: "update", default: false },
  inherit: { value: "boolean", change: "update", default: true },
  bypassRowLevelSecurity: { value: "boolean", change: "update", default: false },
  connectionLimit: { value: "connectionLimit", change: "update", default: -1 },
  password: { value: "text", change: "update" },
  validUntil: { value: "text", change: "update", default: "infinity" },
  encryptedPassword: { value: "boolean", change: "state", default: true },
  skipDropRole: { value: "boolean", change: "state", default: false },
  skipReassignOwned: { value: "boolean", change: "state", default: false },
};

export const DATABASE_FIELDS: Fields<DatabaseSpec> = {
  name: { value: "identifier", change: "replace", required: true },
  owner: { value: "identifier", change: "update", computed: true },
  template: { value: "identifier", change: "replace", computed: true },
  encoding: { value: "nonEmpty", change: "replace", computed: true },
  lcCollate: { value: "nonEmpty", change: "replace", computed: true },
  lcCtype: { value: "nonEmpty", change: "replace", computed: true },
  tablespaceName: { value: "identifier", change: "update", computed: true },
  connectionLimit: { value: "connectionLimit", change: "update", default: -1 },
  allowConnections: { value: "boolean", change: "update", default: true },
  isTemplate: { value: "boolean", change: "update", computed: true },
  alterObjectOwnership: { value: "boolean", change: "state", default: false },
};

/** What CREATE DATABASE gets for an unset computed input, as the provider's create does. */
export const DATABASE_CREATE_DEFAULTS = { template: "template0", encoding: "UTF8", isTemplate: false } as const;

/** Inputs the real provider has and this stand-in does not serve: check says so instead of ignoring them. */
export const ROLE_UNSERVED = ["roles", "searchPaths", "statementTimeout", "idleInTransactionSessionTimeout", "assumeRole", "passwordWo", "passwordWoVersion", "encrypted"];
export const DATABASE_UNSERVED: string[] = [];

export interface CheckFailure {
  readonly property: string;
  readonly reason: string;
}

/** The inputs with each unset field's default filled in; secret wrappers stay as given. */
export function withDefaults(fields: Fields<object>, inputs: PropertyMap): PropertyMap {
  const result: PropertyMap = {};
  for (const [key, value] of Object.entries(inputs)) if (value !== null && value !== undefined) result[key] = value;
  for (const [key, field] of Object.entries(fields)) if (result[key] === undefined && field.default !== undefined) result[key] = field.default;
  return result;
}

function valueProblem(kind: ValueKind, value: unknown): string | undefined {
  switch (kind) {
    case "boolean":
      return typeof value === "boolean" ? undefined : `must be true or false, got ${JSON.stringify(value)}`;
    case "connectionLimit":
      return Number.isInteger(value) && (value as number) >= -1 ? undefined : `must be an integer of at least -1 (no limit), got ${JSON.stringify(value)}`;
    case "text":
      return typeof value === "string" ? undefined : "must be a string";
    case "nonEmpty":
      return typeof value === "string" && value !== "" ? undefined : "must be a non-empty string (leave it unset for the default)";
    case "identifier":
      if (typeof value !== "string" || value === "") return "must be a non-empty string";
      if (Buffer.byteLength(value) > MAX_IDENTIFIER_BYTES) return `must be at most ${MAX_IDENTIFIER_BYTES} bytes (PostgreSQL would truncate it), got ${Buffer.byteLength(value)}`;
      return value.includes("\0") ? "must not contain a NUL character" : undefined;
  }
}

/** Check failures of inputs with defaults applied; unknown values (preview) are not judged. */
export function inputProblems(fields: Fields<object>, unserved: readonly string[], inputs: PropertyMap): CheckFailure[] {
  const failures: CheckFailure[] = [];
  for (const [key, field] of Object.entries(fields)) {
    const value = reveal(inputs[key]);
    if (value === undefined) {
      if (field.required) failures.push({ property: key, reason: `${key} is required (this stand-in does not auto-name)` });
      continue;
    }
    const problem = isUnknown(value) ? undefined : valueProblem(field.value, value);
    if (problem) failures.push({ property: key, reason: `${key} ${problem}` });
  }
  for (const key of unserved.filter((k) => inputs[k] !== undefined)) {
    failures.push({ property: key, reason: `${key} is not served by the PostgreSQL provider stand-in (test only); the real provider supports it` });
  }
  return failures;
}

export function databaseInputProblems(inputs: PropertyMap): CheckFailure[] {
  const failures = inputProblems(DATABASE_FIELDS, DATABASE_UNSERVED, inputs);
  if (reveal(inputs.alterObjectOwnership) === true) {
    failures.push({ property: "alterObjectOwnership", reason: "alterObjectOwnership true is not served by the PostgreSQL provider stand-in (test only)" });
  }
  return failures;
}

export interface InputDiff {
  readonly changes: boolean;
  /** Changed inputs that need a new object. */
  readonly replaces: string[];
  /** Changed inputs that ALTER (or only the state) takes in place. */
  readonly updates: string[];
  /** A replacement that keeps the name must drop the old object first: the new one could not be created beside it. */
  readonly deleteBeforeReplace: boolean;
}

function changed(field: Field, old: unknown, next: unknown): boolean {
  if (next === undefined && field.computed) return false;
  if (isUnknown(next)) return true;
  return JSON.stringify(reveal(old)) !== JSON.stringify(reveal(next));
}

/** The diff rule: `olds` are the state's outputs (after a refresh, the live values), `news` the checked inputs. */
export function diffInputs(fields: Fields<object>, olds: PropertyMap, news: PropertyMap): InputDiff {
  const keys = Object.entries(fields).filter(([key, field]) => changed(field, olds[key], news[key]));
  const replaces = keys.filter(([, field]) => field.change === "replace").map(([key]) => key);
  const updates = keys.filter(([, field]) => field.change !== "replace").map(([key]) => key);
  return { changes: keys.length > 0, replaces, updates, deleteBeforeReplace: replaces.length > 0 && !replaces.includes("name") };
}

/** The checked inputs as plain values (secrets revealed), for building statements. */
export function plainSpec<T>(fields: Fields<T>, inputs: PropertyMap): T {
  const spec: PropertyMap = {};
  for (const key of Object.keys(fields)) if (inputs[key] !== undefined) spec[key] = reveal(inputs[key]);
  return spec as T;
}
