/**
 * Small checks shared by the settings parser. Each returns `undefined` when the
 * value is fine, or the expected form (a phrase) when it is not.
 */

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const PG_IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
// \u00b5 is µ (Go also accepts "µs"), written as an escape: the flags relay's bundle carries these lines and must stay ASCII.
const GO_DURATION = /^(\d+(\.\d+)?(ns|us|\u00b5s|ms|s|m|h))+$/;
const PROM_DURATION = /^(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$/;
const QUANTITY = /^(\d+(\.\d+)?)(m|k|M|G|T|P|Ki|Mi|Gi|Ti|Pi)?$/;

export function dnsLabel(value: string): string | undefined {
  return DNS_LABEL.test(value) && value.length <= 63
    ? undefined
    : "a DNS-1123 label (lower-case letters, digits and '-', at most 63 characters)";
}

export function dnsSubdomain(value: string): string | undefined {
  return DNS_SUBDOMAIN.test(value) && value.length <= 253
    ? undefined
    : "a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', at most 253 characters)";
}

export function pgIdentifier(value: string): string | undefined {
  return PG_IDENTIFIER.test(value) && value.length <= 63
    ? undefined
    : "a PostgreSQL identifier (lower-case letters, digits and '_', not starting with a digit, at most 63 characters)";
}

export function envName(value: string): string | undefined {
  return ENV_NAME.test(value) ? undefined : "an environment variable name such as FLIPT_NAMESPACE";
}

const GO_UNIT_SECONDS: Record<string, number> = { ns: 1e-9, us: 1e-6, "\u00b5s": 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** Seconds in a Go duration string (`1m30s` → 90), or undefined when it is not one. */
export function goDurationSeconds(value: string): number | undefined {
  if (!GO_DURATION.test(value)) return undefined;
  let total = 0;
  for (const part of value.matchAll(/(\d+(?:\.\d+)?)(ns|us|\u00b5s|ms|s|m|h)/g)) {
    total += Number(part[1]) * GO_UNIT_SECONDS[part[2]];
  }
  return total;
}

export function promDuration(value: string): string | undefined {
  return value !== "" && PROM_DURATION.test(value) ? undefined : "a Prometheus duration such as 30s or 1m";
}

const QUANTITY_FACTOR: Record<string, number> = {
  "": 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50,
};

/** The numeric value of a Kubernetes quantity (`128Mi`, `500m`), or undefined when it is not one. */
export function quantityValue(value: string): number | undefined {
  const match = QUANTITY.exec(value);
  return match ? Number(match[1]) * QUANTITY_FACTOR[match[3] ?? ""] : undefined;
}

/** An image reference pinned by a tag other than `latest`, or by digest; `example` is shown in the expected form. */
export function pinnedImage(value: string, example = "docker.flipt.io/flipt/flipt:v1.61.1"): string | undefined {
  const match = /^([a-z0-9.-]+(?::\d+)?\/)?[a-z0-9._/-]+(:([\w][\w.-]{0,127}))?(@sha256:[a-f0-9]{64})?$/.exec(value);
  const tag = match?.[3];
  const digest = match?.[4];
  if (match && (digest || (tag && tag !== "latest"))) return undefined;
  return `an image pinned by tag or digest, e.g. ${example} (not :latest)`;
}

export type RepositoryScheme = "https" | "http" | "ssh";

/** The transport of a Git repository URL: https://, http://, ssh:// or scp-like user@host:path. */
export function repositoryScheme(value: string): RepositoryScheme | undefined {
  if (/^https:\/\/[^\s/]+\/\S+$/.test(value)) return "https";
  if (/^http:\/\/[^\s/]+\/\S+$/.test(value)) return "http";
  if (/^ssh:\/\/[^\s/]+\/\S+$/.test(value) || /^[\w.-]+@[\w.-]+:[^\s]+$/.test(value)) return "ssh";
  return undefined;
}

export function httpUrl(value: string): string | undefined {
  return /^https?:\/\/[^\s/]+(\/\S*)?$/.test(value) ? undefined : "an http(s) URL such as https://grafana.example.com";
}
