/**
 * The evaluation `deploy:local` makes and prints as a curl line: a migrated boolean flag without
 * rollouts, whose served value is the `enabled` of the environment's flag file.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { flagFileName } from "../flags/document";

const NAMESPACE = "platform";
const KEY = "kill_switches--llm_gateway--inference";
const ENTITY = "org-1";
const BOOLEAN_PATH = "/evaluate/v1/boolean";

export interface EvaluationExample {
  readonly namespace: string;
  readonly key: string;
  /** What the flag file says, hence what Flipt must serve. */
  readonly enabled: boolean;
  evaluate(fliptUrl: string): Promise<boolean>;
  curl(fliptUrl: string): string;
}

export function evaluationExample(flagsDir: string): EvaluationExample {
  const file = path.join(flagsDir, flagFileName(NAMESPACE));
  const doc = yaml.load(fs.readFileSync(file, "utf8")) as { flags: { key: string; enabled: boolean; rollouts?: unknown[] }[] };
  const flag = doc.flags.find((f) => f.key === KEY);
  if (!flag || (flag.rollouts ?? []).length > 0) throw new Error(`${file} has no boolean flag ${KEY} without rollouts`);
  const body = JSON.stringify({ namespaceKey: NAMESPACE, flagKey: KEY, entityId: ENTITY, context: {} });
  return {
    namespace: NAMESPACE,
    key: KEY,
    enabled: flag.enabled,
    async evaluate(fliptUrl) {
      const response = await fetch(`${fliptUrl}${BOOLEAN_PATH}`, { method: "POST", headers: { "content-type": "application/json" }, body, signal: AbortSignal.timeout(5000) });
      if (response.status !== 200) throw new Error(`${BOOLEAN_PATH} answered ${response.status}: ${await response.text()}`);
      return ((await response.json()) as { enabled: boolean }).enabled;
    },
    curl: (fliptUrl) => `curl -s -X POST ${fliptUrl}${BOOLEAN_PATH} -H 'content-type: application/json' -d '${body}'`,
  };
}
