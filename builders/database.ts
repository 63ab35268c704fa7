import { PostgresSettings, Settings } from "../settings/types";
import { FLIPT } from "./names";

/** What the Database component asks of PostgreSQL; also what the end-to-end tests create. */
export interface DatabaseSpec {
  readonly role: {
    readonly name: string;
    readonly login: true;
    readonly superuser: false;
    readonly createDatabase: false;
    readonly createRole: false;
    readonly replication: false;
    readonly connectionLimit: number;
  };
  readonly database: {
    readonly name: string;
    /** The role owns the database, so Flipt's migrations can create tables in `public` (PostgreSQL 15+). */
    readonly owner: string;
    readonly encoding: "UTF8";
    readonly template: "template0";
  };
}

export function databaseSpec(postgres: PostgresSettings): DatabaseSpec {
  return {
    role: {
      name: postgres.role,
      login: true,
      superuser: false,
      createDatabase: false,
      createRole: false,
      replication: false,
      connectionLimit: postgres.connectionLimit,
    },
    database: { name: postgres.database, owner: postgres.role, encoding: "UTF8", template: "template0" },
  };
}

/** A PostgreSQL identifier in double quotes. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A PostgreSQL string literal. */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** The same spec as SQL statements, for a PostgreSQL the tests run themselves (the provider does this in a cluster). */
export function databaseSpecSql(spec: DatabaseSpec, password: string): string[] {
  const { role, database } = spec;
  return [
    `CREATE ROLE ${quoteIdent(role.name)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION ` +
      `CONNECTION LIMIT ${role.connectionLimit} PASSWORD ${quoteLiteral(password)}`,
    `CREATE DATABASE ${quoteIdent(database.name)} OWNER ${quoteIdent(database.owner)} ` +
      `ENCODING ${quoteLiteral(database.encoding)} TEMPLATE ${database.template}`,
  ];
}

/** Flipt's connection URL to its own database, with user and password URL-encoded. */
export function postgresUrl(postgres: PostgresSettings, password: string): string {
  const user = encodeURIComponent(postgres.role);
  const pass = encodeURIComponent(password);
  const host = postgres.host.includes(":") ? `[${postgres.host}]` : postgres.host;
  return `postgres://${user}:${pass}@${host}:${postgres.port}/${encodeURIComponent(postgres.database)}?sslmode=${postgres.sslmode}`;
}

/** SQLite on the pod's emptyDir, for review stacks that do not touch the shared PostgreSQL. */
export const SQLITE_URL = `file:${FLIPT.dataDir}/flipt.db`;

/** The database URL Flipt gets through FLIPT_DB_URL: PostgreSQL with the role's password, or SQLite. */
export function fliptDatabaseUrl(settings: Settings, rolePassword: string): string {
  const { postgres } = settings.database;
  return settings.database.mode === "postgres" && postgres ? postgresUrl(postgres, rolePassword) : SQLITE_URL;
}
