import { Settings } from "../settings/types";
import { dashboardObjectSpecs } from "./dashboard";
import { FliptSecretValues, ObjectSpec, fliptObjectSpecs } from "./kubernetes";
import { monitoringObjectSpecs } from "./monitoring";
import { serviceConfigSpecs } from "./serviceConfig";

/**
 * Every Kubernetes object a stack creates, from the same builders the components use.
 * `npm run render` writes these; the end-to-end tests run Flipt from them.
 */
export function stackObjectSpecs<V>(settings: Settings, secrets: FliptSecretValues<V>): ObjectSpec[] {
  // Service wiring last: patches of existing ConfigMaps (ConfigMapPatch bodies) and the `<name>-flipt` ConfigMaps.
  return [
    ...fliptObjectSpecs(settings, secrets),
    ...monitoringObjectSpecs(settings),
    ...dashboardObjectSpecs(settings),
    ...serviceConfigSpecs(settings),
  ];
}
