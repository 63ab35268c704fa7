import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";

/** Root of the Pulumi project (where Pulumi.yaml lives). */
export const projectDir = path.resolve(__dirname, "..");

export type ConfigType = "string" | "integer" | "boolean" | "array";

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
  const doc = yaml.load(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8")) as {
    name: string;
    config?: Record<string, { type: ConfigType; description?: string; default?: unknown; secret?: boolean; value?: unknown }>;
  };
  // Namespaced keys (kubernetes:…) set a provider's configuration for every stack; they are not the program's.
  const config = Object.entries(doc.config ?? {})
    .filter(([key]) => !key.includes(":"))
    .map(([key, decl]) => ({
    key,
    type: decl.type,
    description: decl.description ?? "",
    default: decl.default,
    secret: decl.secret === true,
  }));
  return { name: doc.name, config };
}
