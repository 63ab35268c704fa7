/**
 * STAND-IN (engine tier, deploy:local and the bench only, never shipped) for the PostgreSQL
 * provider plugin: the SQL it runs, built as the real provider (terraform-provider-postgresql,
 * which @pulumi/postgresql bridges) builds it. Pure: statements from plain specs, no server.
 * Identifiers are quoted with `"` doubled, literals with `'` doubled; the script that runs them
 * turns standard_conforming_strings on first, so a backslash in a literal is just a backslash.
 */
import * as database from "../../../../builders/database";
import { DATABASE_CREATE_DEFAULTS, DatabaseSpec, RoleSpec } from "./resources";

// The builders' quoting, as declarations: resources.ts and this file import each other.
export function quoteIdent(name: string): string {
  return database.quoteIdent(name);
}

export function quoteLiteral(value: string): string {
  return database.quoteLiteral(value);
}

/** First statement of every script: makes the literal quoting above exact whatever the server's default. */
export const SCRIPT_PREAMBLE = "SET standard_conforming_strings = on";

const isDefaultKeyword = (value: string) => value.toUpperCase() === "DEFAULT";

// ---- Role ----

/** Each boolean attribute and its CREATE/ALTER ROLE keywords (on, off). */
const ROLE_FLAGS: readonly (readonly [keyof RoleSpec, string, string])[] = [
  ["superuser", "SUPERUSER", "NOSUPERUSER"],
  ["createDatabase", "CREATEDB", "NOCREATEDB"],
  ["createRole", "CREATEROLE", "NOCREATEROLE"],
  ["inherit", "INHERIT", "NOINHERIT"],
  ["login", "LOGIN", "NOLOGIN"],
  ["bypassRowLevelSecurity", "BYPASSRLS", "NOBYPASSRLS"],
  ["replication", "REPLICATION", "NOREPLICATION"],
];

/** `encrypted` undefined: no keyword (ALTER ROLE, as the provider's update). UNENCRYPTED fails on PostgreSQL 10+, as it does for the real provider. */
function passwordClause(password: string | undefined, encrypted: boolean | undefined): string | undefined {
  if (password === undefined || password === "") return undefined;
  if (password.toUpperCase() === "NULL") return "PASSWORD NULL";
  const keyword = encrypted === undefined ? "" : encrypted ? "ENCRYPTED " : "UNENCRYPTED ";
  return `${keyword}PASSWORD ${quoteLiteral(password)}`;
}

function validUntilClause(validUntil: string): string {
  return `VALID UNTIL ${quoteLiteral(validUntil === "" ? "infinity" : validUntil)}`;
}

function roleClauses(role: Partial<RoleSpec>, encrypted: boolean | undefined): string[] {
  const clauses = ROLE_FLAGS.filter(([key]) => role[key] !== undefined).map(([key, on, off]) => (role[key] ? on : off));
  if (role.connectionLimit !== undefined) clauses.push(`CONNECTION LIMIT ${Math.trunc(role.connectionLimit)}`);
  const password = passwordClause(role.password, encrypted);
  if (password) clauses.push(password);
  if (role.validUntil !== undefined) clauses.push(validUntilClause(role.validUntil));
  return clauses;
}

export function createRoleSql(role: RoleSpec): string {
  return `CREATE ROLE ${quoteIdent(role.name)} WITH ${roleClauses(role, role.encryptedPassword).join(" ")}`;
}

/** ALTER ROLE for the changed attributes, or undefined when none of them is PostgreSQL's (a password removed sets nothing, as in the provider). */
export function alterRoleSql(name: string, changes: Partial<RoleSpec>): string | undefined {
  const clauses = roleClauses(changes, undefined);
  return clauses.length > 0 ? `ALTER ROLE ${quoteIdent(name)} WITH ${clauses.join(" ")}` : undefined;
}

export interface DropRoleOptions {
  readonly admin: string;
  /** The admin is not yet a member of the role and must be made one for REASSIGN/DROP OWNED (not superuser). */
  readonly grantMembership: boolean;
  readonly skipReassignOwned: boolean;
  readonly skipDropRole: boolean;
}

/** The provider's delete, in one transaction: what the role owns goes to the admin, its privileges go, then the role. */
export function dropRoleStatements(name: string, options: DropRoleOptions): string[] {
  const [role, admin] = [quoteIdent(name), quoteIdent(options.admin)];
  const statements = ["BEGIN"];
  if (!options.skipReassignOwned) {
    if (options.grantMembership) statements.push(grantRoleSql(name, options.admin));
    statements.push(`REASSIGN OWNED BY ${role} TO ${admin}`, `DROP OWNED BY ${role}`);
    if (options.grantMembership) statements.push(revokeRoleSql(name, options.admin));
  }
  if (!options.skipDropRole) statements.push(`DROP ROLE ${role}`);
  statements.push("COMMIT");
  return statements;
}

// ---- membership (what a non-superuser admin needs to act for a role) ----

export function grantRoleSql(role: string, member: string): string {
  return `GRANT ${quoteIdent(role)} TO ${quoteIdent(member)}`;
}

export function revokeRoleSql(role: string, member: string): string {
  return `REVOKE ${quoteIdent(role)} FROM ${quoteIdent(member)}`;
}

/**
 * "t" if the connected user may already act as the role: CREATE DATABASE … OWNER needs membership
 * up to PostgreSQL 15 and the SET option from 16 on (where a CREATEROLE admin's automatic grant on
 * the roles it creates has ADMIN only). Always true for a superuser.
 */
export function canActAsRoleSql(role: string): string {
  return (
    `SELECT pg_catalog.pg_has_role(current_user, ${quoteLiteral(role)}, ` +
    `CASE WHEN current_setting('server_version_num')::int >= 160000 THEN 'SET' ELSE 'MEMBER' END)`
  );
}

export const IS_SUPERUSER_SQL = "SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user";

/** One JSON row with RoleSpec's names, or no row. */
export function readRoleSql(name: string): string {
  return (
    "SELECT json_build_object('name', rolname, 'superuser', rolsuper, 'inherit', rolinherit, " +
    "'createRole', rolcreaterole, 'createDatabase', rolcreatedb, 'login', rolcanlogin, 'connectionLimit', rolconnlimit, " +
    "'validUntil', COALESCE(rolvaliduntil::text, 'infinity'), 'replication', rolreplication, 'bypassRowLevelSecurity', rolbypassrls) " +
    `FROM pg_catalog.pg_roles WHERE rolname = ${quoteLiteral(name)}`
  );
}

// ---- Database ----

function optionalClause(keyword: string, value: string | undefined, quote: (v: string) => string): string[] {
  if (value === undefined || value === "") return [];
  return [`${keyword} ${isDefaultKeyword(value) ? "DEFAULT" : quote(value)}`];
}

export function createDatabaseSql(database: DatabaseSpec, admin: string): string {
  const clauses = [
    ...optionalClause("OWNER", database.owner || admin, quoteIdent),
    ...optionalClause("TEMPLATE", database.template || DATABASE_CREATE_DEFAULTS.template, quoteIdent),
    ...optionalClause("ENCODING", database.encoding || DATABASE_CREATE_DEFAULTS.encoding, quoteLiteral),
    ...optionalClause("LC_COLLATE", database.lcCollate, quoteLiteral),
    ...optionalClause("LC_CTYPE", database.lcCtype, quoteLiteral),
    ...optionalClause("TABLESPACE", database.tablespaceName, quoteIdent),
    `ALLOW_CONNECTIONS ${database.allowConnections}`,
    `CONNECTION LIMIT ${Math.trunc(database.connectionLimit)}`,
    `IS_TEMPLATE ${database.isTemplate ?? DATABASE_CREATE_DEFAULTS.isTemplate}`,
  ];
  return `CREATE DATABASE ${quoteIdent(database.name)} ${clauses.join(" ")}`;
}

export function alterDatabaseOwnerSql(name: string, owner: string): string {
  return `ALTER DATABASE ${quoteIdent(name)} OWNER TO ${quoteIdent(owner)}`;
}

/** The in-place changes other than the owner (which needs membership, see alterDatabaseOwnerSql). */
export function alterDatabaseStatements(name: string, changes: Partial<DatabaseSpec>): string[] {
  const db = quoteIdent(name);
  const statements: string[] = [];
  if (changes.tablespaceName !== undefined) statements.push(`ALTER DATABASE ${db} SET TABLESPACE ${quoteIdent(changes.tablespaceName)}`);
  const options: string[] = [];
  if (changes.connectionLimit !== undefined) options.push(`CONNECTION LIMIT ${Math.trunc(changes.connectionLimit)}`);
  if (changes.allowConnections !== undefined) options.push(`ALLOW_CONNECTIONS ${changes.allowConnections}`);
  if (changes.isTemplate !== undefined) options.push(`IS_TEMPLATE ${changes.isTemplate}`);
  if (options.length > 0) statements.push(`ALTER DATABASE ${db} WITH ${options.join(" ")}`);
  return statements;
}

/** The provider's delete: a template is made an ordinary database first, new connections are refused, and sessions still connected are ended by FORCE. */
export function dropDatabaseStatements(name: string, isTemplate: boolean): string[] {
  const db = quoteIdent(name);
  return [
    ...(isTemplate ? [`ALTER DATABASE ${db} IS_TEMPLATE false`] : []),
    `ALTER DATABASE ${db} ALLOW_CONNECTIONS false`,
    `DROP DATABASE ${db} WITH (FORCE)`,
  ];
}

/** One JSON row with DatabaseSpec's names (template excepted: PostgreSQL does not record it), or no row. */
export function readDatabaseSql(name: string): string {
  return (
    "SELECT json_build_object('name', d.datname, 'owner', pg_catalog.pg_get_userbyid(d.datdba), " +
    "'encoding', pg_catalog.pg_encoding_to_char(d.encoding), 'lcCollate', d.datcollate, 'lcCtype', d.datctype, " +
    "'tablespaceName', ts.spcname, 'connectionLimit', d.datconnlimit, 'allowConnections', d.datallowconn, 'isTemplate', d.datistemplate) " +
    "FROM pg_catalog.pg_database AS d JOIN pg_catalog.pg_tablespace AS ts ON ts.oid = d.dattablespace " +
    `WHERE d.datname = ${quoteLiteral(name)}`
  );
}
