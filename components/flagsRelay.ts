import * as pulumi from "@pulumi/pulumi";
import { flagsRelaySpecs } from "../builders/flagsRelay";
import { objectNames, relayRepositoryUrl } from "../builders/names";
import { Settings } from "../settings/types";
import { createObject } from "./kubernetesObject";

export interface FlagsRelayArgs {
  /** The stack's validated settings; `settings.relay` must be set. */
  readonly settings: Settings;
  /** The relay program's text (builders/relayProgram.ts's relayProgram()), held by its ConfigMap. */
  readonly program: string;
  /** Flipt's Kubernetes resources by `<kind>/<name>`: the relay waits for the namespace, the Git Secret and Flipt's ConfigMap it reads. */
  readonly fliptObjects: Readonly<Record<string, pulumi.CustomResource>>;
}

/**
 * The flags relay: ServiceAccount, Roles and RoleBindings, program ConfigMap, PersistentVolumeClaim,
 * Deployment, Service and NetworkPolicy in Flipt's namespace, all from the pure builders.
 */
export class FlagsRelay extends pulumi.ComponentResource {
  /** The repository URL Flipt clones from the relay. */
  readonly repositoryUrl: string;
  /** Kubernetes resources by `<kind>/<name>`, for dependents such as monitoring. */
  readonly objects: Readonly<Record<string, pulumi.CustomResource>>;

  constructor(name: string, args: FlagsRelayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flipt-deploy:index:FlagsRelay", name, {}, opts);
    const { settings, fliptObjects } = args;
    if (!settings.relay) throw new Error("internal: FlagsRelay needs settings.relay");
    const names = objectNames();
    const dependsOn = [`Namespace/${settings.namespace}`, `Secret/${names.gitSecret}`, `ConfigMap/${names.config}`]
      .map((key) => fliptObjects[key])
      .filter((resource): resource is pulumi.CustomResource => resource !== undefined);
    const objects: Record<string, pulumi.CustomResource> = {};
    for (const spec of flagsRelaySpecs(settings, args.program)) {
      objects[`${spec.kind}/${spec.metadata.name}`] = createObject(`${name}-${spec.kind.toLowerCase()}-${spec.metadata.name}`, spec, {
        parent: this,
        dependsOn,
      });
    }
    this.objects = objects;
    this.repositoryUrl = relayRepositoryUrl(settings);
    this.registerOutputs({ repositoryUrl: this.repositoryUrl });
  }
}
