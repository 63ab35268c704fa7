import * as pulumi from "@pulumi/pulumi";
import { FlagPlatform } from "./components/flagPlatform";
import { parseSettings } from "./settings/parse";
import { pulumiConfigInput } from "./settings/pulumiConfig";
import { UserError } from "./settings/userError";

function loadSettings() {
  try {
    return parseSettings(pulumiConfigInput());
  } catch (err) {
    // A RunError is printed without a stack trace: one line per problem (a bad value, a YAML syntax error).
    if (err instanceof UserError) throw new pulumi.RunError(err.message);
    throw err;
  }
}

const platform = new FlagPlatform("flipt", { settings: loadSettings() });

/** In-cluster HTTP URL of Flipt: the value services get as FLIPT_URL. */
export const fliptUrl = platform.fliptUrl;
export const fliptGrpcAddress = platform.fliptGrpcAddress;
export const namespace = platform.namespace;
export const databaseName = platform.databaseName;
/** Bootstrap token for Flipt's management API (secret): `pulumi stack output --show-secrets bootstrapToken`. */
export const bootstrapToken = platform.bootstrapToken;
/** service (`<namespace>/<name>`) → {kind: patched|created, configMap, namespace, keys}: where FLIPT_URL was written. */
export const serviceConfig = platform.serviceConfig;
/** UID of Flipt's Grafana dashboard (both delivery modes). */
export const dashboardUid = platform.dashboardUid;
/** The dashboard's address; only when it is delivered through Grafana's API (grafanaUrl set). */
export const dashboardUrl = platform.dashboardUrl;
