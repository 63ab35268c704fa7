/**
 * The local world a stack is deployed into on this machine: a control plane on loopback (etcd,
 * kube-apiserver, controller-manager, scheduler, kwok as the node) holding what the stacks expect
 * to find (existingWorld.ts), optionally a PostgreSQL standing in for the cluster's, and the real
 * Pulumi engine pointed at that cluster. The engine tier and `deploy:local` both start it.
 */
import { randomBytes } from "node:crypto";
import { quoteIdent, quoteLiteral } from "../../../builders/database";
import { Settings } from "../../../settings/types";
import { ToolchainPaths } from "../../toolchain/paths";
import { Cluster, startCluster } from "../cluster/controlPlane";
import { createExistingWorld, ExistingWorld } from "../cluster/existingWorld";
import { PostgresServer } from "../postgres";
import { Supervisor } from "../processes";
import { Engine, prepareEngine } from "./engine";

/** The cluster's PostgreSQL on this machine, and the administrator the stacks' provider connects as. */
export interface ClusterPostgres {
  readonly server: PostgresServer;
  readonly adminUser: string;
  readonly adminPassword: string;
}

export interface LocalWorldOptions {
  readonly supervisor: Supervisor;
  readonly paths: ToolchainPaths;
  /** The stacks whose monitoring and services' namespaces and ConfigMaps the cluster already holds. */
  readonly stacks: readonly Settings[];
  /** Start a PostgreSQL with this administrator: CREATEROLE and CREATEDB, not a superuser, as on a managed PostgreSQL. */
  readonly postgresAdmin?: string;
}

export interface LocalWorld {
  readonly cluster: Cluster;
  readonly existing: ExistingWorld;
  readonly engine: Engine;
  readonly postgres?: ClusterPostgres;
}

/** The statement that makes the stacks' administrator: what a managed PostgreSQL's admin may do, no more. */
export function clusterAdminSql(user: string, password: string): string {
  return `CREATE ROLE ${quoteIdent(user)} LOGIN CREATEROLE CREATEDB PASSWORD ${quoteLiteral(password)}`;
}

async function startClusterPostgres(supervisor: Supervisor, paths: ToolchainPaths, adminUser: string): Promise<ClusterPostgres> {
  const server = await PostgresServer.start(supervisor, { pgBinDir: paths.pgBinDir, superuserPassword: randomBytes(18).toString("base64url") });
  const adminPassword = randomBytes(18).toString("base64url");
  server.psql([clusterAdminSql(adminUser, adminPassword)]);
  return { server, adminUser, adminPassword };
}

/** Starts everything under `supervisor`; the caller stops it with `supervisor.stopAll()`, also after a failure here. */
export async function startLocalWorld(options: LocalWorldOptions): Promise<LocalWorld> {
  const { supervisor, paths } = options;
  const cluster = await startCluster(supervisor, paths);
  const existing = await createExistingWorld(cluster.api, paths.prometheusOperatorCrdDir, options.stacks);
  const postgres = options.postgresAdmin === undefined ? undefined : await startClusterPostgres(supervisor, paths, options.postgresAdmin);
  const engine = prepareEngine(supervisor, paths, cluster.kubeconfig);
  return { cluster, existing, engine, postgres };
}
