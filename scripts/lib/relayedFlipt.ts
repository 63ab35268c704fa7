/**
 * A stack's Flipt behind its flags relay on this machine: the loopback Git server as upstream (the
 * stack's gitRepository), the relay run from the stack's objects (localRelay.ts) and reading
 * overrides through a real API server as its ServiceAccount, and Flipt, run from the same objects,
 * cloning from the relay as its pods do. The e2e tier and the bench use it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { RELAY_OBJECTS } from "../../builders/flagsRelayContract";
import { readStack } from "../../settings/stackFiles";
import type { Settings } from "../../settings/types";
import { FLAGS_ROOT } from "../flags/environments";
import { startFlagsServer, type FlagsServer } from "./flagsServer";
import { prepareLocalFlipt, type LocalFlipt } from "./localFlipt";
import { LocalRelay, renderedRelay, type RelayApiAccess } from "./localRelay";
import type { KubeApi, KubeObject } from "./localWorld";
import { serviceAccountToken } from "./localWorld";
import { renderStack } from "./renderedStack";
import type { Supervisor } from "./processes";

export interface RelayedFliptOptions {
  readonly supervisor: Supervisor;
  readonly fliptBin: string;
  readonly gitBin: string;
  readonly stack: string;
  /** A flags root (a directory per environment): what upstream holds at first. */
  readonly flagsDir: string;
  /** The API server the relay reads overrides from, as the administrator who sets up its RBAC; without it, no overrides. */
  readonly api?: { readonly kube: KubeApi; readonly server: string; readonly ca: string };
  readonly dbUrl?: string;
  readonly echo?: NodeJS.WritableStream;
}

export interface RelayedFlipt {
  readonly settings: Settings;
  readonly upstream: FlagsServer;
  readonly relay: LocalRelay;
  /** Flipt, cloning from the relay. */
  readonly local: LocalFlipt;
  /** Another Flipt from the same objects and relay: a new pod. */
  newFlipt(): Promise<LocalFlipt>;
}

/** The namespace and the relay's and the override's RBAC objects from the stack's render, applied as the administrator. */
async function applyRelayAccess(kube: KubeApi, stack: string): Promise<void> {
  const objects = renderStack(stack)
    .filter((f) => f.file.endsWith(".yaml"))
    .map((f) => yaml.load(f.content) as KubeObject);
  const wanted = (o: KubeObject) =>
    o.kind === "Namespace" || ((o.kind === "ServiceAccount" || o.kind === "Role" || o.kind === "RoleBinding") && Object.values(RELAY_OBJECTS).includes(o.metadata.name as never));
  for (const object of objects.filter(wanted)) await kube.apply(object, "flipt-deploy-tests");
}

export async function startRelayedFlipt(options: RelayedFliptOptions): Promise<RelayedFlipt> {
  const { supervisor, stack } = options;
  const settings = readStack(stack).settings;
  const rendered = renderedRelay(renderStack(stack));
  if (!rendered) throw new Error(`stack ${stack} has no flags relay (flagsRelay is off)`);
  const dir = supervisor.tempDir(`relayed-${stack}`);
  const upstream = await startFlagsServer({ supervisor, gitBin: options.gitBin, git: settings.git, dir, source: options.flagsDir, into: FLAGS_ROOT });

  let api: RelayApiAccess | undefined;
  if (options.api) {
    await applyRelayAccess(options.api.kube, stack);
    api = { server: options.api.server, ca: options.api.ca, token: await serviceAccountToken(options.api.kube, settings.namespace, RELAY_OBJECTS.serviceAccount) };
  }
  const relayDir = path.join(dir, "relay");
  fs.mkdirSync(relayDir, { recursive: true });
  const relay = new LocalRelay({
    supervisor,
    rendered,
    upstreamUrl: upstream.url,
    secretValues: { gitCredential: upstream.gitCredential },
    dataDir: path.join(relayDir, "volume"),
    namespace: settings.namespace,
    api,
    echo: options.echo,
  });
  supervisor.onStop(() => relay.stop());
  await relay.start();

  const newFlipt = () =>
    prepareLocalFlipt({
      supervisor,
      fliptBin: options.fliptBin,
      gitBin: options.gitBin,
      stack,
      flagsDir: options.flagsDir,
      flagsServer: upstream,
      repositoryUrl: relay.repositoryUrl(),
      dbUrl: options.dbUrl,
      echo: options.echo,
    });
  return { settings, upstream, relay, local: await newFlipt(), newFlipt };
}
