/**
 * Per-evaluation latency as a service sees it, two ways, against the same local Flipt:
 * - server-side: the OpenFeature server SDK with Flipt's provider (what the services use today),
 *   one HTTP request per evaluation, measured one after the other;
 * - client-side: @flipt-io/flipt-client-js, which fetches the namespace's evaluation snapshot and
 *   evaluates in process (WebAssembly), refreshing every `updateInterval` seconds.
 * The second needs the package installed; without it only the first is measured.
 */
import type { FlagRef } from "../../scripts/lib/flagFiles";
import { OpenFeatureClients, closeOpenFeature } from "../../scripts/lib/openFeatureClients";
import { Summary, summarize } from "../lib/stats";

export interface LatencySample {
  readonly evaluations: number;
  readonly seconds: number;
  /** Per evaluation, in microseconds. */
  readonly micros: Summary;
}

export interface ClientSideResults {
  readonly serverSide: LatencySample;
  readonly clientSide?: LatencySample & {
    readonly package: string;
    readonly initMs: number;
    readonly snapshotBytes: number;
    /** The SDK's refresh period on Node.js when none is given: extra propagation delay, up to this much. */
    readonly defaultUpdateIntervalSeconds: number;
  };
  /** Why the client-side figures are missing. */
  readonly clientSideUnavailable?: string;
}

export const CLIENT_SIDE_PACKAGE = "@flipt-io/flipt-client-js";
/** README of @flipt-io/flipt-client-js 0.5.1: "updateInterval … will default to 120 seconds". */
const CLIENT_SIDE_DEFAULT_UPDATE_SECONDS = 120;

/** The subset of the client-side SDK used here. */
interface ClientSideSdk {
  FliptClient: {
    init(options: { namespace: string; url: string; updateInterval?: number }): Promise<{
      evaluateBoolean(request: { flagKey: string; entityId: string; context: Record<string, string> }): { enabled: boolean };
      close(): void;
    }>;
  };
}

/** Times `evaluate` up to `maxCount` times or `maxMs`, whichever comes first; a synchronous one is not awaited. */
async function timeEach(maxCount: number, maxMs: number, evaluate: (i: number) => unknown): Promise<LatencySample> {
  const micros: number[] = [];
  const started = performance.now();
  for (let i = 0; i < maxCount && performance.now() - started < maxMs; i++) {
    const t0 = performance.now();
    const result = evaluate(i);
    if (result instanceof Promise) await result;
    micros.push((performance.now() - t0) * 1000);
  }
  const seconds = (performance.now() - started) / 1000;
  return { evaluations: micros.length, seconds, micros: summarize(micros) };
}

function loadClientSideSdk(): ClientSideSdk | string {
  try {
    return require(CLIENT_SIDE_PACKAGE) as ClientSideSdk;
  } catch (error) {
    return `${CLIENT_SIDE_PACKAGE} is not installed (${(error as Error).message.split("\n")[0]})`;
  }
}

export interface ClientSideLimits {
  readonly serverSideCount: number;
  readonly clientSideCount: number;
  readonly maxMs: number;
}

export async function measureClientSide(fliptUrl: string, flags: readonly FlagRef[], limits: ClientSideLimits): Promise<ClientSideResults> {
  const namespace = flags[0].namespace;
  const keys = flags.filter((f) => f.namespace === namespace).map((f) => f.key);
  const entity = (i: number) => `org-${(i * 7919) % 100_000}`;

  const clients = new OpenFeatureClients(fliptUrl);
  let serverSide: LatencySample;
  try {
    await clients.boolean(namespace, keys[0], false, { targetingKey: "warmup" });
    serverSide = await timeEach(limits.serverSideCount, limits.maxMs, (i) =>
      clients.boolean(namespace, keys[i % keys.length], false, { targetingKey: entity(i) }),
    );
  } finally {
    await closeOpenFeature();
  }

  const sdk = loadClientSideSdk();
  if (typeof sdk === "string") return { serverSide, clientSideUnavailable: sdk };
  const snapshot = await fetch(`${fliptUrl}/internal/v1/evaluation/snapshot/namespace/${namespace}`, { signal: AbortSignal.timeout(5000) });
  const snapshotBytes = (await snapshot.text()).length;
  const initStarted = performance.now();
  const client = await sdk.FliptClient.init({ namespace, url: fliptUrl });
  const initMs = performance.now() - initStarted;
  try {
    for (let i = 0; i < 1000; i++) client.evaluateBoolean({ flagKey: keys[i % keys.length], entityId: entity(i), context: {} }); // JIT warm-up
    const sample = await timeEach(limits.clientSideCount, limits.maxMs, (i) =>
      client.evaluateBoolean({ flagKey: keys[i % keys.length], entityId: entity(i), context: {} }),
    );
    return {
      serverSide,
      clientSide: { ...sample, package: CLIENT_SIDE_PACKAGE, initMs, snapshotBytes, defaultUpdateIntervalSeconds: CLIENT_SIDE_DEFAULT_UPDATE_SECONDS },
    };
  } finally {
    client.close();
  }
}
