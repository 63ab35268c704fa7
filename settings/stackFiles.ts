/**
 * Reading a stack's configuration without the Pulumi CLI. `readStack` is the one way in: it turns
 * a stack name (plus values set on top and stand-ins for secrets) into the settings and the
 * engine's configuration, with the review-stack rule (dev's file, in SQLite mode) inside it.
 * render, `npm run local`, deploy:local, the engine tier and the bench call it.
 */
import * as fs from "fs";
import * as path from "path";
import { ConfigInput, isReviewStack, parseSettings } from "./parse";
import { projectDir, readProjectFile, type ConfigDeclaration, type ProjectFile } from "./schema";
import type { Settings } from "./types";
import { UserError } from "./userError";
import { readYamlFile } from "./yamlFile";

/** How `secure:` values are stood in for when a stack file is read without the Pulumi CLI. */
export type SecretStandIn = (key: string) => string;

/** Render's stand-in: visible in the output, obviously not a real secret. */
export const placeholderSecret: SecretStandIn = (key) => `<secret:${key}>`;

/** A stack file's encrypted value: `key: {secure: <ciphertext>}`. */
export function isSecureValue(value: unknown): boolean {
  return value !== null && typeof value === "object" && "secure" in value;
}

/** The stack whose file a review stack (`pr-<n>`) is made from, as the review workflow does. */
export const REVIEW_STACK_BASE = "dev";

/** The stack file a stack reads: its own, or dev's for a review stack that has none yet. */
export function stackFileFor(stack: string, dir: string = projectDir): string {
  const own = path.join(dir, `Pulumi.${stack}.yaml`);
  if (fs.existsSync(own) || !isReviewStack(stack)) return own;
  return path.join(dir, `Pulumi.${REVIEW_STACK_BASE}.yaml`);
}

/**
 * The raw half of readStack: Pulumi.yaml and a stack's Pulumi.<stack>.yaml the way the Pulumi CLI hands them to the
 * program (declared defaults apply; `secure:` values are secret), for render and tests, which
 * run without the CLI. Encrypted values cannot be decrypted here: `secretStandIn` provides them.
 */
export function readStackConfig(stack: string, secretStandIn: SecretStandIn, dir: string = projectDir): ConfigInput {
  const project = readProjectFile(dir);
  return configInputOf(project, stack, readStackFile(stackFileFor(stack, dir), dir), secretStandIn);
}

/** A stack file's `config:` block as written; a user error when the file is missing. */
function readStackFile(file: string, dir: string): Record<string, unknown> {
  if (!fs.existsSync(file)) {
    throw new UserError(`no stack file ${path.basename(file)}; expected one of ${listStacks(dir).join(", ")} or pr-<number>`);
  }
  return ((readYamlFile(file) ?? {}) as { config?: Record<string, unknown> }).config ?? {};
}

function configInputOf(project: ProjectFile, stack: string, fileConfig: Record<string, unknown>, secretStandIn: SecretStandIn): ConfigInput {
  const values: Record<string, unknown> = {};
  const secretKeys = new Set<string>();
  const prefix = `${project.name}:`;
  for (const [fullKey, value] of Object.entries(fileConfig)) {
    if (!fullKey.startsWith(prefix)) continue; // provider settings such as kubernetes:context
    const key = fullKey.slice(prefix.length);
    if (isSecureValue(value)) {
      values[key] = secretStandIn(key);
      secretKeys.add(key);
    } else {
      values[key] = value;
    }
  }
  return { project: project.name, stack, values, secretKeys, declarations: project.config };
}

/** Stacks that have a stack file. */
export function listStacks(dir: string = projectDir): string[] {
  return fs
    .readdirSync(dir)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

// ---- one stack's input ---------------------------------------------------------------------

/** What the review workflow sets on top of dev's file: SQLite, so a review stack leaves the shared PostgreSQL alone (docs/deploying.md). */
export const REVIEW_VALUES: Readonly<Record<string, unknown>> = { databaseMode: "sqlite" };

/** A stack's configuration for the engine: plain values as a stack file holds them (full keys), and secrets to set encrypted. */
export interface StackConfig {
  readonly plain: Record<string, unknown>;
  readonly secrets: Record<string, string>;
}

export interface StackInput {
  readonly stack: string;
  /** The stack whose file it comes from: its own, or dev for a review stack. */
  readonly from: string;
  readonly file: string;
  readonly project: string;
  readonly declarations: readonly ConfigDeclaration[];
  /** The file's `config:` block as written: full keys, `secure:` values as their ciphertext objects. */
  readonly fileConfig: Readonly<Record<string, unknown>>;
  /** What is set on top of the file: the review rule for a review stack, then the caller's values (full keys). */
  readonly overrides: Readonly<Record<string, unknown>>;
  /** What the program is given (as `pulumi.runtime.allConfig()` would hold it), secrets stood in. */
  readonly configInput: ConfigInput;
  /** The settings the program derives from it. */
  readonly settings: Settings;
  /** A key's value as the stack has it (full key): an override, the file's, or the declared default. */
  value(key: string): unknown;
  /** What `pulumi stack init --copy-config-from <from>` and `pulumi config set` would give, with `secrets` (short keys) for the file's `secure:` values. */
  engineConfig(secrets: Readonly<Record<string, string>>, extra?: Readonly<Record<string, unknown>>): StackConfig;
}

export interface ReadStackOptions {
  /** The stack's name when it is made from `stack`'s file (`pulumi stack init <name> --copy-config-from <stack>`). */
  readonly name?: string;
  /** Values set on top of the file and the review rule: short keys of this project, or full ones (`kubernetes:context`). */
  readonly values?: Readonly<Record<string, unknown>>;
  /** Stands in for the file's `secure:` values in the settings (default: render's visible placeholders). */
  readonly secretStandIn?: SecretStandIn;
  readonly dir?: string;
}

export function readStack(stack: string, options: ReadStackOptions = {}): StackInput {
  const dir = options.dir ?? projectDir;
  const name = options.name ?? stack;
  const project = readProjectFile(dir);
  const file = stackFileFor(stack, dir);
  const fileConfig = readStackFile(file, dir);
  const full = (key: string) => (key.includes(":") ? key : `${project.name}:${key}`);
  const overrides: Record<string, unknown> = {};
  const review = isReviewStack(name) && !fs.existsSync(path.join(dir, `Pulumi.${name}.yaml`));
  for (const [key, value] of Object.entries({ ...(review ? REVIEW_VALUES : {}), ...options.values })) {
    overrides[full(key)] = value;
  }
  const input = configInputOf(project, stack, fileConfig, options.secretStandIn ?? placeholderSecret);
  const prefix = `${project.name}:`;
  const ownOverrides = Object.fromEntries(Object.entries(overrides).filter(([key]) => key.startsWith(prefix)).map(([key, value]) => [key.slice(prefix.length), value]));
  const configInput: ConfigInput = { ...input, stack: name, values: { ...input.values, ...ownOverrides } };
  let settings: Settings | undefined; // parsed on first use: an engine test may deploy a configuration the settings refuse
  const value = (key: string): unknown => {
    const name = full(key);
    if (name in overrides) return overrides[name];
    if (name in fileConfig) return fileConfig[name];
    return project.config.find((d) => `${prefix}${d.key}` === name)?.default;
  };
  const engineConfig = (secrets: Readonly<Record<string, string>>, extra: Readonly<Record<string, unknown>> = {}): StackConfig => {
    const plain: Record<string, unknown> = {};
    const secretValues: Record<string, string> = {};
    for (const [key, fileValue] of Object.entries(fileConfig)) {
      if (!isSecureValue(fileValue)) plain[key] = fileValue;
      else {
        const short = key.slice(key.indexOf(":") + 1);
        if (!(short in secrets)) throw new Error(`no value for the secret ${key} of ${path.basename(file)}`);
        secretValues[key] = secrets[short];
      }
    }
    for (const [key, overridden] of Object.entries({ ...overrides, ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [full(k), v])) })) plain[key] = overridden;
    return { plain, secrets: secretValues };
  };
  const from = file === path.join(dir, `Pulumi.${stack}.yaml`) ? stack : REVIEW_STACK_BASE;
  return {
    stack: name, from, file, project: project.name, declarations: project.config, fileConfig, overrides, configInput, value, engineConfig,
    get settings() {
      return (settings ??= parseSettings(configInput));
    },
  };
}
