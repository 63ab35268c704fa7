/**
 * The flag environments and where their flags live: the one definition the settings, the flags
 * tool, `npm run local`, `deploy:local`, the e2e tests and the workflows use. A change lands in the
 * first environment and is promoted towards the last, which is live.
 */
export const ENVIRONMENTS = ["dev", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** The environment whose flags production services evaluate: a change there is live on merge. */
export const LIVE_ENVIRONMENT: Environment = "prod";

/** The folder of this repository that holds one directory per environment. */
export const FLAGS_ROOT = "flags";

/** `flags/<environment>`: the directory a stack serving `environment` sets as gitDirectory. */
export function environmentDirectory(environment: Environment, root: string = FLAGS_ROOT): string {
  return `${root}/${environment}`;
}

export function isEnvironment(value: unknown): value is Environment {
  return (ENVIRONMENTS as readonly unknown[]).includes(value);
}
