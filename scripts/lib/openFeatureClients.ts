/**
 * Evaluation the way the platform's TypeScript services do it: the OpenFeature server SDK with
 * Flipt's provider. The provider is bound to one Flipt namespace, so there is one OpenFeature
 * domain (and client) per namespace.
 */
import { FliptProvider } from "@openfeature/flipt-provider";
import { Client, EvaluationContext, OpenFeature } from "@openfeature/server-sdk";
import type { FlagRef } from "./flagFiles";

export class OpenFeatureClients {
  private readonly clients = new Map<string, Client>();

  constructor(private readonly fliptUrl: string) {}

  async client(namespace: string): Promise<Client> {
    let client = this.clients.get(namespace);
    if (!client) {
      const domain = `${this.fliptUrl}#${namespace}`;
      await OpenFeature.setProviderAndWait(domain, new FliptProvider(namespace, { url: this.fliptUrl }));
      client = OpenFeature.getClient(domain);
      this.clients.set(namespace, client);
    }
    return client;
  }

  async boolean(namespace: string, key: string, defaultValue: boolean, context: EvaluationContext): Promise<boolean> {
    return (await this.client(namespace)).getBooleanValue(key, defaultValue, context);
  }
}

/** Runs `fn` over `items` with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export async function closeOpenFeature(): Promise<void> {
  await OpenFeature.close();
}

/**
 * What each flag evaluates to for `subject`, as `namespace/key → value`; an evaluation error shows
 * as its message instead of the caller's default, so a fallback never passes for a served value.
 */
export async function servedValues(clients: OpenFeatureClients, flags: readonly FlagRef[], subject: string): Promise<Record<string, string>> {
  const entries = await mapLimit(flags, 8, async ({ namespace, key }) => {
    const details = await (await clients.client(namespace)).getBooleanDetails(key, false, { targetingKey: subject });
    const value = details.errorCode ? `error ${details.errorCode}: ${details.errorMessage}` : String(details.value);
    return [`${namespace}/${key}`, value] as const;
  });
  return Object.fromEntries(entries);
}
