/**
 * The flags relay: the in-cluster mirror of the flags repository that Flipt reads from (see
 * flags-relay/README.md). The pod runs this file, bundled (bundle.ts); the tests run the same bundle
 * with the same arguments.
 */
import * as http from "node:http";
import { parseArgs } from "node:util";
import { GitServer } from "../scripts/lib/gitServer";
import { inClusterConnection, kubeconfigConnection } from "../scripts/lib/kubeConnection";
import { RELAY, type RelayArguments } from "../builders/flagsRelayContract";
import { RelayKubernetes } from "./kubernetes";
import { jsonLog, parseDuration, Relay } from "./relay";

const USAGE = `Usage: node flags-relay.mjs --upstream=<url> --ref=<branch> --directory=<flags/env> --repository-name=<name.git>
  --poll-interval=<duration> --data=<dir> --listen=<host:port> --namespace=<namespace> [--kubeconfig=<file> [--context=<name>]]

Serves <data>/served/<name.git> read-only over Git's smart HTTP at http://<listen>/<name.git>, with
${RELAY.metricsPath}, ${RELAY.healthPath} and ${RELAY.readyPath}. Reads override ConfigMaps in <namespace> with the pod's
service account, or with --kubeconfig outside a pod; without either (no API server) it serves upstream only.`;

function readArguments(argv: readonly string[]): RelayArguments & { kubeconfig?: string; context?: string } {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      upstream: { type: "string" },
      ref: { type: "string" },
      directory: { type: "string" },
      "repository-name": { type: "string" },
      "poll-interval": { type: "string" },
      data: { type: "string" },
      listen: { type: "string" },
      namespace: { type: "string" },
      kubeconfig: { type: "string" },
      context: { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const required = ["upstream", "ref", "directory", "repository-name", "poll-interval", "data", "listen", "namespace"] as const;
  const missing = required.filter((name) => values[name] === undefined);
  if (missing.length > 0) throw new Error(`missing ${missing.map((m) => `--${m}`).join(", ")}\n${USAGE}`);
  parseDuration(values["poll-interval"]!);
  return {
    upstream: values.upstream!,
    ref: values.ref!,
    directory: values.directory!,
    repositoryName: values["repository-name"]!,
    pollInterval: values["poll-interval"]!,
    dataDir: values.data!,
    listen: values.listen!,
    namespace: values.namespace!,
    kubeconfig: values.kubeconfig,
    context: values.context,
  };
}

async function main(): Promise<void> {
  const args = readArguments(process.argv.slice(2));
  const connection = args.kubeconfig
    ? kubeconfigConnection(args.kubeconfig, args.context)
    : process.env.KUBERNETES_SERVICE_HOST
      ? inClusterConnection(process.env.FLAGS_RELAY_SERVICE_ACCOUNT_DIR)
      : undefined;
  if (!connection) jsonLog("warn", "no API server (not in a pod, no --kubeconfig): overrides are not read");
  const relay = new Relay(args, connection ? new RelayKubernetes(connection, args.namespace) : undefined);

  const [host, port] = [args.listen.slice(0, args.listen.lastIndexOf(":")), Number(args.listen.slice(args.listen.lastIndexOf(":") + 1))];
  const answer = (res: http.ServerResponse, status: number, body: string, type = "text/plain") => {
    res.writeHead(status, { "Content-Type": type });
    res.end(body);
  };
  const server = new GitServer({
    gitBin: "git",
    projectRoot: `${args.dataDir}/served`,
    auth: { kind: "none" },
    host,
    port,
    readOnly: true,
    routes: (req, res) => {
      const url = (req.url ?? "/").split("?")[0];
      if (url === RELAY.healthPath) answer(res, 200, "ok\n");
      else if (url === RELAY.metricsPath) answer(res, 200, relay.metrics.exposition(), "text/plain; version=0.0.4");
      else if (url === RELAY.readyPath) {
        const ready = relay.ready();
        answer(res, ready ? 200 : 503, ready ? "ready\n" : "no served commit yet\n");
      } else return false;
      return true;
    },
  });
  await server.start();
  jsonLog("info", "flags relay listening", { listen: `${host}:${server.port}`, upstream: args.upstream.replace(/\/\/[^@/]*@/, "//"), ref: args.ref, directory: args.directory, pollInterval: args.pollInterval });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    jsonLog("info", "stopping", { signal });
    relay.stop();
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  try {
    await relay.run();
  } finally {
    await server.stop();
  }
}

main().catch((error: unknown) => {
  jsonLog("error", "flags relay failed", { error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
