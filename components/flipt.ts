import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { fliptObjectSpecs } from "../builders/kubernetes";
import { fliptGrpcAddress, fliptUrl } from "../builders/names";
import { Settings } from "../settings/types";
import { createObject } from "./kubernetesObject";

export interface FliptArgs {
  /** The stack's validated settings. */
  readonly settings: Settings;
  /** Flipt's database URL (PostgreSQL DSN or SQLite file); stored in a Secret. */
  readonly databaseUrl: pulumi.Input<string>;
}

/**
 * Flipt itself: namespace, ServiceAccount, config ConfigMap, Secrets, Deployment, Service,
 * PodDisruptionBudget (more than one pod), HorizontalPodAutoscaler (autoscaling) and NetworkPolicy, all from the pure builders.
 */
export class Flipt extends pulumi.ComponentResource {
  readonly url: string;
  readonly grpcAddress: string;
  readonly namespace: string;
  /** Bootstrap token of the token authentication method (secret). */
  readonly bootstrapToken: pulumi.Output<string>;
  /** Kubernetes resources by `<kind>/<name>` (the namespace included), for dependents such as monitoring and the flags relay. */
  readonly objects: Readonly<Record<string, pulumi.CustomResource>>;

  constructor(name: string, args: FliptArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flipt-deploy:index:Flipt", name, {}, opts);
    const { settings } = args;
    const token = new random.RandomPassword(`${name}-bootstrap-token`, { length: 48, special: false }, { parent: this });
    this.bootstrapToken = pulumi.secret(token.result);

    const specs = fliptObjectSpecs(settings, {
      dbUrl: pulumi.secret(args.databaseUrl),
      bootstrapToken: this.bootstrapToken,
      gitCredential: settings.git.auth === "none" ? undefined : pulumi.secret(settings.secrets.gitCredential),
    });
    const objects: Record<string, pulumi.CustomResource> = {};
    const [namespaceSpec, ...namespaced] = specs;
    const namespace = createObject(`${name}-namespace`, namespaceSpec, { parent: this });
    objects[`Namespace/${namespaceSpec.metadata.name}`] = namespace;
    for (const spec of namespaced) {
      const role = `${spec.kind.toLowerCase()}-${spec.metadata.name}`;
      objects[`${spec.kind}/${spec.metadata.name}`] = createObject(`${name}-${role}`, spec, {
        parent: this,
        dependsOn: [namespace],
      });
    }
    this.objects = objects;
    this.url = fliptUrl(settings);
    this.grpcAddress = fliptGrpcAddress(settings);
    this.namespace = settings.namespace;
    this.registerOutputs({ url: this.url, grpcAddress: this.grpcAddress, bootstrapToken: this.bootstrapToken });
  }
}
