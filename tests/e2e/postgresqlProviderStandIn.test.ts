// Real-service tier, no Flipt: the PostgreSQL provider stand-in (scripts/lib/localWorld/postgresql-provider-stand-in/)
// against a real PostgreSQL, with an admin that has only CREATEROLE and CREATEDB, as on a managed server.
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import * as emptyproto from "google-protobuf/google/protobuf/empty_pb";
import * as structproto from "google-protobuf/google/protobuf/struct_pb";
import * as provrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as plugproto from "@pulumi/pulumi/proto/plugin_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseSpec } from "../../builders/database";
import { PostgresqlStandIn } from "../../scripts/lib/localWorld/postgresql-provider-stand-in/provider";
import { PropertyMap, isSecret, reveal } from "../../scripts/lib/localWorld/postgresql-provider-stand-in/resources";
import { PostgresServer } from "../../scripts/lib/postgres";
import { ManagedProcess, Supervisor, waitFor } from "../../scripts/lib/processes";
import { toolchainPaths } from "../../scripts/toolchain/paths";

const ADMIN = "platform_admin";
const ADMIN_PASSWORD = `admin-${randomBytes(8).toString("hex")}`;
const ROLE_URN = "urn:pulumi:e2e::flipt-deploy::flipt-deploy:index:FliptDatabase$postgresql:index/role:Role::flipt-db-role";
const DATABASE_URN = "urn:pulumi:e2e::flipt-deploy::flipt-deploy:index:FliptDatabase$postgresql:index/database:Database::flipt-db-database";
const LAUNCHER = path.join(__dirname, "../../scripts/lib/localWorld/postgresql-provider-stand-in/pulumi-resource-postgresql");
const WAIT_MS = 15_000;

const secret = (value: string) => ({ [specialSigKey]: specialSecretSig, value });

describe("PostgreSQL provider stand-in on a real PostgreSQL, as a non-superuser admin", () => {
  const supervisor = new Supervisor();
  const pgBinDir = toolchainPaths().pgBinDir;
  let server: PostgresServer;
  let standIn: PostgresqlStandIn;
  const spec = databaseSpec({ host: "127.0.0.1", port: 5432, sslmode: "disable", adminUser: ADMIN, database: "flipt", role: "flipt", connectionLimit: 10 });
  const password = `p'w\\${randomBytes(8).toString("hex")}`;

  /** The inputs of the provider resource as the SDK sends them: non-strings JSON-encoded, the password secret. */
  const providerInputs = (): PropertyMap => ({
    host: server.host,
    port: String(server.port),
    sslmode: "disable",
    username: ADMIN,
    password: secret(ADMIN_PASSWORD),
    superuser: "false",
    connectTimeout: "180",
  });
  const roleInputs = (overrides: PropertyMap = {}): PropertyMap => ({ ...spec.role, password: secret(password), ...overrides });
  const databaseInputs = (overrides: PropertyMap = {}): PropertyMap => ({ name: spec.database.name, owner: spec.role.name, encoding: spec.database.encoding, template: spec.database.template, ...overrides });
  const checked = async (urn: string, inputs: PropertyMap) => {
    const result = await standIn.check(urn, {}, inputs);
    expect(result.failures).toEqual([]);
    return result.inputs as PropertyMap;
  };
  const roleRow = (name: string) =>
    server.psql([`SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolconnlimit FROM pg_roles WHERE rolname = '${name}'`]);
  const canLogIn = (user: string, pw: string) => {
    try {
      return server.psqlAs(user, pw, ["SELECT current_user"]) === user;
    } catch {
      return false;
    }
  };

  let roleOuts: PropertyMap;
  let databaseOuts: PropertyMap;

  beforeAll(async () => {
    server = await PostgresServer.start(supervisor, { pgBinDir, superuserPassword: randomBytes(12).toString("hex") });
    server.psql([`CREATE ROLE ${ADMIN} LOGIN CREATEROLE CREATEDB PASSWORD '${ADMIN_PASSWORD}'`]);
    standIn = new PostgresqlStandIn({ pgBinDir });
    standIn.configure(providerInputs());
  });
  afterAll(async () => {
    await supervisor.stopAll();
  });

  it("creates the role with the attributes databaseSpec() gives, and it logs in with its password", async () => {
    const created = await standIn.create(ROLE_URN, await checked(ROLE_URN, roleInputs()));
    roleOuts = created.outs as PropertyMap;
    expect(created.id).toBe("flipt");
    expect(roleRow("flipt")).toBe("t|f|f|f|f|10");
    expect(canLogIn("flipt", password)).toBe(true);
    expect(isSecret(roleOuts.password), "the password comes back as the secret it was given").toBe(true);
    expect(roleOuts).toMatchObject({ name: "flipt", login: true, connectionLimit: 10, inherit: true, validUntil: "infinity" });
  });

  it("creates the database owned by the role, and the admin keeps no membership of the role afterwards", async () => {
    const created = await standIn.create(DATABASE_URN, await checked(DATABASE_URN, databaseInputs()));
    databaseOuts = created.outs as PropertyMap;
    expect(created.id).toBe("flipt");
    expect(server.psql(["SELECT pg_get_userbyid(datdba), pg_encoding_to_char(encoding), datconnlimit, datallowconn FROM pg_database WHERE datname = 'flipt'"])).toBe("flipt|UTF8|-1|t");
    expect(server.psql([`SELECT count(*) FROM pg_auth_members WHERE roleid = 'flipt'::regrole AND member = '${ADMIN}'::regrole`])).toBe("0");
    expect(databaseOuts).toMatchObject({ owner: "flipt", template: "template0", encoding: "UTF8", connectionLimit: -1, allowConnections: true, isTemplate: false });
  });

  it("reads back a hand-made ALTER ROLE … CONNECTION LIMIT 5; diff makes it an in-place update, and update puts 10 back", async () => {
    server.psql(["ALTER ROLE flipt CONNECTION LIMIT 5"]);
    const read = await standIn.read("flipt", ROLE_URN, roleOuts);
    expect(read.props).toMatchObject({ connectionLimit: 5 });
    const news = await checked(ROLE_URN, roleInputs());
    expect(await standIn.diff("flipt", ROLE_URN, read.props, news)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    roleOuts = (await standIn.update("flipt", ROLE_URN, read.props, news)).outs as PropertyMap;
    expect(roleOuts.connectionLimit).toBe(10);
    expect(roleRow("flipt")).toBe("t|f|f|f|f|10");
  });

  it("changes the password in place: the new one works, the old one no longer does", async () => {
    const newPassword = `n3w'${randomBytes(8).toString("hex")}\\`;
    const news = await checked(ROLE_URN, roleInputs({ password: secret(newPassword) }));
    expect(await standIn.diff("flipt", ROLE_URN, roleOuts, news)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    roleOuts = (await standIn.update("flipt", ROLE_URN, roleOuts, news)).outs as PropertyMap;
    expect(canLogIn("flipt", newPassword)).toBe(true);
    expect(canLogIn("flipt", password)).toBe(false);
    expect(roleOuts.password).toEqual(secret(newPassword));
  });

  it("calls a new role name a replace, and unchanged inputs no change", async () => {
    const renamed = await checked(ROLE_URN, roleInputs({ name: "flipt_v2" }));
    expect(await standIn.diff("flipt", ROLE_URN, roleOuts, renamed)).toEqual({ changes: true, replaces: ["name"], deleteBeforeReplace: false });
    const same = await checked(ROLE_URN, { ...roleInputs(), password: roleOuts.password });
    expect((await standIn.diff("flipt", ROLE_URN, roleOuts, same)).changes).toBe(false);
    expect((await standIn.diff("flipt", DATABASE_URN, databaseOuts, await checked(DATABASE_URN, databaseInputs()))).changes).toBe(false);
  });

  it("refuses a database connection-limit change for an admin that does not own the database, as the real provider's ALTER DATABASE is refused", async () => {
    const news = await checked(DATABASE_URN, databaseInputs({ connectionLimit: 3 }));
    expect(await standIn.diff("flipt", DATABASE_URN, databaseOuts, news)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    await expect(standIn.update("flipt", DATABASE_URN, databaseOuts, news)).rejects.toThrow(/must be owner of database flipt/);
  });

  it("fails as the real provider does when the configuration leaves superuser at its default (true) for an admin that is not one", async () => {
    const strict = new PostgresqlStandIn({ pgBinDir });
    strict.configure({ ...providerInputs(), superuser: undefined });
    await expect(strict.create(ROLE_URN, await checked(ROLE_URN, roleInputs({ name: "flipt_strict" })))).rejects.toThrow(/connected user platform_admin is not a SUPERUSER/);
    expect(server.psql(["SELECT count(*) FROM pg_roles WHERE rolname = 'flipt_strict'"])).toBe("0");
  });

  it("creates and drops a role whose name and password hold a quote and a backslash", async () => {
    const name = `o'brien "x" \\`;
    const hostilePassword = `it's \\"${randomBytes(4).toString("hex")}`;
    const created = await standIn.create(ROLE_URN, await checked(ROLE_URN, roleInputs({ name, password: secret(hostilePassword) })));
    expect(created.id).toBe(name);
    expect(canLogIn(name, hostilePassword)).toBe(true);
    await standIn.delete(name, ROLE_URN, created.outs as PropertyMap);
    expect((await standIn.read(name, ROLE_URN, created.outs as PropertyMap)).id).toBe("");
  });

  it("drops the database WITH (FORCE) while the role has a session in it, then the role; read reports both gone", async () => {
    const session = holdSession(supervisor, server, pgBinDir, roleOuts);
    const sessions = () => server.psql(["SELECT count(*) FROM pg_stat_activity WHERE datname = 'flipt'"]);
    await waitFor(
      () => {
        if (!session.running) throw new Error(`the session ended early: ${session.tail()}`);
        return sessions() === "1";
      },
      { timeoutMs: WAIT_MS, what: "the role's session in flipt" },
    );
    await standIn.delete("flipt", DATABASE_URN, databaseOuts);
    await session.exitWithin(WAIT_MS);
    await standIn.delete("flipt", ROLE_URN, roleOuts);
    expect(server.psql(["SELECT count(*) FROM pg_database WHERE datname = 'flipt'"])).toBe("0");
    expect(server.psql(["SELECT count(*) FROM pg_roles WHERE rolname = 'flipt'"])).toBe("0");
    expect((await standIn.read("flipt", DATABASE_URN, databaseOuts)).id).toBe("");
    expect((await standIn.read("flipt", ROLE_URN, roleOuts)).id).toBe("");
  });

  it("serves over gRPC as the engine calls it: Configure's args reach it, the PG* environment does not, and the password stays secret", async () => {
    // A wrong PG* environment: the stand-in must connect where the provider configuration says, or fail.
    const env = { ...process.env, PGHOST: "192.0.2.1", PGPORT: "1", PGUSER: "nobody", PGPASSWORD: "wrong" };
    const plugin = supervisor.spawn("pulumi-resource-postgresql", LAUNCHER, [], { env });
    const port = await waitFor(() => plugin.output().find((line) => /^\d+$/.test(line)), { timeoutMs: WAIT_MS, what: "the plugin's port" });
    const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      const info = await unary<plugproto.PluginInfo>(client, "getPluginInfo", new emptyproto.Empty());
      expect(info.getVersion()).toBe((require("@pulumi/postgresql/package.json") as { version: string }).version);
      await expect(unary(client, "configure", configureRequest({ ...providerInputs(), host: undefined }))).rejects.toThrow(/host is required/);
      await unary(client, "configure", configureRequest(providerInputs()));
      const check = await unary<provproto.CheckResponse>(client, "check", checkRequest(ROLE_URN, roleInputs({ name: "flipt_grpc" })));
      expect(check.getFailuresList()).toEqual([]);
      const create = await unary<provproto.CreateResponse>(client, "create", createRequest(ROLE_URN, check.getInputs()!.toJavaScript()));
      expect(create.getId()).toBe("flipt_grpc");
      const outs = create.getProperties()!.toJavaScript();
      expect(outs.password).toEqual(secret(password));
      expect(canLogIn("flipt_grpc", password)).toBe(true);
      await unary(client, "delete", deleteRequest(ROLE_URN, "flipt_grpc", outs));
      expect(server.psql(["SELECT count(*) FROM pg_roles WHERE rolname = 'flipt_grpc'"])).toBe("0");
    } finally {
      client.close();
      await plugin.stop();
    }
  });
});

/** A psql session as the role in its database, kept open for a minute (or until the server ends it). */
function holdSession(supervisor: Supervisor, server: PostgresServer, pgBinDir: string, role: PropertyMap): ManagedProcess {
  const args = ["-X", "-w", "-h", server.host, "-p", String(server.port), "-U", String(role.name), "-d", "flipt", "-c", "SELECT pg_sleep(60)"];
  return supervisor.spawn("role-session", path.join(pgBinDir, "psql"), args, { env: { PATH: process.env.PATH, PGPASSWORD: String(reveal(role.password)) } });
}

const struct = (value: PropertyMap) => structproto.Struct.fromJavaScript(JSON.parse(JSON.stringify(value)) as Record<string, structproto.JavaScriptValue>);

/** What the engine sends: the provider resource's inputs as `args`. */
function configureRequest(inputs: PropertyMap): provproto.ConfigureRequest {
  const request = new provproto.ConfigureRequest();
  request.setArgs(struct(inputs));
  request.setAcceptsecrets(true);
  return request;
}

function checkRequest(urn: string, news: PropertyMap): provproto.CheckRequest {
  const request = new provproto.CheckRequest();
  request.setUrn(urn);
  request.setOlds(struct({}));
  request.setNews(struct(news));
  return request;
}

function createRequest(urn: string, properties: PropertyMap): provproto.CreateRequest {
  const request = new provproto.CreateRequest();
  request.setUrn(urn);
  request.setProperties(struct(properties));
  return request;
}

function deleteRequest(urn: string, id: string, properties: PropertyMap): provproto.DeleteRequest {
  const request = new provproto.DeleteRequest();
  request.setUrn(urn);
  request.setId(id);
  request.setProperties(struct(properties));
  return request;
}

/** One unary call of the plugin's gRPC service, bounded by a deadline. */
function unary<T = unknown>(client: provrpc.ResourceProviderClient, method: string, request: unknown): Promise<T> {
  const call = (client as unknown as Record<string, (r: unknown, m: grpc.Metadata, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, v: T) => void) => void>)[method];
  return new Promise((resolve, reject) => {
    call.call(client, request, new grpc.Metadata(), { deadline: Date.now() + WAIT_MS }, (error, value) => (error ? reject(new Error(error.details || error.message)) : resolve(value)));
  });
}
