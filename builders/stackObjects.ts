import { Settings } from "../settings/types";
import { FliptSecretValues, ObjectSpec, fliptObjectSpecs } from "./kubernetes";

/**
 * Every Kubernetes object a stack creates, from the same builders the components use.
 * `npm run render` writes these; the end-to-end tests run Flipt from them.
 */
export function stackObjectSpecs<V>(settings: Settings, secrets: FliptSecretValues<V>): ObjectSpec[] {
  return [...fliptObjectSpecs(settings, secrets)];
}
