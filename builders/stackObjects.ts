import { relayProgram } from "./relayProgram";
import { Settings } from "../settings/types";
import { dashboardObjectSpecs } from "./dashboard";
import { flagsRelaySpecs } from "./flagsRelay";
import { FliptSecretValues, ObjectSpec, fliptObjectSpecs } from "./kubernetes";
import { monitoringObjectSpecs } from "./monitoring";
import { serviceConfigSpecs } from "./serviceConfig";

/**
 * Every Kubernetes object a stack creates, from the same builders the components use.
 * `npm run render` writes these; the end-to-end tests run Flipt from them. `relayProgramText` is the
 * flags relay's program (bundled from flags-relay/ when the relay is on and none is given).
 */
export function stackObjectSpecs<V>(settings: Settings, secrets: FliptSecretValues<V>, relayProgramText?: string): ObjectSpec[] {
  // Service wiring last: patches of existing ConfigMaps (ConfigMapPatch bodies) and the `<name>-flipt` ConfigMaps.
  return [
    ...fliptObjectSpecs(settings, secrets),
    ...(settings.relay ? flagsRelaySpecs(settings, relayProgramText ?? relayProgram()) : []),
    ...monitoringObjectSpecs(settings),
    ...dashboardObjectSpecs(settings),
    ...serviceConfigSpecs(settings),
  ];
}
