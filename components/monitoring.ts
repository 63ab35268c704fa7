import * as pulumi from "@pulumi/pulumi";
import * as grafana from "@pulumiverse/grafana";
import { dashboardFolderUid, dashboardJson, dashboardObjectSpecs, dashboardUid, dashboardUrl } from "../builders/dashboard";
import { monitoringObjectSpecs } from "../builders/monitoring";
import { objectNames } from "../builders/names";
import { Settings } from "../settings/types";
import { createObject } from "./kubernetesObject";

export interface MonitoringArgs {
  /** The stack's validated settings; `settings.monitoring` decides what is created. */
  readonly settings: Settings;
  /** Flipt's Kubernetes resources by `<kind>/<name>`; the ServiceMonitor and PrometheusRule wait for the Service. */
  readonly fliptObjects: Readonly<Record<string, pulumi.CustomResource>>;
  /** Grafana service-account token for API delivery; treated as a secret. Unused in sidecar mode. */
  readonly grafanaToken: pulumi.Input<string>;
}

/**
 * Flipt's monitoring: ServiceMonitor and PrometheusRule (unless serviceMonitorEnabled is false),
 * and the dashboard, through Grafana's API (Folder + Dashboard) when a Grafana URL is configured,
 * otherwise as a ConfigMap for Grafana's dashboard sidecar.
 */
export class Monitoring extends pulumi.ComponentResource {
  readonly dashboardUid: string;
  /** Set in API mode only. */
  readonly dashboardUrl?: string;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flipt-deploy:index:Monitoring", name, {}, opts);
    const { settings } = args;
    const service = args.fliptObjects[`Service/${objectNames().service}`];
    if (!service) throw new Error("internal: Monitoring needs Flipt's Service among fliptObjects");
    for (const spec of monitoringObjectSpecs(settings)) {
      createObject(`${name}-${spec.kind.toLowerCase()}-${spec.metadata.name}`, spec, {
        parent: this,
        dependsOn: [service],
      });
    }
    // The sidecar ConfigMap lives in the monitoring namespace, which this program does not own.
    for (const spec of dashboardObjectSpecs(settings)) {
      createObject(`${name}-dashboard-${spec.kind.toLowerCase()}`, spec, { parent: this });
    }
    const api = settings.monitoring.grafanaApi;
    if (api) {
      const provider = new grafana.Provider(
        `${name}-grafana`,
        { url: api.url, auth: pulumi.secret(args.grafanaToken) },
        { parent: this },
      );
      const folder = new grafana.oss.Folder(
        `${name}-folder`,
        { uid: dashboardFolderUid(settings), title: api.folder },
        { parent: this, provider },
      );
      new grafana.oss.Dashboard(
        `${name}-dashboard`,
        { folder: folder.uid, configJson: dashboardJson(settings), overwrite: true },
        { parent: this, provider },
      );
    }
    this.dashboardUid = dashboardUid(settings);
    this.dashboardUrl = dashboardUrl(settings);
    this.registerOutputs({ dashboardUid: this.dashboardUid, dashboardUrl: this.dashboardUrl });
  }
}
