/**
 * The local world: the one face of what a stack is deployed into on this machine. `startLocalWorld`
 * starts a control plane on loopback (cluster/: etcd, kube-apiserver, controller-manager,
 * scheduler, kwok as the node) holding what the stacks expect to find (cluster/existingWorld.ts),
 * optionally a PostgreSQL standing in for the cluster's, and the real Pulumi engine pointed at it
 * (engine/: the CLI, a local state backend, one Automation API operation per process, with the
 * provider stand-ins beside it for the plugins this machine cannot have). `deploy:local`, the
 * engine tier and the bench use this module only; its parts are imported directly by their own
 * unit tests. Everything runs under the caller's Supervisor, which stops it (also after a failed start).
 */
import { randomBytes } from "node:crypto";
import * as path from "node:path";
import { quoteIdent, quoteLiteral } from "../../../builders/database";
import { Settings } from "../../../settings/types";
import { ToolchainPaths } from "../../toolchain/paths";
import { Cluster, startCluster } from "./cluster/controlPlane";
import { createExistingWorld, ExistingWorld, startVolumeReclaimer } from "./cluster/existingWorld";
import { PostgresServer } from "../postgres";
import { Supervisor } from "../processes";
import { Engine, prepareEngine } from "./engine/engine";

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
  /** The kubeconfig file: a context per name in KUBE_CONTEXTS, each the cluster's administrator. */
  readonly kubeconfig: string;
  /** Where the existing world's PersistentVolumes keep their directories (in the cluster's temp dir); createExistingWorld's last argument. */
  readonly volumeDir: string;
}

/** The context `deploy:local` puts in place of a stack's `kubernetes:context`. */
export const LOCAL_KUBE_CONTEXT = "local";
/** Contexts of the kubeconfig: the stack files' `kubernetes:context` values and the local one, all pointing at this cluster. */
export const KUBE_CONTEXTS = ["dev", "prod", LOCAL_KUBE_CONTEXT] as const;

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
  const cluster = await startCluster(supervisor, paths, KUBE_CONTEXTS);
  // The kubeconfig lives in the cluster's temp dir, which is removed with it.
  const volumeDir = path.join(path.dirname(cluster.kubeconfig), "volumes");
  const existing = await createExistingWorld(cluster.api, paths.prometheusOperatorCrdDir, options.stacks, volumeDir);
  const reclaimer = startVolumeReclaimer(cluster.api, volumeDir);
  supervisor.onStop(() => reclaimer.stop());
  const postgres = options.postgresAdmin === undefined ? undefined : await startClusterPostgres(supervisor, paths, options.postgresAdmin);
  const engine = prepareEngine(supervisor, paths, cluster.kubeconfig);
  return { cluster, existing, engine, postgres, kubeconfig: cluster.kubeconfig, volumeDir };
}

// What the callers use of the parts, so that they import this face only.
export { NODE_LEASE_SECONDS, NODE_NAME, type Cluster } from "./cluster/controlPlane";
export { createExistingWorld, LOCAL_STORAGE_CLASS, SERVICE_RELEASE_MANAGER, serviceOwnConfigMap, serviceOwnData, type ExistingWorld } from "./cluster/existingWorld";
export { KubeApi, managersOf, type KubeObject } from "./cluster/kubeApi";
export { CLUSTER_PEOPLE, type ClusterPerson } from "./cluster/pki";

/** A token the API server issues for a ServiceAccount (TokenRequest), as the kubelet mounts one into a pod. */
export async function serviceAccountToken(api: import("./cluster/kubeApi").KubeApi, namespace: string, serviceAccount: string): Promise<string> {
  const answer = await api.request("POST", `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`, {
    apiVersion: "authentication.k8s.io/v1",
    kind: "TokenRequest",
    spec: { expirationSeconds: 3600 },
  });
  if (answer.status !== 201) throw new Error(`TokenRequest for ${namespace}/${serviceAccount}: HTTP ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body.status.token as string;
}
export { checkpointResources, type CliRun, type Engine, type StateResource } from "./engine/engine";
export type { OperationKind, OperationResult } from "./engine/operation";
