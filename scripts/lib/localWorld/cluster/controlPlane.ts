/**
 * A real Kubernetes control plane on loopback for the engine tier: etcd, kube-apiserver (RBAC,
 * a static admin token, service-account keys, the default admission plugins with PodSecurity),
 * kube-controller-manager (Deployment, ReplicaSet, namespace, garbage-collector and
 * service-account controllers), kube-scheduler, and kwok, which plays the kubelet of one
 * simulated node: pods scheduled to it become Running and Ready without containers.
 * Every process runs under the caller's Supervisor, on free 127.0.0.1 ports, in one temp dir.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { freePort, Supervisor, waitFor } from "../../processes";
import { ToolchainPaths } from "../../../toolchain/paths";
import { KubeApi, KubeObject } from "./kubeApi";
import { ADMIN_USER, CLUSTER_NAME, CLUSTER_PEOPLE, makeClusterPki, type ClusterPerson } from "./pki";

export const NODE_NAME = "kwok-node-0";
/** kwok renews the node's Lease well within this; kube-controller-manager reads it as the heartbeat. */
export const NODE_LEASE_SECONDS = 40;
/** How late a heartbeat may be before the node counts as lost (Kubernetes' default is 50 s). */
export const NODE_MONITOR_GRACE_SECONDS = 300;
const KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node";
const SERVICE_CLUSTER_IP_RANGE = "10.96.0.0/16";
const START_TIMEOUT_MS = 60_000;

export interface Cluster {
  readonly api: KubeApi;
  readonly kubeconfig: string;
  /** A kubeconfig per person of CLUSTER_PEOPLE (same contexts, that person's token). */
  readonly peopleKubeconfigs: Readonly<Record<ClusterPerson, string>>;
  /** The API server's URL and CA, for what connects without a kubeconfig (the relay, as its pod would). */
  readonly server: string;
  readonly caCert: string;
  /** Milliseconds from the first process start until the node is Ready and controllers run. */
  readonly startMs: number;
}

/** A kubeconfig whose `contexts` (the first is current) all point at this cluster as its administrator. */
export function kubeconfigDocument(server: string, caCert: string, token: string, contextNames: readonly string[], user: string = ADMIN_USER): string {
  const contexts = contextNames.map((name) => ({ name, context: { cluster: CLUSTER_NAME, user } }));
  return yaml.dump({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: CLUSTER_NAME, cluster: { server, "certificate-authority-data": Buffer.from(caCert).toString("base64") } }],
    users: [{ name: user, user: { token } }],
    contexts,
    "current-context": contextNames[0],
  });
}

async function startEtcd(supervisor: Supervisor, paths: ToolchainPaths, dir: string): Promise<string> {
  const [client, peer] = [await freePort(), await freePort()];
  const clientUrl = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  const etcd = supervisor.spawn("etcd", paths.etcdBin, [
    `--name=${CLUSTER_NAME}`,
    `--data-dir=${path.join(dir, "etcd")}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=${CLUSTER_NAME}=${peerUrl}`,
    "--log-level=warn",
  ], { logFile: path.join(dir, "etcd.log") });
  await waitFor(
    async () => {
      if (etcd.exitStatus) throw new Error(`etcd exited: ${etcd.tail()}`);
      const response = await fetch(`${clientUrl}/health`);
      return response.ok && ((await response.json()) as { health: string }).health === "true";
    },
    { timeoutMs: START_TIMEOUT_MS, what: "etcd /health" },
  );
  return clientUrl;
}

/** The simulated node: kwok manages nodes with its annotation; allocatable room for the stacks' pods. */
function simulatedNode(): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: NODE_NAME,
      annotations: { [KWOK_NODE_ANNOTATION]: "fake", "node.alpha.kubernetes.io/ttl": "0" },
      labels: { "kubernetes.io/hostname": NODE_NAME, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", type: "kwok" },
    },
    spec: {},
    status: {
      allocatable: { cpu: "8", memory: "32Gi", pods: "110" },
      capacity: { cpu: "8", memory: "32Gi", pods: "110" },
    },
  };
}

/** Starts the control plane and its node; the kubeconfig has a context per name in `contexts`. */
export async function startCluster(supervisor: Supervisor, paths: ToolchainPaths, contexts: readonly string[]): Promise<Cluster> {
  const started = Date.now();
  const dir = supervisor.tempDir("flipt-local-cluster");
  const pki = makeClusterPki(path.join(dir, "pki"));
  const log = (name: string) => ({ logFile: path.join(dir, `${name}.log`) });

  const etcdUrl = await startEtcd(supervisor, paths, dir);

  const apiPort = await freePort();
  const server = `https://127.0.0.1:${apiPort}`;
  const apiserver = supervisor.spawn("kube-apiserver", paths.kubeApiserverBin, [
    `--etcd-servers=${etcdUrl}`,
    "--bind-address=127.0.0.1",
    "--advertise-address=127.0.0.1",
    `--secure-port=${apiPort}`,
    `--cert-dir=${path.join(dir, "apiserver")}`,
    `--tls-cert-file=${pki.servingCert}`,
    `--tls-private-key-file=${pki.servingKey}`,
    `--client-ca-file=${pki.caCert}`,
    `--token-auth-file=${pki.tokenFile}`,
    "--authorization-mode=Node,RBAC",
    "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
    `--service-account-key-file=${pki.serviceAccountPublicKey}`,
    `--service-account-signing-key-file=${pki.serviceAccountKey}`,
    `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
    // PodSecurity is in the default admission set; naming it makes the intent visible.
    "--enable-admission-plugins=NodeRestriction,PodSecurity",
    "--profiling=false",
  ], log("kube-apiserver"));
  const api = new KubeApi(server, pki.adminToken, fs.readFileSync(pki.caCert, "utf8"));
  await waitFor(
    async () => {
      if (apiserver.exitStatus) throw new Error(`kube-apiserver exited: ${apiserver.tail()}`);
      const response = await api.request("GET", "/readyz");
      return response.status === 200;
    },
    { timeoutMs: START_TIMEOUT_MS, what: "kube-apiserver /readyz" },
  );

  const kubeconfig = path.join(dir, "kubeconfig");
  const caCert = fs.readFileSync(pki.caCert, "utf8");
  fs.writeFileSync(kubeconfig, kubeconfigDocument(server, caCert, pki.adminToken, contexts), { mode: 0o600 });
  const peopleKubeconfigs = {} as Record<ClusterPerson, string>;
  for (const person of Object.keys(CLUSTER_PEOPLE) as ClusterPerson[]) {
    peopleKubeconfigs[person] = path.join(dir, `kubeconfig-${CLUSTER_PEOPLE[person].name}`);
    fs.writeFileSync(peopleKubeconfigs[person], kubeconfigDocument(server, caCert, pki.peopleTokens[person], contexts, CLUSTER_PEOPLE[person].name), { mode: 0o600 });
  }

  const controllerManager = supervisor.spawn("kube-controller-manager", paths.kubeControllerManagerBin, [
    `--kubeconfig=${kubeconfig}`,
    "--bind-address=127.0.0.1",
    `--secure-port=${await freePort()}`,
    "--leader-elect=false",
    `--service-account-private-key-file=${pki.serviceAccountKey}`,
    `--root-ca-file=${pki.caCert}`,
    "--use-service-account-credentials=false",
    // Everything but the node lifecycle's cloud parts; kwok keeps the node's heartbeat.
    "--controllers=*",
    // A node whose heartbeat is late gets its pods marked NotReady, and kwok never marks them Ready
    // again (its ready stage runs once per pod). The lease below is the heartbeat; this grace is
    // the margin for a loaded 2-core machine, where kwok's renewals were seen 55 s apart.
    `--node-monitor-grace-period=${NODE_MONITOR_GRACE_SECONDS}s`,
  ], log("kube-controller-manager"));
  const scheduler = supervisor.spawn("kube-scheduler", paths.kubeSchedulerBin, [
    `--kubeconfig=${kubeconfig}`,
    "--bind-address=127.0.0.1",
    `--secure-port=${await freePort()}`,
    "--leader-elect=false",
  ], log("kube-scheduler"));
  const kwok = supervisor.spawn("kwok", paths.kwokBin, [
    `--kubeconfig=${kubeconfig}`,
    "--manage-all-nodes=false",
    `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=fake`,
    `--server-address=127.0.0.1:${await freePort()}`,
    "--node-ip=127.0.0.1",
    // Without it kwok keeps no Lease and the node's only heartbeat is a status update every 20-45 s.
    `--node-lease-duration-seconds=${NODE_LEASE_SECONDS}`,
    "--cidr=10.244.0.1/24",
  ], log("kwok"));
  const processes = [apiserver, controllerManager, scheduler, kwok];

  await api.create(simulatedNode());
  await waitFor(
    async () => {
      for (const p of processes) if (p.exitStatus) throw new Error(`${p.name} exited: ${p.tail()}`);
      const node = await api.get("v1", "Node", NODE_NAME);
      const ready = (node?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions?.find((c) => c.type === "Ready");
      // The service-account controller's first work: proves kube-controller-manager is running.
      const defaultAccount = await api.get("v1", "ServiceAccount", "default", "default");
      return ready?.status === "True" && defaultAccount !== undefined;
    },
    { timeoutMs: START_TIMEOUT_MS, what: `node ${NODE_NAME} Ready and the default ServiceAccount` },
  );
  return { api, kubeconfig, peopleKubeconfigs, server, caCert, startMs: Date.now() - started };
}
