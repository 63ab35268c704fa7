/**
 * STAND-IN (engine tier, deploy:local and the bench only, never shipped) for the PostgreSQL
 * provider plugin: its provider configuration (the inputs of `pulumi:providers:postgresql`).
 *
 * How it arrives: the engine sends it in the Configure RPC, as `args` (the provider resource's
 * inputs, secrets still marked) and as `variables` ("postgresql:config:<key>" → string). The Node
 * SDK's provider server (@pulumi/pulumi/provider/server.js) answers Configure itself and passes
 * neither on to the Provider object (its interface has no configure), and answers CheckConfig and
 * DiffConfig with UNIMPLEMENTED, which the engine takes as "inputs as given" and "no replace".
 * provider.ts therefore reads the Configure request itself and hands `args` to connectionConfig.
 *
 * The SDK's Provider class JSON-encodes the non-string inputs (port "5432", superuser "false",
 * connectTimeout "180"), so each is parsed from either form. Defaults are the provider's own,
 * without its environment fallbacks (PGHOST, PGUSER…): only the configuration decides where to connect.
 */
import { SslMode } from "../../../../settings/types";
import { PropertyMap, reveal } from "./resources";

const SSL_MODES: readonly SslMode[] = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];

export interface ConnectionConfig {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  /** The user's name inside PostgreSQL (user name maps): what grants and default owners name. Defaults to username. */
  readonly databaseUsername: string;
  readonly password?: string;
  readonly sslmode: SslMode;
  readonly sslrootcert?: string;
  /** The database the admin connects to. */
  readonly database: string;
  /** Whether the admin is a superuser; when true, reading a login role checks that it really is, as the provider does. */
  readonly superuser: boolean;
  readonly connectTimeoutSeconds: number;
}

/** The provider's defaults (its schema's, minus the environment). lib/pq, which the provider uses, takes an unset sslmode as require. */
export const CONFIG_DEFAULTS = { port: 5432, username: "postgres", database: "postgres", sslmode: "require", superuser: true, connectTimeout: 180 } as const;

/** Authentication the real provider offers and this stand-in cannot: configuring one is an error, not a silent password login. */
const UNSERVED_CONFIG = ["awsRdsIamAuth", "azureIdentityAuth", "gcpIamImpersonateServiceAccount", "clientcert"];

type Problems = string[];

function stringValue(raw: PropertyMap, key: string, problems: Problems): string | undefined {
  const value = reveal(raw[key]);
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value === "string") return value;
  problems.push(`${key} must be a string, got ${JSON.stringify(value)}`);
  return undefined;
}

/** A JSON-encoded scalar ("5432", "false") or the scalar itself. */
function scalarValue(raw: PropertyMap, key: string): unknown {
  const value = reveal(raw[key]);
  if (typeof value !== "string") return value ?? undefined;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

function integerValue(raw: PropertyMap, key: string, fallback: number, problems: Problems): number {
  const value = scalarValue(raw, key);
  if (value === undefined || value === null) return fallback;
  if (Number.isInteger(value)) return value as number;
  problems.push(`${key} must be an integer, got ${JSON.stringify(reveal(raw[key]))}`);
  return fallback;
}

function booleanValue(raw: PropertyMap, key: string, fallback: boolean, problems: Problems): boolean {
  const value = scalarValue(raw, key);
  if (value === undefined || value === null) return fallback;
  if (typeof value === "boolean") return value;
  problems.push(`${key} must be true or false, got ${JSON.stringify(reveal(raw[key]))}`);
  return fallback;
}

function sslModeValue(raw: PropertyMap, problems: Problems): SslMode {
  // sslMode is the deprecated spelling; sslmode wins, as in the provider.
  const value = stringValue(raw, "sslmode", problems) ?? stringValue(raw, "sslMode", problems) ?? CONFIG_DEFAULTS.sslmode;
  if ((SSL_MODES as readonly string[]).includes(value)) return value as SslMode;
  problems.push(`sslmode must be one of ${SSL_MODES.join(", ")}, got ${JSON.stringify(value)}`);
  return CONFIG_DEFAULTS.sslmode;
}

function unservedProblems(raw: PropertyMap): Problems {
  const set = UNSERVED_CONFIG.filter((key) => {
    const value = scalarValue(raw, key);
    return value !== undefined && value !== null && value !== false && value !== "";
  });
  const scheme = stringValue(raw, "scheme", []);
  if (scheme && scheme !== "postgres") set.push(`scheme ${scheme}`);
  return set.map((key) => `${key} is not served by the PostgreSQL provider stand-in (test only): it logs in with username and password`);
}

/** The connection a provider configuration describes; throws with every problem, each naming its key. */
export function connectionConfig(raw: PropertyMap): ConnectionConfig {
  const problems: Problems = unservedProblems(raw);
  const host = stringValue(raw, "host", problems);
  if (!host) problems.push("host is required (the stand-in has no PGHOST fallback)");
  const username = stringValue(raw, "username", problems) ?? CONFIG_DEFAULTS.username;
  const config: ConnectionConfig = {
    host: host ?? "",
    port: integerValue(raw, "port", CONFIG_DEFAULTS.port, problems),
    username,
    databaseUsername: stringValue(raw, "databaseUsername", problems) ?? username,
    password: stringValue(raw, "password", problems),
    sslmode: sslModeValue(raw, problems),
    sslrootcert: stringValue(raw, "sslrootcert", problems),
    database: stringValue(raw, "database", problems) ?? CONFIG_DEFAULTS.database,
    superuser: booleanValue(raw, "superuser", CONFIG_DEFAULTS.superuser, problems),
    connectTimeoutSeconds: integerValue(raw, "connectTimeout", CONFIG_DEFAULTS.connectTimeout, problems),
  };
  if (problems.length > 0) throw new Error(`postgresql provider configuration: ${problems.join("; ")}`);
  return config;
}

/** The provider inputs from the Configure request's variables map, for an engine that sends no `args`. */
export function configFromVariables(variables: readonly (readonly [string, string])[]): PropertyMap {
  const prefix = "postgresql:config:";
  return Object.fromEntries(variables.filter(([key]) => key.startsWith(prefix)).map(([key, value]) => [key.slice(prefix.length), value]));
}
