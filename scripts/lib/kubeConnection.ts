/**
 * Talking to a Kubernetes API server as someone: from inside a pod (its ServiceAccount's token,
 * re-read at every request because the kubelet rotates it) or from a kubeconfig (what
 * `kubectl` reads: a bearer token, a client certificate, or an exec credential plugin such as a
 * cloud's get-token command). The flags relay and `flags override` use it; nothing here creates
 * a credential.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";

export interface KubeConnection {
  readonly server: string;
  /** Who this is, for messages: the kubeconfig context or "in-cluster". */
  readonly describe: string;
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly insecure?: boolean;
  /** A bearer token, read when a request is made. */
  readonly token?: () => string;
  /** The namespace the connection defaults to (the pod's, or the context's). */
  readonly namespace?: string;
  /** How long a request may take (default 15 s). */
  readonly timeoutMs?: number;
}

export interface KubeAnswer {
  readonly status: number;
  readonly body: any;
}

/** The API server's message for a failed request, or the status line. */
export function answerMessage(answer: KubeAnswer): string {
  const message = typeof answer.body === "object" && answer.body !== null ? answer.body.message : undefined;
  return typeof message === "string" ? message : `HTTP ${answer.status}`;
}

export class KubeUnreachable extends Error {}

const REQUEST_TIMEOUT_MS = 15_000;

/** One request; any HTTP status is returned, JSON parsed; a connection failure throws KubeUnreachable. */
export function kubeRequest(connection: KubeConnection, method: string, apiPath: string, body?: unknown, contentType = "application/json"): Promise<KubeAnswer> {
  const url = new URL(apiPath, connection.server);
  const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
  const timeoutMs = connection.timeoutMs ?? REQUEST_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    let token: string | undefined;
    try {
      token = connection.token?.();
    } catch (error) {
      reject(new KubeUnreachable(`${connection.describe}: cannot read the credential: ${(error as Error).message}`));
      return;
    }
    const req = https.request(
      url,
      {
        method,
        ca: connection.ca,
        cert: connection.cert,
        key: connection.key,
        rejectUnauthorized: !connection.insecure,
        timeout: timeoutMs,
        headers: {
          accept: "application/json",
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(payload === undefined ? {} : { "content-type": contentType, "content-length": Buffer.byteLength(payload) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = text;
          try {
            parsed = text === "" ? undefined : JSON.parse(text);
          } catch {
            // a plain-text answer, such as /readyz's "ok"
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${apiPath}: no answer in ${timeoutMs / 1000} s`)));
    req.on("error", (error) => reject(new KubeUnreachable(`cannot reach the API server ${connection.server} (${connection.describe}): ${error.message}`)));
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** The standard in-pod location of the ServiceAccount's token, CA and namespace. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** A pod's connection: KUBERNETES_SERVICE_HOST/PORT and the mounted ServiceAccount files. */
export function inClusterConnection(serviceAccountDir = SERVICE_ACCOUNT_DIR, env: NodeJS.ProcessEnv = process.env): KubeConnection {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT ?? "443";
  if (!host) throw new KubeUnreachable("KUBERNETES_SERVICE_HOST is not set: not in a pod, and no kubeconfig given");
  const file = (name: string) => path.join(serviceAccountDir, name);
  return {
    server: `https://${host.includes(":") ? `[${host}]` : host}:${port}`,
    describe: "in-cluster service account",
    ca: fs.readFileSync(file("ca.crt"), "utf8"),
    token: () => fs.readFileSync(file("token"), "utf8").trim(),
    namespace: fs.existsSync(file("namespace")) ? fs.readFileSync(file("namespace"), "utf8").trim() : undefined,
  };
}

interface KubeconfigDocument {
  "current-context"?: string;
  contexts?: { name: string; context: { cluster: string; user: string; namespace?: string } }[];
  clusters?: { name: string; cluster: { server: string; "certificate-authority"?: string; "certificate-authority-data"?: string; "insecure-skip-tls-verify"?: boolean } }[];
  users?: { name: string; user: KubeconfigUser }[];
}

interface KubeconfigUser {
  token?: string;
  tokenFile?: string;
  "client-certificate"?: string;
  "client-certificate-data"?: string;
  "client-key"?: string;
  "client-key-data"?: string;
  exec?: { command: string; args?: string[]; env?: { name: string; value: string }[] };
}

/** The kubeconfig file kubectl would read: $KUBECONFIG's first entry, else ~/.kube/config. */
export function defaultKubeconfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const first = env.KUBECONFIG?.split(path.delimiter).find((p) => p !== "");
  return first ?? path.join(os.homedir(), ".kube", "config");
}

function fileOrData(base: string, file: string | undefined, data: string | undefined): string | undefined {
  if (data !== undefined) return Buffer.from(data, "base64").toString("utf8");
  if (file !== undefined) return fs.readFileSync(path.resolve(base, file), "utf8");
  return undefined;
}

/** An exec credential plugin's token (client.authentication.k8s.io ExecCredential), as kubectl runs it. */
function execToken(exec: NonNullable<KubeconfigUser["exec"]>): string {
  const env = { ...process.env, ...Object.fromEntries((exec.env ?? []).map((e) => [e.name, e.value])) };
  const output = execFileSync(exec.command, exec.args ?? [], { env, encoding: "utf8", timeout: 30_000, stdio: ["ignore", "pipe", "pipe"] });
  const token = (JSON.parse(output) as { status?: { token?: string } }).status?.token;
  if (!token) throw new Error(`${exec.command} printed no status.token`);
  return token;
}

/**
 * The connection of a kubeconfig context: `contextName`, else `preferred` when the file has such a
 * context (a stack's kubernetes:context), else the file's current context. A missing file,
 * context, cluster or user is a KubeUnreachable naming it.
 */
export function kubeconfigConnection(file: string, contextName?: string, preferred?: string): KubeConnection {
  if (!fs.existsSync(file)) throw new KubeUnreachable(`no kubeconfig at ${file} (set KUBECONFIG or --kubeconfig)`);
  const document = (yaml.load(fs.readFileSync(file, "utf8")) ?? {}) as KubeconfigDocument;
  const hasPreferred = preferred !== undefined && (document.contexts ?? []).some((c) => c.name === preferred);
  const name = contextName ?? (hasPreferred ? preferred : document["current-context"]);
  if (!name) throw new KubeUnreachable(`${file} has no current context; pass --context`);
  const context = document.contexts?.find((c) => c.name === name)?.context;
  if (!context) throw new KubeUnreachable(`${file} has no context ${JSON.stringify(name)} (contexts: ${(document.contexts ?? []).map((c) => c.name).join(", ") || "none"})`);
  const cluster = document.clusters?.find((c) => c.name === context.cluster)?.cluster;
  if (!cluster) throw new KubeUnreachable(`${file}: context ${name} names cluster ${context.cluster}, which the file does not define`);
  const user = document.users?.find((u) => u.name === context.user)?.user ?? {};
  const base = path.dirname(file);
  let token: (() => string) | undefined;
  if (user.token) token = () => user.token!;
  else if (user.tokenFile) token = () => fs.readFileSync(path.resolve(base, user.tokenFile!), "utf8").trim();
  else if (user.exec) {
    let cached: string | undefined;
    token = () => (cached ??= execToken(user.exec!));
  }
  return {
    server: cluster.server,
    describe: `context ${name}`,
    ca: fileOrData(base, cluster["certificate-authority"], cluster["certificate-authority-data"]),
    insecure: cluster["insecure-skip-tls-verify"] === true,
    cert: fileOrData(base, user["client-certificate"], user["client-certificate-data"]),
    key: fileOrData(base, user["client-key"], user["client-key-data"]),
    token,
    namespace: context.namespace,
  };
}
