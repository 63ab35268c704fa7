import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ServiceConfigWritten, serviceConfigs, serviceConfigWritten } from "../builders/serviceConfig";
import { Settings } from "../settings/types";
import { createObject } from "./kubernetesObject";

export interface ServiceConfigArgs {
  /** The stack's validated settings; `settings.services` lists the services to wire. */
  readonly settings: Settings;
}

/**
 * FLIPT_URL (and the gRPC address and extra keys) in each service's configuration. An existing
 * ConfigMap is changed with a ConfigMapPatch: Server-Side Apply under the configured field manager
 * (the `pulumi.com/patchFieldManager` annotation), so only our keys are ours and destroying the patch
 * removes exactly them. Services without one get a ConfigMap `<name>-flipt` for `envFrom`.
 * Both need the provider's Server-Side Apply mode, the default of @pulumi/kubernetes 4.
 */
export class ServiceConfig extends pulumi.ComponentResource {
  /** service (`<namespace>/<name>`) → the ConfigMap and keys written. */
  readonly written: Readonly<Record<string, ServiceConfigWritten>>;

  constructor(name: string, args: ServiceConfigArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flipt-deploy:index:ServiceConfig", name, {}, opts);
    for (const config of serviceConfigs(args.settings)) {
      const childName = `${name}-${config.target.namespace}-${config.target.name}`;
      if (config.mode === "patched") {
        new k8s.core.v1.ConfigMapPatch(childName, config.spec as k8s.core.v1.ConfigMapPatchArgs, { parent: this });
      } else {
        createObject(childName, config.spec, { parent: this });
      }
    }
    this.written = serviceConfigWritten(args.settings);
    this.registerOutputs({ written: this.written });
  }
}
