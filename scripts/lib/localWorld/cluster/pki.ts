/**
 * The harness cluster's credentials, made with openssl for each run: a CA, the API server's
 * serving certificate for 127.0.0.1, the service-account signing key pair, and a random admin
 * token (a member of system:masters through the API server's static token file).
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

/** The cluster's and its administrator's names in the kubeconfig, the certificates and etcd. */
export const CLUSTER_NAME = "flipt-deploy-local";
export const ADMIN_USER = `${CLUSTER_NAME}-admin`;

/**
 * People besides the administrator, for what RBAC decides: an on-call engineer in the group the
 * stacks bind the flags-override Role to, and a developer in no group of the stacks'.
 */
export const CLUSTER_PEOPLE = {
  oncall: { name: "oncall-engineer", groups: ["platform-oncall"] },
  visitor: { name: "visiting-developer", groups: [] as string[] },
} as const;
export type ClusterPerson = keyof typeof CLUSTER_PEOPLE;

export interface ClusterPki {
  readonly caCert: string;
  readonly caKey: string;
  readonly servingCert: string;
  readonly servingKey: string;
  readonly serviceAccountKey: string;
  readonly serviceAccountPublicKey: string;
  readonly tokenFile: string;
  readonly adminToken: string;
  readonly peopleTokens: Readonly<Record<ClusterPerson, string>>;
}

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

export function makeClusterPki(dir: string): ClusterPki {
  fs.mkdirSync(dir, { recursive: true });
  const file = (name: string) => path.join(dir, name);
  openssl(["req", "-x509", ...EC_KEY, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", `/CN=${CLUSTER_NAME}-ca`], dir);
  openssl(["req", ...EC_KEY, "-keyout", "apiserver.key", "-out", "apiserver.csr", "-subj", "/CN=kube-apiserver"], dir);
  fs.writeFileSync(
    file("apiserver.ext"),
    "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n",
  );
  openssl(["x509", "-req", "-in", "apiserver.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", "apiserver.ext", "-out", "apiserver.crt"], dir);
  openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "service-account.key"], dir);
  openssl(["pkey", "-in", "service-account.key", "-pubout", "-out", "service-account.pub"], dir);
  const adminToken = randomBytes(24).toString("hex");
  // token,user,uid,"group1,group2"
  const peopleTokens = { oncall: randomBytes(24).toString("hex"), visitor: randomBytes(24).toString("hex") };
  const people = (Object.keys(CLUSTER_PEOPLE) as ClusterPerson[]).map((p) => `${peopleTokens[p]},${CLUSTER_PEOPLE[p].name},${CLUSTER_PEOPLE[p].name},"${CLUSTER_PEOPLE[p].groups.join(",")}"\n`);
  fs.writeFileSync(file("tokens.csv"), [`${adminToken},${ADMIN_USER},${ADMIN_USER},"system:masters"\n`, ...people].join(""), { mode: 0o600 });
  return {
    caCert: file("ca.crt"),
    caKey: file("ca.key"),
    servingCert: file("apiserver.crt"),
    servingKey: file("apiserver.key"),
    serviceAccountKey: file("service-account.key"),
    serviceAccountPublicKey: file("service-account.pub"),
    tokenFile: file("tokens.csv"),
    adminToken,
    peopleTokens,
  };
}
