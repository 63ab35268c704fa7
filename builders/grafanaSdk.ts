/**
 * The parts of `@grafana/grafana-foundation-sdk` the dashboard uses. The SDK publishes its
 * modules only through package.json `exports` (`…/dashboard`), which this project's
 * `moduleResolution: node` cannot see, while Node refuses the `…/dist/…` paths TypeScript can
 * see. So types come from `dist` (type-only imports, erased) and values from the exported paths.
 */
import type * as CommonModule from "@grafana/grafana-foundation-sdk/dist/common";
import type * as DashboardModule from "@grafana/grafana-foundation-sdk/dist/dashboard";
import type * as PrometheusModule from "@grafana/grafana-foundation-sdk/dist/prometheus";
import type * as StatModule from "@grafana/grafana-foundation-sdk/dist/stat";
import type * as TimeseriesModule from "@grafana/grafana-foundation-sdk/dist/timeseries";

export const common: typeof CommonModule = require("@grafana/grafana-foundation-sdk/common");
export const dashboard: typeof DashboardModule = require("@grafana/grafana-foundation-sdk/dashboard");
export const prometheus: typeof PrometheusModule = require("@grafana/grafana-foundation-sdk/prometheus");
export const stat: typeof StatModule = require("@grafana/grafana-foundation-sdk/stat");
export const timeseries: typeof TimeseriesModule = require("@grafana/grafana-foundation-sdk/timeseries");

export type DashboardModel = DashboardModule.Dashboard;
export type DataSourceRef = CommonModule.DataSourceRef;
