import { FLIPT_URL_KEY } from "../settings/parse";
import { ServiceTarget, Settings } from "../settings/types";
import { ObjectSpec } from "./kubernetes";
import { fliptGrpcAddress, fliptUrl } from "./names";

/**
 * Annotations the Kubernetes provider reads on a Patch resource (pulumi-kubernetes'
 * "Managing Resources with Server-Side Apply" guide): the Server-Side Apply field manager,
 * and whether conflicts with other field managers are overridden instead of failing.
 */
export const PATCH_ANNOTATIONS = {
  fieldManager: "pulumi.com/patchFieldManager",
  force: "pulumi.com/patchForce",
} as const;

/** Suffix of the ConfigMap created for a service that takes it with `envFrom`. */
export const CREATED_CONFIG_MAP_SUFFIX = "-flipt";

/** How a service gets its keys: its own ConfigMap patched, or one created for it. */
export type ServiceConfigMode = "patched" | "created";

/** One service's wiring: the keys written and the object that carries them. */
export interface ServiceConfig {
  /** `<namespace>/<name>`, as listed in the `services` config. */
  readonly service: string;
  readonly target: ServiceTarget;
  readonly mode: ServiceConfigMode;
  readonly data: Readonly<Record<string, string>>;
  /** A ConfigMapPatch body (mode `patched`) or a full ConfigMap (mode `created`). */
  readonly spec: ObjectSpec;
}

/** What the `serviceConfig` stack output reports for one service. */
export interface ServiceConfigWritten {
  readonly kind: ServiceConfigMode;
  readonly configMap: string;
  readonly namespace: string;
  readonly keys: readonly string[];
}

export function serviceId(target: ServiceTarget): string {
  return `${target.namespace}/${target.name}`;
}

/**
 * The ConfigMap that carries a service's keys. A created one is `<name>-flipt` in the service's
 * namespace; it cannot collide between stacks because review stacks wire no services and dev and
 * prod deploy to different clusters (`kubernetes:context`). Two stacks on one cluster listing the
 * same service would fail on create (the provider does not adopt existing objects).
 */
export function serviceConfigMapName(target: ServiceTarget): string {
  return target.existingConfigMap ?? `${target.name}${CREATED_CONFIG_MAP_SUFFIX}`;
}

/** The keys a service gets: FLIPT_URL, the gRPC address when `serviceGrpcKey` is set, then its extra keys. */
export function serviceConfigData(settings: Settings, target: ServiceTarget): Record<string, string> {
  const data: Record<string, string> = { [FLIPT_URL_KEY]: fliptUrl(settings) };
  if (settings.services.grpcKey) data[settings.services.grpcKey] = fliptGrpcAddress(settings);
  return { ...data, ...target.extraKeys };
}

/** Labels on a created ConfigMap: which Flipt stack wrote it (not Flipt's pod selector labels). */
export function serviceConfigLabels(settings: Settings): Record<string, string> {
  return {
    "app.kubernetes.io/instance": settings.namespace,
    "app.kubernetes.io/component": "flipt-client-config",
    "app.kubernetes.io/part-of": "feature-flags",
    "app.kubernetes.io/managed-by": "pulumi",
  };
}

/** Only our keys and the field manager: everything else in the service's ConfigMap stays its owner's. */
function patchSpec(settings: Settings, target: ServiceTarget, data: Record<string, string>): ObjectSpec {
  const annotations: Record<string, string> = { [PATCH_ANNOTATIONS.fieldManager]: settings.services.fieldManager };
  if (settings.services.forceConflicts) annotations[PATCH_ANNOTATIONS.force] = "true";
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: serviceConfigMapName(target), namespace: target.namespace, annotations },
    data,
  };
}

function createdSpec(settings: Settings, target: ServiceTarget, data: Record<string, string>): ObjectSpec {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: serviceConfigMapName(target), namespace: target.namespace, labels: serviceConfigLabels(settings) },
    data,
  };
}

/** Every service's wiring, in the order of the `services` config. */
export function serviceConfigs(settings: Settings): ServiceConfig[] {
  return settings.services.targets.map((target) => {
    const data = serviceConfigData(settings, target);
    const mode: ServiceConfigMode = target.existingConfigMap ? "patched" : "created";
    const spec = mode === "patched" ? patchSpec(settings, target, data) : createdSpec(settings, target, data);
    return { service: serviceId(target), target, mode, data, spec };
  });
}

/** The object specs of the service wiring, for `npm run render`. */
export function serviceConfigSpecs(settings: Settings): ObjectSpec[] {
  return serviceConfigs(settings).map((config) => config.spec);
}

/** service → the ConfigMap and keys written: the `serviceConfig` stack output. */
export function serviceConfigWritten(settings: Settings): Record<string, ServiceConfigWritten> {
  const written: Record<string, ServiceConfigWritten> = {};
  for (const config of serviceConfigs(settings)) {
    written[config.service] = {
      kind: config.mode,
      configMap: serviceConfigMapName(config.target),
      namespace: config.target.namespace,
      keys: Object.keys(config.data),
    };
  }
  return written;
}
