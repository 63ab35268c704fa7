/**
 * STAND-IN (engine tier, deploy:local and the bench only, never shipped) for the PostgreSQL
 * provider plugin: what create, read, update and delete do for a Role and for a Database, on a
 * real server through the admin's psql session. Outputs are the checked inputs with the live
 * attributes on top; a secret input (the password) is returned as given, so it stays a secret.
 */
import { Psql } from "./psql";
import {
  DATABASE_CREATE_DEFAULTS,
  DATABASE_FIELDS,
  DatabaseSpec,
  Fields,
  PropertyMap,
  ROLE_FIELDS,
  RoleSpec,
  diffInputs,
  plainSpec,
  reveal,
} from "./resources";
import * as sql from "./sql";

export interface Created {
  readonly id: string;
  readonly outs: PropertyMap;
}

/** What the provider does for one resource type; `read` returns undefined when the object is gone. */
export interface ObjectHandler {
  readonly fields: Fields<object>;
  create(psql: Psql, inputs: PropertyMap): Promise<Created>;
  read(psql: Psql, id: string, props: PropertyMap): Promise<Created | undefined>;
  update(psql: Psql, id: string, olds: PropertyMap, news: PropertyMap): Promise<PropertyMap>;
  delete(psql: Psql, id: string, props: PropertyMap): Promise<void>;
}

/** The changed inputs that PostgreSQL takes in place, as plain values. */
function inPlaceChanges<T>(fields: Fields<T>, olds: PropertyMap, news: PropertyMap): Partial<T> {
  const spec = plainSpec(fields, news) as Record<string, unknown>;
  const keys = diffInputs(fields, olds, news).updates.filter((key) => fields[key as keyof T].change === "update");
  return Object.fromEntries(keys.map((key) => [key, spec[key]])) as Partial<T>;
}

/**
 * Runs `action` with the admin able to act as `role`, as the provider does for a non-superuser
 * admin: GRANT the role to the admin if it cannot yet, and REVOKE it afterwards, failure or not.
 */
async function actingAs<T>(psql: Psql, role: string | undefined, action: () => Promise<T>): Promise<T> {
  if (!role || role === psql.admin || role.toUpperCase() === "DEFAULT" || (await psql.flag(sql.canActAsRoleSql(role)))) return action();
  await psql.run([sql.grantRoleSql(role, psql.admin)]);
  try {
    return await action();
  } finally {
    await psql.run([sql.revokeRoleSql(role, psql.admin)]);
  }
}

type LiveRole = Pick<RoleSpec, "name" | "login" | "superuser" | "createDatabase" | "createRole" | "replication" | "inherit" | "bypassRowLevelSecurity" | "connectionLimit" | "validUntil">;

/**
 * The provider reads a login role's password back from pg_shadow when its configuration says the
 * admin is a superuser (the default), and fails if the admin is not one: the reason components
 * pass `superuser: false`. This stand-in never reads the password, but fails the same way.
 */
async function requirePasswordReadable(psql: Psql, login: boolean, password: unknown): Promise<void> {
  if (!psql.superuser || !login || !reveal(password)) return;
  if (await psql.flag(sql.IS_SUPERUSER_SQL)) return;
  throw new Error(
    `could not read role password from Postgres as connected user ${psql.admin} is not a SUPERUSER. ` +
      "You can set `superuser = false` in the provider configuration so it will not try to read the password from Postgres",
  );
}

async function liveRole(psql: Psql, name: string): Promise<LiveRole> {
  const live = await psql.row<LiveRole>(sql.readRoleSql(name));
  if (!live) throw new Error(`role ${name} is not there right after it was written`);
  return live;
}

export const roles: ObjectHandler = {
  fields: ROLE_FIELDS,

  async create(psql, inputs) {
    const role = plainSpec(ROLE_FIELDS, inputs);
    await requirePasswordReadable(psql, role.login, role.password);
    await psql.run([sql.createRoleSql(role)], [role.password]);
    return { id: role.name, outs: { ...inputs, ...(await liveRole(psql, role.name)) } };
  },

  async read(psql, id, props) {
    const live = await psql.row<LiveRole>(sql.readRoleSql(id));
    if (!live) return undefined;
    await requirePasswordReadable(psql, live.login, props.password);
    return { id: live.name, outs: { ...props, ...live } };
  },

  async update(psql, id, olds, news) {
    const changes = inPlaceChanges(ROLE_FIELDS, olds, news);
    const statement = sql.alterRoleSql(id, changes);
    if (statement) await psql.run([statement], [changes.password]);
    return { ...news, ...(await liveRole(psql, id)) };
  },

  async delete(psql, id, props) {
    if (!(await psql.row(sql.readRoleSql(id)))) return;
    const role = plainSpec(ROLE_FIELDS, props);
    const skipReassignOwned = role.skipReassignOwned === true;
    const grantMembership = !skipReassignOwned && id !== psql.admin && !(await psql.flag(sql.canActAsRoleSql(id)));
    await psql.run(sql.dropRoleStatements(id, { admin: psql.admin, grantMembership, skipReassignOwned, skipDropRole: role.skipDropRole === true }));
  },
};

type LiveDatabase = Omit<DatabaseSpec, "template" | "alterObjectOwnership">;

async function liveDatabase(psql: Psql, name: string): Promise<LiveDatabase> {
  const live = await psql.row<LiveDatabase>(sql.readDatabaseSql(name));
  if (!live) throw new Error(`database ${name} is not there right after it was written`);
  return live;
}

/** PostgreSQL does not record a database's template: the input, else what the state says, else the create default. */
function templateOf(...sources: PropertyMap[]): string {
  const given = sources.map((s) => reveal(s.template)).find((t) => typeof t === "string" && t !== "");
  return (given as string | undefined) ?? DATABASE_CREATE_DEFAULTS.template;
}

export const databases: ObjectHandler = {
  fields: DATABASE_FIELDS,

  async create(psql, inputs) {
    const database = plainSpec(DATABASE_FIELDS, inputs);
    await actingAs(psql, database.owner, () => psql.run([sql.createDatabaseSql(database, psql.admin)]));
    return { id: database.name, outs: { ...inputs, ...(await liveDatabase(psql, database.name)), template: templateOf(inputs) } };
  },

  async read(psql, id, props) {
    const live = await psql.row<LiveDatabase>(sql.readDatabaseSql(id));
    return live && { id: live.name, outs: { ...props, ...live, template: templateOf(props) } };
  },

  async update(psql, id, olds, news) {
    const changes = inPlaceChanges(DATABASE_FIELDS, olds, news);
    // As the provider: membership for the new owner only; the other ALTERs need the admin to own the database already.
    if (changes.owner !== undefined) await actingAs(psql, changes.owner, () => psql.run([sql.alterDatabaseOwnerSql(id, changes.owner!)]));
    const statements = sql.alterDatabaseStatements(id, changes);
    if (statements.length > 0) await psql.run(statements);
    return { ...news, ...(await liveDatabase(psql, id)), template: templateOf(news, olds) };
  },

  async delete(psql, id) {
    const live = await psql.row<LiveDatabase>(sql.readDatabaseSql(id));
    if (!live) return;
    await actingAs(psql, live.owner, () => psql.run(sql.dropDatabaseStatements(id, live.isTemplate === true)));
  },
};
