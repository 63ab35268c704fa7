/**
 * The evaluation `deploy:local` makes and prints as a curl line: the first boolean flag without
 * rollouts in the environment's flags (in the order Flipt loads them), whose served value is its
 * `enabled`. Chosen from what flags/ holds now, since flags are added and removed every day.
 */
import { readFolder } from "../flags/folder";
import { readEnvironmentState } from "../flags/state";
import { UserError } from "../../settings/userError";
import { shownPath } from "../../settings/yamlFile";

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
  const plain = [...readEnvironmentState(readFolder(flagsDir, shownPath(flagsDir))).flags.values()].find(({ flag }) => {
    const boolean = flag.type === undefined || flag.type === "BOOLEAN_FLAG_TYPE";
    return boolean && typeof flag.enabled === "boolean" && (!Array.isArray(flag.rollouts) || flag.rollouts.length === 0);
  });
  if (plain === undefined) throw new UserError(`${shownPath(flagsDir)} has no boolean flag without rollouts to evaluate`);
  const { namespace, key } = plain;
  const body = JSON.stringify({ namespaceKey: namespace, flagKey: key, entityId: ENTITY, context: {} });
  return {
    namespace,
    key,
    enabled: plain.flag.enabled as boolean,
    async evaluate(fliptUrl) {
      const response = await fetch(`${fliptUrl}${BOOLEAN_PATH}`, { method: "POST", headers: { "content-type": "application/json" }, body, signal: AbortSignal.timeout(5000) });
      if (response.status !== 200) throw new Error(`${BOOLEAN_PATH} answered ${response.status}: ${await response.text()}`);
      return ((await response.json()) as { enabled: boolean }).enabled;
    },
    curl: (fliptUrl) => `curl -s -X POST ${fliptUrl}${BOOLEAN_PATH} -H 'content-type: application/json' -d '${body}'`,
  };
}
