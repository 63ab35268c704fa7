import { afterAll, beforeAll, expect, test } from "vitest";
import { databaseSpec } from "../../builders/database";
import { servedNamespaces } from "../../scripts/lib/flagFiles";
import { E2EStack, REPO_FLAGS_DIR, ROLE_PASSWORD, describeWithFlipt, startStack } from "./harness/stack";
import { figure } from "./harness/summary";

describeWithFlipt("scenario 1: boot from what we render", () => {
  let stack: E2EStack;
  let startMs: number;

  beforeAll(async () => {
    const started = Date.now();
    stack = await startStack({ database: "postgres" });
    startMs = Date.now() - started;
  });
  afterAll(async () => stack?.stop());

  test("PostgreSQL is 15 or later and the role is a plain login role that owns its database", ({ task }) => {
    const pg = stack.postgres!;
    const spec = databaseSpec(stack.postgresSettings!);
    const version = Number(pg.psql(["SHOW server_version_num"]));
    figure(task, "postgres", String(version));
    expect(version).toBeGreaterThanOrEqual(150000);
    const role = pg.psql([`SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolcanlogin, rolconnlimit FROM pg_roles WHERE rolname = '${spec.role.name}'`]);
    expect(role).toBe(`f|f|f|f|t|${spec.role.connectionLimit}`);
    const owner = pg.psql([`SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '${spec.database.name}'`]);
    expect(owner).toBe(spec.role.name);
  });

  test("Flipt runs its migrations as the role, over a DSN with a URL-special password, and becomes healthy", ({ task }) => {
    const spec = databaseSpec(stack.postgresSettings!);
    figure(task, "render to healthy", `${startMs} ms`);
    figure(task, "password", JSON.stringify(ROLE_PASSWORD));
    // The role itself can log in with the password: the DSN's encoding round-trips.
    const tables = stack.postgres!.psqlAs(spec.role.name, ROLE_PASSWORD, [
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user ORDER BY 1",
    ], spec.database.name);
    expect(tables.split("\n")).toEqual(expect.arrayContaining(["authentications", "schema_migrations"]));
    const [version, dirty] = stack.postgres!.psqlAs(spec.role.name, ROLE_PASSWORD, ["SELECT version, dirty FROM schema_migrations"], spec.database.name).split("|");
    figure(task, "schema version", version);
    expect(Number(version)).toBeGreaterThan(0);
    expect(dirty).toBe("f");
  });

  test("the management API rejects a request without the bootstrap token and accepts one with it", async ({ task }) => {
    const url = `${stack.flipt.url}/api/v1/namespaces`;
    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(401);
    const wrong = await fetch(url, { headers: { Authorization: "Bearer not-the-token" } });
    expect(wrong.status).toBe(401);
    const authorized = await fetch(url, { headers: { Authorization: `Bearer ${stack.secretValues.bootstrapToken}` } });
    expect(authorized.status).toBe(200);
    const body = (await authorized.json()) as { namespaces: { key: string }[] };
    const keys = body.namespaces.map((n) => n.key);
    expect(keys).toEqual(expect.arrayContaining(servedNamespaces(REPO_FLAGS_DIR)));
    figure(task, "statuses", `no token ${anonymous.status}, wrong ${wrong.status}, bootstrap ${authorized.status}`);
    // The bootstrap token lives in PostgreSQL: Flipt stored it there, not in an embedded database.
    const spec = databaseSpec(stack.postgresSettings!);
    const stored = stack.postgres!.psqlAs(spec.role.name, ROLE_PASSWORD, ["SELECT count(*) FROM authentications WHERE method = 1"], spec.database.name);
    expect(Number(stored)).toBe(1);
  });
});
