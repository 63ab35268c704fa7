/**
 * Rendered versus live: every field `npm run render` writes must be in the object the API server
 * returns, with the same value. The server adds defaults and status, so live may hold more.
 */

/** Paths (a.b[0].c) where `live` lacks or differs from `rendered`; empty when rendered ⊆ live. */
export function differencesFromLive(rendered: unknown, live: unknown, at = ""): string[] {
  if (Array.isArray(rendered)) {
    if (!Array.isArray(live)) return [`${at}: rendered a list, live has ${JSON.stringify(live)}`];
    if (rendered.length !== live.length) return [`${at}: rendered ${rendered.length} items, live has ${live.length}`];
    return rendered.flatMap((item, i) => differencesFromLive(item, live[i], `${at}[${i}]`));
  }
  if (rendered !== null && typeof rendered === "object") {
    if (live === null || typeof live !== "object" || Array.isArray(live)) return [`${at}: rendered an object, live has ${JSON.stringify(live)}`];
    return Object.entries(rendered).flatMap(([key, value]) =>
      differencesFromLive(value, (live as Record<string, unknown>)[key], at ? `${at}.${key}` : key),
    );
  }
  return rendered === live ? [] : [`${at}: rendered ${JSON.stringify(rendered)}, live has ${JSON.stringify(live)}`];
}

/** A Secret as rendered (`stringData`) in the form the API server returns it (`data`, base64). */
export function secretAsLive(rendered: Record<string, any>): Record<string, any> {
  const { stringData, ...rest } = rendered;
  if (stringData === undefined) return rendered;
  const data = Object.fromEntries(Object.entries(stringData as Record<string, string>).map(([k, v]) => [k, Buffer.from(v).toString("base64")]));
  return { ...rest, data: { ...(rest.data ?? {}), ...data } };
}
