/**
 * The Go runtime settings an experiment runs Flipt with: GOMEMLIMIT unset or set (to a share of the
 * pod's memory limit) and a GOGC value, as the environment Flipt's process gets over the rendered
 * container's (lib/pinning.ts applies it), whatever the render holds.
 */
import type { EnvironmentOverrides } from "./pinning";

export interface GoConfig {
  readonly gomemlimit: "unset" | "set";
  readonly gogc: number;
}

/** GOMEMLIMIT unset and set, each with GOGC 100 (Go's default) and 200. */
export const GO_CONFIGS: readonly GoConfig[] = [
  { gomemlimit: "unset", gogc: 100 },
  { gomemlimit: "unset", gogc: 200 },
  { gomemlimit: "set", gogc: 100 },
  { gomemlimit: "set", gogc: 200 },
];

/** "unset-100", as the command line names a configuration. */
export function goConfigId(config: GoConfig): string {
  return `${config.gomemlimit}-${config.gogc}`;
}

export function goConfigLabel(config: GoConfig): string {
  return `GOMEMLIMIT ${config.gomemlimit}, GOGC ${config.gogc}`;
}

/** "unset-100,set-200" → the configurations, in that order; the reason, as text, when it is not that form. */
export function parseGoConfigs(text: string): GoConfig[] | string {
  const configs: GoConfig[] = [];
  for (const item of text.split(",")) {
    const match = /^(unset|set)-(\d+)$/.exec(item.trim());
    if (!match || Number(match[2]) < 1) return `${JSON.stringify(item)}: expected unset-<GOGC> or set-<GOGC>, e.g. unset-100,set-200`;
    const config: GoConfig = { gomemlimit: match[1] as GoConfig["gomemlimit"], gogc: Number(match[2]) };
    if (!configs.some((c) => goConfigId(c) === goConfigId(config))) configs.push(config);
  }
  return configs;
}

/**
 * Flipt's environment for a configuration: GOMEMLIMIT set to `gomemlimit` or removed, GOGC set, and
 * GODEBUG=gctrace=1 so that every GC cycle reports its CPU time on stderr.
 */
export function goEnvironment(config: GoConfig, gomemlimit: string | undefined): EnvironmentOverrides {
  if (config.gomemlimit === "set" && gomemlimit === undefined) throw new Error(`${goConfigId(config)}: no GOMEMLIMIT value to set`);
  return { GOMEMLIMIT: config.gomemlimit === "set" ? gomemlimit : undefined, GOGC: String(config.gogc), GODEBUG: "gctrace=1" };
}
