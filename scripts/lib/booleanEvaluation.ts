/** One boolean evaluation against a Flipt (REST, no token: evaluation is excluded from authentication), as a service's provider asks. */
export async function evaluateBoolean(fliptUrl: string, flag: { readonly namespace: string; readonly key: string }, entityId: string): Promise<boolean> {
  const response = await fetch(`${fliptUrl}/evaluate/v1/boolean`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ namespaceKey: flag.namespace, flagKey: flag.key, entityId, context: {} }),
    signal: AbortSignal.timeout(5000),
  });
  if (!response.ok) throw new Error(`evaluating ${flag.namespace}/${flag.key}: HTTP ${response.status}`);
  return ((await response.json()) as { enabled: boolean }).enabled;
}
