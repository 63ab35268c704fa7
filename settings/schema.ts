import * as path from "path";
import { UserError } from "./userError";
import { readYamlFile, shownPath } from "./yamlFile";

/** Root of the Pulumi project (where Pulumi.yaml lives). */
export const projectDir = path.resolve(__dirname, "..");

export const CONFIG_TYPES = ["string", "integer", "boolean", "array"] as const;
export type ConfigType = (typeof CONFIG_TYPES)[number];

/** One key of Pulumi.yaml's `config:` block. */
export interface ConfigDeclaration {
  readonly key: string;
  readonly type: ConfigType;
  readonly description: string;
  readonly default?: unknown;
  readonly secret: boolean;
}

export interface ProjectFile {
  readonly name: string;
  readonly config: readonly ConfigDeclaration[];
}

/** Reads Pulumi.yaml: the single place where keys, types, defaults and secrecy are declared. */
export function readProjectFile(dir: string = projectDir): ProjectFile {
  const file = shownPath(path.join(dir, "Pulumi.yaml"));
  const doc = (readYamlFile(path.join(dir, "Pulumi.yaml"), file) ?? {}) as {
    name?: unknown;
    config?: Record<string, { type?: unknown; description?: string; default?: unknown; secret?: boolean; value?: unknown } | null>;
  };
  const problems: string[] = [];
  if (typeof doc.name !== "string" || doc.name === "") problems.push(`${file}: name: expected the project's name`);
  // Namespaced keys (kubernetes:…) set a provider's configuration for every stack; they are not the program's.
  const config = Object.entries(doc.config ?? {})
    .filter(([key]) => !key.includes(":"))
    .map(([key, decl]) => {
      const type = declaredType(decl?.type, decl?.default);
      if (type === undefined) {
        problems.push(`${file}: config.${key}.type: ${JSON.stringify(decl?.type)} is invalid; expected one of ${CONFIG_TYPES.join(", ")}`);
      }
      return { key, type: type ?? "string", description: decl?.description ?? "", default: decl?.default, secret: decl?.secret === true };
    });
  if (problems.length > 0) throw new UserError(problems);
  return { name: doc.name as string, config };
}

/** A declaration's type; Pulumi infers it from the default when `type` is left out. */
function declaredType(type: unknown, fallback: unknown): ConfigType | undefined {
  if (type === undefined) {
    if (typeof fallback === "string") return "string";
    if (typeof fallback === "boolean") return "boolean";
    if (typeof fallback === "number" && Number.isInteger(fallback)) return "integer";
    if (Array.isArray(fallback)) return "array";
    return undefined;
  }
  return (CONFIG_TYPES as readonly unknown[]).includes(type) ? (type as ConfigType) : undefined;
}
