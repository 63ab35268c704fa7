import * as pulumi from "@pulumi/pulumi";
import { databaseSpec, fliptDatabaseUrl, SQLITE_URL } from "../builders/database";
import { relayProgram } from "../builders/relayProgram";
import { Settings } from "../settings/types";
import { FliptDatabase } from "./database";
import { FlagsRelay } from "./flagsRelay";
import { Flipt } from "./flipt";
import { Monitoring } from "./monitoring";
import { ServiceConfig } from "./serviceConfig";

export interface FlagPlatformArgs {
  /** The stack's validated settings (from `parseSettings`). */
  readonly settings: Settings;
}

/** Everything one stack deploys: Flipt's database (postgres mode), Flipt, the flags relay (when on), and what builds on it. */
export class FlagPlatform extends pulumi.ComponentResource {
  readonly fliptUrl: string;
  readonly fliptGrpcAddress: string;
  readonly namespace: string;
  /** Flipt's PostgreSQL database, or the SQLite URL in sqlite mode. */
  readonly databaseName: pulumi.Output<string>;
  readonly bootstrapToken: pulumi.Output<string>;
  /** service → the ConfigMap and keys FLIPT_URL was written to. */
  readonly serviceConfig: ServiceConfig["written"];
  readonly dashboardUid: string;
  /** Set when the dashboard goes through Grafana's API. */
  readonly dashboardUrl?: string;

  constructor(name: string, args: FlagPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    // Children inherit protect: with protectStack, destroy fails on its first deletion instead of
    // deleting every unprotected resource before it reaches the protected database.
    super("flipt-deploy:index:FlagPlatform", name, {}, { protect: args.settings.protectStack, ...opts });
    const { settings } = args;
    const { postgres } = settings.database;

    let databaseUrl: pulumi.Output<string>;
    if (settings.database.mode === "postgres" && postgres) {
      const database = new FliptDatabase(
        `${name}-database`,
        {
          spec: databaseSpec(postgres),
          host: postgres.host,
          port: postgres.port,
          sslmode: postgres.sslmode,
          adminUser: postgres.adminUser,
          adminPassword: pulumi.secret(settings.secrets.postgresAdminPassword),
          protect: settings.database.protect,
        },
        { parent: this },
      );
      databaseUrl = pulumi.secret(database.password.apply((password) => fliptDatabaseUrl(settings, password)));
      this.databaseName = database.databaseName;
    } else {
      databaseUrl = pulumi.output(SQLITE_URL);
      this.databaseName = pulumi.output(SQLITE_URL);
    }

    const flipt = new Flipt(`${name}-flipt`, { settings, databaseUrl }, { parent: this });
    this.fliptUrl = flipt.url;
    this.fliptGrpcAddress = flipt.grpcAddress;
    this.namespace = flipt.namespace;
    this.bootstrapToken = flipt.bootstrapToken;

    // The in-cluster mirror Flipt reads its flags from; it reads the Git Secret Flipt's component creates.
    const relay = settings.relay
      ? new FlagsRelay(`${name}-relay`, { settings, program: relayProgram(), fliptObjects: flipt.objects }, { parent: this })
      : undefined;

    // After Flipt: a service that picks up FLIPT_URL finds the Service behind it.
    const serviceConfig = new ServiceConfig(`${name}-services`, { settings }, { parent: this, dependsOn: [flipt] });
    this.serviceConfig = serviceConfig.written;

    const monitoring = new Monitoring(
      `${name}-monitoring`,
      { settings, fliptObjects: { ...flipt.objects, ...relay?.objects }, grafanaToken: pulumi.secret(settings.secrets.grafanaToken) },
      { parent: this },
    );
    this.dashboardUid = monitoring.dashboardUid;
    this.dashboardUrl = monitoring.dashboardUrl;
    this.registerOutputs({
      fliptUrl: this.fliptUrl,
      fliptGrpcAddress: this.fliptGrpcAddress,
      namespace: this.namespace,
      databaseName: this.databaseName,
      bootstrapToken: this.bootstrapToken,
      serviceConfig: this.serviceConfig,
      dashboardUid: this.dashboardUid,
      dashboardUrl: this.dashboardUrl,
    });
  }
}
