import { parseSettings } from "../../settings/parse";
import { readStackConfig } from "../../settings/stackFiles";
import { Settings } from "../../settings/types";
import { testSecret } from "../program/harness";

/** A stack file's settings with `changes` on top (short keys), secrets stood in by the program tests' testSecret. */
export function settingsFor(stack: string, changes: Record<string, unknown> = {}): Settings {
  const input = readStackConfig(stack, testSecret);
  return parseSettings({ ...input, values: { ...input.values, ...changes } });
}
