import { parseArgs } from "node:util";
import { UserError } from "./errors";

export type OptionSpec = Record<string, { type: "string" | "boolean"; multiple?: boolean }>;

/** A command's options, strictly: an unknown option, a missing value or a missing required option is a user error naming it. */
export function options<T extends OptionSpec>(args: string[], spec: T, required: (keyof T & string)[] = []) {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({ args, options: spec, strict: true, allowPositionals: false }) as { values: typeof values });
  } catch (error) {
    // parseArgs explains the problem (unknown option, missing value) in its message.
    throw new UserError(`${(error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, " ")} (see --help)`);
  }
  const missing = required.filter((name) => values[name] === undefined);
  if (missing.length > 0) throw new UserError(`missing ${missing.map((m) => `--${m}`).join(", ")} (see --help)`);
  return values as { [K in keyof T]?: T[K]["multiple"] extends true ? string[] : T[K]["type"] extends "boolean" ? boolean : string };
}

