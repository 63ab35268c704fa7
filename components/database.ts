import * as pulumi from "@pulumi/pulumi";
import * as postgresql from "@pulumi/postgresql";
import * as random from "@pulumi/random";
import { DatabaseSpec } from "../builders/database";
import { SslMode } from "../settings/types";

export interface FliptDatabaseArgs {
  /** Role and database to create, from `databaseSpec(settings)`. */
  readonly spec: DatabaseSpec;
  /** Host of the cluster's PostgreSQL, reachable from where `pulumi up` runs. */
  readonly host: pulumi.Input<string>;
  /** PostgreSQL port. Defaults to 5432. */
  readonly port?: pulumi.Input<number>;
  /** sslmode of the provider's connection. Defaults to `require`. */
  readonly sslmode?: pulumi.Input<SslMode>;
  /** Administrative user that creates the role and database. */
  readonly adminUser: pulumi.Input<string>;
  /** Its password; treated as a secret. */
  readonly adminPassword: pulumi.Input<string>;
  /** Protect the role and database and retain them on destroy (prod). Defaults to false, so `pulumi destroy` drops them. */
  readonly protect?: boolean;
}

/**
 * Flipt's login role (random password, no superuser/createdb/createrole, a connection limit)
 * and a database it owns, on the cluster's existing PostgreSQL.
 */
export class FliptDatabase extends pulumi.ComponentResource {
  /** The role's password (secret). */
  readonly password: pulumi.Output<string>;
  readonly databaseName: pulumi.Output<string>;
  readonly roleName: pulumi.Output<string>;

  constructor(name: string, args: FliptDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flipt-deploy:index:FliptDatabase", name, {}, opts);
    const protect = args.protect ?? false;
    const keep: pulumi.CustomResourceOptions = { parent: this, protect, retainOnDelete: protect };

    const provider = new postgresql.Provider(
      `${name}-provider`,
      {
        host: args.host,
        port: args.port ?? 5432,
        sslmode: args.sslmode ?? "require",
        username: args.adminUser,
        password: pulumi.secret(args.adminPassword),
        superuser: false,
      },
      { parent: this },
    );
    const password = new random.RandomPassword(
      `${name}-password`,
      // URL-special characters are allowed on purpose: the DSN builder encodes them.
      { length: 32, special: true, overrideSpecial: "!#$%&*()-_=+[]{}<>:?@/", minLower: 2, minUpper: 2, minNumeric: 2 },
      { parent: this },
    );
    const role = new postgresql.Role(
      `${name}-role`,
      {
        name: args.spec.role.name,
        login: args.spec.role.login,
        superuser: args.spec.role.superuser,
        createDatabase: args.spec.role.createDatabase,
        createRole: args.spec.role.createRole,
        replication: args.spec.role.replication,
        connectionLimit: args.spec.role.connectionLimit,
        password: password.result,
      },
      { ...keep, provider },
    );
    const database = new postgresql.Database(
      `${name}-database`,
      {
        name: args.spec.database.name,
        owner: role.name,
        encoding: args.spec.database.encoding,
        template: args.spec.database.template,
      },
      { ...keep, provider },
    );

    this.password = pulumi.secret(password.result);
    this.databaseName = database.name;
    this.roleName = role.name;
    this.registerOutputs({ databaseName: this.databaseName, roleName: this.roleName, password: this.password });
  }
}
