import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { dashboardJson } from "../../builders/dashboard";
import { parseSettings } from "../../settings/parse";
import { placeholderSecret, readStackConfig } from "../../settings/stackFiles";
import { RenderedFile, renderSettings, renderStack } from "../../scripts/lib/renderedStack";

function kinds(files: RenderedFile[]): string[] {
  return files.filter((f) => f.file.endsWith(".yaml")).map((f) => (yaml.load(f.content) as { kind: string }).kind);
}

function settingsOf(stack: string, values: Record<string, unknown> = {}) {
  const input = readStackConfig(stack, placeholderSecret);
  return parseSettings({ ...input, values: { ...input.values, ...values } });
}

describe("npm run render", () => {
  it("writes the ServiceMonitor, the PrometheusRule and, in sidecar mode, the dashboard ConfigMap (dev)", () => {
    const files = renderStack("dev");
    expect(kinds(files)).toEqual(expect.arrayContaining(["ServiceMonitor", "PrometheusRule"]));
    const configMap = files.find((f) => f.file.endsWith("-configmap-flipt-dev-dashboard.yaml"))!;
    const data = (yaml.load(configMap.content) as { data: Record<string, string> }).data;
    expect(data["flipt-dev.json"]).toBe(dashboardJson(settingsOf("dev")));
    expect(files.filter((f) => f.file.endsWith(".json"))).toEqual([]);
  });

  it("writes the dashboard JSON beside the manifests in API mode (prod), and no sidecar ConfigMap", () => {
    const files = renderStack("prod");
    expect(files.find((f) => f.file === "dashboard-flipt-prod.json")?.content).toBe(dashboardJson(settingsOf("prod")));
    expect(files.some((f) => f.file.includes("-dashboard.yaml"))).toBe(false);
  });

  it("leaves out the ServiceMonitor and PrometheusRule with serviceMonitorEnabled=false", () => {
    const rendered = kinds(renderSettings(settingsOf("dev", { serviceMonitorEnabled: false })));
    expect(rendered).not.toContain("ServiceMonitor");
    expect(rendered).not.toContain("PrometheusRule");
  });
});
