import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ObjectSpec } from "../builders/kubernetes";

type Constructor = new (name: string, args: any, opts?: pulumi.CustomResourceOptions) => pulumi.CustomResource;

/** Typed resource classes by apiVersion/kind, so `pulumi preview` shows each object with its own type. */
const RESOURCE_TYPES: Record<string, Constructor> = {
  "v1/Namespace": k8s.core.v1.Namespace,
  "v1/ServiceAccount": k8s.core.v1.ServiceAccount,
  "v1/ConfigMap": k8s.core.v1.ConfigMap,
  "v1/Secret": k8s.core.v1.Secret,
  "v1/Service": k8s.core.v1.Service,
  "v1/PersistentVolumeClaim": k8s.core.v1.PersistentVolumeClaim,
  "rbac.authorization.k8s.io/v1/Role": k8s.rbac.v1.Role,
  "rbac.authorization.k8s.io/v1/RoleBinding": k8s.rbac.v1.RoleBinding,
  "apps/v1/Deployment": k8s.apps.v1.Deployment,
  "policy/v1/PodDisruptionBudget": k8s.policy.v1.PodDisruptionBudget,
  "autoscaling/v2/HorizontalPodAutoscaler": k8s.autoscaling.v2.HorizontalPodAutoscaler,
  "networking.k8s.io/v1/NetworkPolicy": k8s.networking.v1.NetworkPolicy,
};

/** Creates the resource for an object spec built by a pure builder; custom resources (CRDs) go through CustomResource. */
export function createObject(
  name: string,
  spec: ObjectSpec,
  opts: pulumi.CustomResourceOptions,
): pulumi.CustomResource {
  const type = RESOURCE_TYPES[`${spec.apiVersion}/${spec.kind}`];
  if (type) return new type(name, spec, opts);
  return new k8s.apiextensions.CustomResource(name, spec as k8s.apiextensions.CustomResourceArgs, opts);
}
