/**
 * The configuration `deploy:local` deploys: the stack's own file, with only what points at the
 * outside world replaced by this machine's stand-ins for it (the cluster, the Git remote, the
 * cluster's PostgreSQL, Grafana). Pure: the fast tier checks it against each stack file.
 */
import { isReviewStack, parseSettings } from "../../settings/parse";
import { readProjectFile } from "../../settings/schema";
import { isSecureValue, placeholderSecret, readStackConfig, REVIEW_STACK_BASE, stackFileFor } from "../../settings/stackFiles";
import { Settings } from "../../settings/types";
import { PROJECT, StackConfig, stackConfig } from "../lib/localWorld";
import { readYamlFile } from "../../settings/yamlFile";

/** What this machine offers in place of the outside world. */
export interface LocalEndpoints {
  /** The local kubeconfig's context. */
  readonly kubeContext: string;
  /** Clone URL of the loopback Git server that serves this checkout's committed flags/. */
  readonly gitRepository: string;
  /** The credential that Git server accepts. */
  readonly gitCredential: string;
  /** The local PostgreSQL standing in for the cluster's; for stacks with databaseMode postgres. */
  readonly postgres?: { readonly host: string; readonly port: number; readonly adminPassword: string };
}

/** One replaced key: shown to the user as one line. */
export interface Replacement {
  readonly key: string;
  readonly from: string;
  readonly to: string;
  readonly why: string;
}

export interface LocalStackConfig {
  /** The stack file the configuration comes from (a review stack's is dev's). */
  readonly file: string;
  readonly config: StackConfig;
  readonly replacements: readonly Replacement[];
  /** What makes a review stack differ from the file it is copied from (as the review workflow does). */
  readonly reviewOverrides: Readonly<Record<string, unknown>>;
}

const SECRET = "(secret)";
/** A review stack is dev's configuration in sqlite mode (docs/deploying.md, review stacks). */
const REVIEW_VALUES = { databaseMode: "sqlite" } as const;
const REVIEW_OVERRIDES = Object.fromEntries(Object.entries(REVIEW_VALUES).map(([key, value]) => [`${PROJECT}:${key}`, value]));

/** The settings of the stack as its file gives them (a review stack's: dev's, in sqlite mode); the settings' own errors when invalid. */
export function stackFileSettings(stack: string): Settings {
  const input = readStackConfig(stack, placeholderSecret);
  return parseSettings({ ...input, values: isReviewStack(stack) ? { ...input.values, ...REVIEW_VALUES } : input.values });
}

function fileConfig(file: string): Record<string, unknown> {
  return ((readYamlFile(file) ?? {}) as { config?: Record<string, unknown> }).config ?? {};
}

/** The value a key has in the stack, as a user reads it: the file's, or the declared default. */
function shown(file: Record<string, unknown>, key: string): string {
  if (key in file) return isSecureValue(file[key]) ? SECRET : String(file[key]);
  const declared = readProjectFile().config.find((d) => `${PROJECT}:${d.key}` === key);
  return declared?.default === undefined ? "(unset)" : `${JSON.stringify(declared.default)} (default)`;
}

function effective(file: Record<string, unknown>, overrides: Record<string, unknown>, key: string): unknown {
  const full = `${PROJECT}:${key}`;
  if (full in overrides) return overrides[full];
  if (full in file) return file[full];
  return readProjectFile().config.find((d) => d.key === key)?.default;
}

/** Every outward-pointing key of a stack and its local value; secrets are marked so they are set encrypted. */
function outwardKeys(file: Record<string, unknown>, overrides: Record<string, unknown>, local: LocalEndpoints) {
  const keys: { key: string; value: unknown; secret?: boolean; why: string }[] = [
    { key: "kubernetes:context", value: local.kubeContext, why: "the local control plane's kubeconfig" },
    { key: `${PROJECT}:gitRepository`, value: local.gitRepository, why: "the loopback Git server serving this checkout's committed flags/" },
    { key: `${PROJECT}:gitCredential`, value: local.gitCredential, secret: true, why: "the credential that Git server accepts" },
  ];
  if (effective(file, overrides, "databaseMode") === "postgres") {
    if (!local.postgres) throw new Error("a stack with databaseMode postgres needs the local PostgreSQL");
    const pg = local.postgres;
    keys.push(
      { key: `${PROJECT}:postgresHost`, value: pg.host, why: "the local PostgreSQL standing in for the cluster's" },
      { key: `${PROJECT}:postgresPort`, value: pg.port, why: "its port" },
      { key: `${PROJECT}:postgresSslmode`, value: "disable", why: "it listens on loopback without TLS" },
      { key: `${PROJECT}:postgresAdminPassword`, value: pg.adminPassword, secret: true, why: `its administrator ${String(effective(file, overrides, "postgresAdminUser"))} (CREATEROLE, CREATEDB, no superuser)` },
    );
  } else if (`${PROJECT}:postgresAdminPassword` in file) {
    keys.push({ key: `${PROJECT}:postgresAdminPassword`, value: "", secret: true, why: "unused with databaseMode sqlite" });
  }
  if (effective(file, overrides, "grafanaUrl") !== "") {
    keys.push({ key: `${PROJECT}:grafanaUrl`, value: "", why: "no Grafana here: the dashboard goes into the sidecar ConfigMap instead" });
  }
  // Its placeholder cannot be decrypted here; sidecar delivery needs none.
  keys.push({ key: `${PROJECT}:grafanaToken`, value: "", secret: true, why: "sidecar delivery needs no Grafana token" });
  return keys;
}

/** The stack's own configuration with the outward-pointing keys replaced, and one line's worth of each replacement. */
export function localStackConfig(stack: string, local: LocalEndpoints): LocalStackConfig {
  const file = stackFileFor(stack);
  const from = isReviewStack(stack) ? REVIEW_STACK_BASE : stack;
  const raw = fileConfig(file);
  const reviewOverrides = isReviewStack(stack) ? REVIEW_OVERRIDES : {};
  const plain: Record<string, unknown> = { ...reviewOverrides };
  const secrets: Record<string, string> = {};
  const replacements: Replacement[] = [];
  for (const { key, value, secret, why } of outwardKeys(raw, reviewOverrides, local)) {
    if (secret) secrets[key.slice(key.indexOf(":") + 1)] = String(value);
    else plain[key] = value;
    replacements.push({ key, from: shown(raw, key), to: secret ? SECRET : JSON.stringify(value), why });
  }
  const base = stackConfig(from, plain, secrets);
  return { file, config: base, replacements, reviewOverrides };
}

export function describeReplacement(r: Replacement): string {
  return `${r.key}: ${r.from} → ${r.to} (${r.why})`;
}
