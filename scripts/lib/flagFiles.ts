/**
 * Reading and editing Flipt flag files (flags/*.features.yml) in a served flags directory: the flags
 * it holds, its kill switches, and a file with one flag's `enabled` changed, as the end-to-end tests
 * and the bench change the repository a local Flipt serves.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { FLAG_FILE_SUFFIX, renderFlagFile, type FliptDocument } from "../flags/document";
import { METADATA } from "../flags/lifecycle";
import { KILL_SWITCH_PREFIX } from "../flags/migrate";

/** A flag as an evaluation names it: its namespace and key. */
export interface FlagRef {
  readonly namespace: string;
  readonly key: string;
}

export interface FlagFile {
  readonly file: string;
  readonly document: FliptDocument;
}

export function readFlagFiles(dir: string): FlagFile[] {
  return fs
    .readdirSync(dir)
    .filter((file) => file.endsWith(FLAG_FILE_SUFFIX))
    .sort()
    .map((file) => ({ file, document: yaml.load(fs.readFileSync(path.join(dir, file), "utf8")) as FliptDocument }));
}

export function servedNamespaces(dir: string): string[] {
  return readFlagFiles(dir).map((f) => f.document.namespace);
}

/** The file content with one flag's `enabled` changed: what a kill-switch pull request commits. */
export function withFlagEnabled(dir: string, namespace: string, key: string, enabled: boolean): { file: string; content: string } {
  const found = readFlagFiles(dir).find((f) => f.document.namespace === namespace);
  const flag = found?.document.flags.find((f) => f.key === key);
  if (!found || !flag) throw new Error(`no flag ${namespace}/${key} in ${dir}`);
  flag.enabled = enabled;
  return { file: found.file, content: renderFlagFile(found.document) };
}

/** Served kill switches (legacy key under KILL_SWITCH_PREFIX), found through their `legacy_key` metadata. */
export function killSwitches(dir: string): { namespace: string; key: string; legacyKey: string }[] {
  return readFlagFiles(dir).flatMap(({ document }) =>
    document.flags
      .filter((flag) => String(flag.metadata?.[METADATA.legacyKey] ?? "").startsWith(KILL_SWITCH_PREFIX))
      .map((flag) => ({ namespace: document.namespace, key: flag.key, legacyKey: String(flag.metadata[METADATA.legacyKey]) })),
  );
}
