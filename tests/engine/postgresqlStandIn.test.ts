// Fast tier: the pure parts of the PostgreSQL provider stand-in (the engine tier's; never shipped):
// statements, quoting, defaults, checks, the replace-vs-update rule and the provider configuration.
// Against a real PostgreSQL: tests/e2e/postgresqlProviderStandIn.test.ts.
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import { specialSecretSig, specialSigKey, unknownValue } from "@pulumi/pulumi/runtime/rpc";
import * as structproto from "google-protobuf/google/protobuf/struct_pb";
import { describe, expect, it } from "vitest";
import { databaseSpec } from "../../builders/database";
import { configFromVariables, connectionConfig } from "../../scripts/lib/localWorld/postgresql-provider-stand-in/config";
import { PostgresqlStandIn, providerInputsOf } from "../../scripts/lib/localWorld/postgresql-provider-stand-in/provider";
import { redact } from "../../scripts/lib/localWorld/postgresql-provider-stand-in/psql";
import {
  DATABASE_FIELDS,
  PropertyMap,
  ROLE_FIELDS,
  RoleSpec,
  databaseInputProblems,
  diffInputs,
  inputProblems,
  plainSpec,
  ROLE_UNSERVED,
  withDefaults,
} from "../../scripts/lib/localWorld/postgresql-provider-stand-in/resources";
import * as sql from "../../scripts/lib/localWorld/postgresql-provider-stand-in/sql";

const secret = (value: string) => ({ [specialSigKey]: specialSecretSig, value });
const spec = databaseSpec({ host: "db", port: 5432, sslmode: "require", adminUser: "platform_admin", database: "flipt", role: "flipt", connectionLimit: 10 });
const HOSTILE_NAME = `o'brien "x" \\`;
const HOSTILE_PASSWORD = `it's \\ "q"`;
const role = (overrides: Partial<RoleSpec> = {}): RoleSpec => plainSpec(ROLE_FIELDS, withDefaults(ROLE_FIELDS, { ...spec.role, ...overrides }));

describe("PostgreSQL provider stand-in: quoting", () => {
  it("doubles the double quote in identifiers and the single quote in literals, and leaves a backslash alone", () => {
    expect(sql.quoteIdent(HOSTILE_NAME)).toBe(`"o'brien ""x"" \\"`);
    expect(sql.quoteLiteral(HOSTILE_PASSWORD)).toBe(`'it''s \\ "q"'`);
  });

  it("runs every script with standard_conforming_strings on, so a backslash in a literal stays a backslash", () => {
    expect(sql.SCRIPT_PREAMBLE).toBe("SET standard_conforming_strings = on");
  });

  it("redacts a secret from error output, bare and as a quoted literal", () => {
    expect(redact(`LINE 1: ... PASSWORD 'it''s' and it's`, ["it's"])).toBe("LINE 1: ... PASSWORD '[secret]' and [secret]");
  });
});

describe("PostgreSQL provider stand-in: role statements", () => {
  it("creates databaseSpec()'s role with every attribute spelled out, as the provider does", () => {
    expect(sql.createRoleSql(role({ password: HOSTILE_PASSWORD }))).toBe(
      `CREATE ROLE "flipt" WITH NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT LOGIN NOBYPASSRLS NOREPLICATION CONNECTION LIMIT 10 ` +
        `ENCRYPTED PASSWORD 'it''s \\ "q"' VALID UNTIL 'infinity'`,
    );
  });

  it.each([
    { name: "no password", password: undefined, clause: undefined },
    { name: "an empty password", password: "", clause: undefined },
    { name: "NULL", password: "null", clause: "PASSWORD NULL" },
  ])("sets no password or removes it: $name", ({ password, clause }) => {
    const statement = sql.createRoleSql(role({ name: HOSTILE_NAME, password }));
    expect(statement.startsWith(`CREATE ROLE "o'brien ""x"" \\" WITH`)).toBe(true);
    if (clause) expect(statement).toContain(clause);
    else expect(statement).not.toContain("PASSWORD");
  });

  it("alters only the changed attributes, and nothing when none of them is PostgreSQL's", () => {
    expect(sql.alterRoleSql("flipt", { connectionLimit: 5, login: false, password: "n'w" })).toBe(`ALTER ROLE "flipt" WITH NOLOGIN CONNECTION LIMIT 5 PASSWORD 'n''w'`);
    expect(sql.alterRoleSql("flipt", { validUntil: "2030-01-01" })).toBe(`ALTER ROLE "flipt" WITH VALID UNTIL '2030-01-01'`);
    expect(sql.alterRoleSql("flipt", { password: undefined })).toBeUndefined();
  });

  it("drops a role in one transaction: membership for a non-superuser admin, REASSIGN and DROP OWNED, then DROP ROLE", () => {
    expect(sql.dropRoleStatements(HOSTILE_NAME, { admin: "platform_admin", grantMembership: true, skipReassignOwned: false, skipDropRole: false })).toEqual([
      "BEGIN",
      `GRANT "o'brien ""x"" \\" TO "platform_admin"`,
      `REASSIGN OWNED BY "o'brien ""x"" \\" TO "platform_admin"`,
      `DROP OWNED BY "o'brien ""x"" \\"`,
      `REVOKE "o'brien ""x"" \\" FROM "platform_admin"`,
      `DROP ROLE "o'brien ""x"" \\"`,
      "COMMIT",
    ]);
    expect(sql.dropRoleStatements("r", { admin: "a", grantMembership: false, skipReassignOwned: true, skipDropRole: false })).toEqual(["BEGIN", `DROP ROLE "r"`, "COMMIT"]);
  });

  it("asks for the SET option from PostgreSQL 16 on and for membership before it", () => {
    expect(sql.canActAsRoleSql("o'x")).toContain(`pg_has_role(current_user, 'o''x', CASE WHEN current_setting('server_version_num')::int >= 160000 THEN 'SET' ELSE 'MEMBER' END)`);
  });
});

describe("PostgreSQL provider stand-in: database statements", () => {
  const database = (overrides: PropertyMap = {}) => plainSpec(DATABASE_FIELDS, withDefaults(DATABASE_FIELDS, { name: "flipt", ...overrides }));

  it("creates with the provider's defaults: the admin as owner, template0, UTF8, connections allowed, no limit, not a template", () => {
    expect(sql.createDatabaseSql(database(), "platform_admin")).toBe(
      `CREATE DATABASE "flipt" OWNER "platform_admin" TEMPLATE "template0" ENCODING 'UTF8' ALLOW_CONNECTIONS true CONNECTION LIMIT -1 IS_TEMPLATE false`,
    );
  });

  it("creates databaseSpec()'s database owned by its role, and quotes a hostile name and locale", () => {
    expect(sql.createDatabaseSql(database({ ...spec.database, name: HOSTILE_NAME, lcCollate: "C'", tablespaceName: "DEFAULT" }), "platform_admin")).toBe(
      `CREATE DATABASE "o'brien ""x"" \\" OWNER "flipt" TEMPLATE "template0" ENCODING 'UTF8' LC_COLLATE 'C''' TABLESPACE DEFAULT ` +
        "ALLOW_CONNECTIONS true CONNECTION LIMIT -1 IS_TEMPLATE false",
    );
  });

  it("alters in place with one ALTER DATABASE for the options, and a separate one for the owner", () => {
    expect(sql.alterDatabaseStatements("flipt", { connectionLimit: 3, allowConnections: false, isTemplate: true })).toEqual([`ALTER DATABASE "flipt" WITH CONNECTION LIMIT 3 ALLOW_CONNECTIONS false IS_TEMPLATE true`]);
    expect(sql.alterDatabaseStatements("flipt", {})).toEqual([]);
    expect(sql.alterDatabaseOwnerSql("flipt", "o'x")).toBe(`ALTER DATABASE "flipt" OWNER TO "o'x"`);
  });

  it("drops WITH (FORCE) after refusing new connections, and clears IS_TEMPLATE first for a template", () => {
    expect(sql.dropDatabaseStatements("flipt", false)).toEqual([`ALTER DATABASE "flipt" ALLOW_CONNECTIONS false`, `DROP DATABASE "flipt" WITH (FORCE)`]);
    expect(sql.dropDatabaseStatements("flipt", true)[0]).toBe(`ALTER DATABASE "flipt" IS_TEMPLATE false`);
  });
});

describe("PostgreSQL provider stand-in: defaults and checks", () => {
  it("fills in @pulumi/postgresql 3.18.1's role defaults and keeps the secret password as given", () => {
    expect(withDefaults(ROLE_FIELDS, { name: "r", password: secret("p") })).toEqual({
      name: "r",
      password: secret("p"),
      login: false,
      superuser: false,
      createDatabase: false,
      createRole: false,
      replication: false,
      inherit: true,
      bypassRowLevelSecurity: false,
      connectionLimit: -1,
      validUntil: "infinity",
      encryptedPassword: true,
      skipDropRole: false,
      skipReassignOwned: false,
    });
  });

  it("fills in the database defaults and leaves the computed inputs unset", () => {
    expect(withDefaults(DATABASE_FIELDS, { name: "d", owner: null })).toEqual({ name: "d", connectionLimit: -1, allowConnections: true, alterObjectOwnership: false });
  });

  it.each([
    { name: "an empty name", inputs: { name: "" }, reason: "name must be a non-empty string" },
    { name: "no name", inputs: {}, reason: "name is required (this stand-in does not auto-name)" },
    { name: "a name PostgreSQL would truncate", inputs: { name: "x".repeat(64) }, reason: "name must be at most 63 bytes (PostgreSQL would truncate it), got 64" },
    { name: "a connection limit below -1", inputs: { name: "r", connectionLimit: -2 }, reason: "connectionLimit must be an integer of at least -1 (no limit), got -2" },
    { name: "a string for a boolean", inputs: { name: "r", login: "yes" }, reason: 'login must be true or false, got "yes"' },
    { name: "an unserved input", inputs: { name: "r", searchPaths: ["a"] }, reason: "searchPaths is not served by the PostgreSQL provider stand-in (test only); the real provider supports it" },
  ])("reports $name for a role", ({ inputs, reason }) => {
    expect(inputProblems(ROLE_FIELDS, ROLE_UNSERVED, withDefaults(ROLE_FIELDS, inputs)).map((f) => f.reason)).toEqual([reason]);
  });

  it("does not judge a value unknown during preview, and reports an unserved alterObjectOwnership and an empty owner for a database", () => {
    expect(inputProblems(ROLE_FIELDS, ROLE_UNSERVED, withDefaults(ROLE_FIELDS, { name: unknownValue, password: secret(unknownValue) }))).toEqual([]);
    expect(databaseInputProblems(withDefaults(DATABASE_FIELDS, { name: "d", owner: "", alterObjectOwnership: true })).map((f) => f.property)).toEqual(["owner", "alterObjectOwnership"]);
  });
});

describe("PostgreSQL provider stand-in: replace or update in place", () => {
  const roleOuts = withDefaults(ROLE_FIELDS, { ...spec.role, password: secret("old") });
  const databaseOuts = { ...withDefaults(DATABASE_FIELDS, { name: "flipt", owner: "flipt" }), template: "template0", encoding: "UTF8", lcCollate: "C.UTF-8", lcCtype: "C.UTF-8", tablespaceName: "pg_default", isTemplate: false };

  it.each([
    ["name", "flipt_v2", "replace"],
    ["password", secret("new"), "update"],
    ["connectionLimit", 5, "update"],
    ["login", false, "update"],
    ["createDatabase", true, "update"],
    ["createRole", true, "update"],
    ["replication", true, "update"],
    ["superuser", true, "update"],
    ["validUntil", "2030-01-01", "update"],
    ["skipDropRole", true, "update"],
  ] as const)("role: a change of %s is a %s", (key, value, kind) => {
    const diff = diffInputs(ROLE_FIELDS, roleOuts, { ...roleOuts, [key]: value });
    expect(diff).toEqual({ changes: true, replaces: kind === "replace" ? [key] : [], updates: kind === "update" ? [key] : [], deleteBeforeReplace: false });
  });

  it.each([
    ["name", "flipt2", "replace"],
    ["encoding", "SQL_ASCII", "replace"],
    ["template", "template1", "replace"],
    ["lcCollate", "C", "replace"],
    ["lcCtype", "C", "replace"],
    ["owner", "someone", "update"],
    ["connectionLimit", 3, "update"],
    ["allowConnections", false, "update"],
    ["isTemplate", true, "update"],
  ] as const)("database: a change of %s is a %s", (key, value, kind) => {
    const diff = diffInputs(DATABASE_FIELDS, databaseOuts, { ...databaseOuts, [key]: value });
    expect(diff.replaces).toEqual(kind === "replace" ? [key] : []);
    expect(diff.updates).toEqual(kind === "update" ? [key] : []);
  });

  it("drops first when a replacement keeps the name (the new database could not be created beside the old), not when the name changes", () => {
    expect(diffInputs(DATABASE_FIELDS, databaseOuts, { ...databaseOuts, encoding: "SQL_ASCII" }).deleteBeforeReplace).toBe(true);
    expect(diffInputs(DATABASE_FIELDS, databaseOuts, { ...databaseOuts, name: "other", encoding: "SQL_ASCII" }).deleteBeforeReplace).toBe(false);
  });

  it("sees no change for unset computed inputs or an equal secret, and a change for a value unknown during preview", () => {
    const news = withDefaults(DATABASE_FIELDS, { name: "flipt", owner: "flipt" });
    expect(diffInputs(DATABASE_FIELDS, databaseOuts, news).changes).toBe(false);
    expect(diffInputs(ROLE_FIELDS, roleOuts, { ...roleOuts, password: secret("old") }).changes).toBe(false);
    expect(diffInputs(DATABASE_FIELDS, databaseOuts, { ...news, owner: unknownValue }).updates).toEqual(["owner"]);
  });
});

describe("PostgreSQL provider stand-in: provider configuration", () => {
  it("reads the provider inputs in the form the SDK sends them (non-strings JSON-encoded, the password secret)", () => {
    const config = connectionConfig({ host: "db", port: "6432", sslmode: "disable", username: "platform_admin", password: secret("pw"), superuser: "false", connectTimeout: "180" });
    expect(config).toEqual({ host: "db", port: 6432, username: "platform_admin", databaseUsername: "platform_admin", password: "pw", sslmode: "disable", sslrootcert: undefined, database: "postgres", superuser: false, connectTimeoutSeconds: 180 });
  });

  it("applies the provider's own defaults, without PG* environment fallbacks", () => {
    expect(connectionConfig({ host: "db" })).toMatchObject({ port: 5432, username: "postgres", sslmode: "require", database: "postgres", superuser: true, password: undefined });
  });

  it("names every bad key at once", () => {
    expect(() => connectionConfig({ port: "x", sslmode: "sometimes", awsRdsIamAuth: "true" })).toThrow(
      'postgresql provider configuration: awsRdsIamAuth is not served by the PostgreSQL provider stand-in (test only): it logs in with username and password; host is required (the stand-in has no PGHOST fallback); port must be an integer, got "x"; sslmode must be one of disable, allow, prefer, require, verify-ca, verify-full, got "sometimes"',
    );
  });

  it("takes the Configure request's args, and its variables from an engine that sends no args", () => {
    const withArgs = new provproto.ConfigureRequest();
    withArgs.setArgs(structproto.Struct.fromJavaScript({ host: "db", password: secret("pw") }));
    withArgs.getVariablesMap().set("postgresql:config:host", "ignored");
    expect(providerInputsOf(withArgs)).toEqual({ host: "db", password: secret("pw") });
    const withVariables = new provproto.ConfigureRequest();
    withVariables.getVariablesMap().set("postgresql:config:host", "db").set("postgresql:config:port", "5433").set("other:config:x", "y");
    expect(providerInputsOf(withVariables)).toEqual({ host: "db", port: "5433" });
    expect(configFromVariables([["postgresql:config:superuser", "false"]])).toEqual({ superuser: "false" });
  });
});

describe("PostgreSQL provider stand-in: the Provider object", () => {
  const standIn = new PostgresqlStandIn({ pgBinDir: "" });
  const urn = (type: string) => `urn:pulumi:dev::flipt-deploy::flipt-deploy:index:FliptDatabase$${type}::db`;

  it("reports the version of @pulumi/postgresql the program depends on", () => {
    expect(standIn.version).toBe((require("@pulumi/postgresql/package.json") as { version: string }).version);
  });

  it("checks with defaults filled in and a clear failure for an empty name", async () => {
    const result = await standIn.check(urn("postgresql:index/role:Role"), {}, { name: "", login: true });
    expect(result.inputs).toMatchObject({ name: "", login: true, connectionLimit: -1 });
    expect(result.failures).toEqual([{ property: "name", reason: "name must be a non-empty string" }]);
  });

  it("refuses a type it does not serve, and any create before it is configured", async () => {
    await expect(standIn.check(urn("postgresql:index/grant:Grant"), {}, {})).rejects.toThrow("serves only postgresql:index/role:Role and postgresql:index/database:Database, not postgresql:index/grant:Grant");
    await expect(standIn.create(urn("postgresql:index/role:Role"), { name: "r" })).rejects.toThrow("was not configured");
  });
});
