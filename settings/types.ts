/** The validated, typed form of a stack's configuration. Built once by `parseSettings`. */

export type LogLevel = "debug" | "info" | "warn" | "error";
export type GitAuth = "none" | "basic" | "token" | "ssh";
export type DatabaseMode = "postgres" | "sqlite";
export type SslMode = "disable" | "allow" | "prefer" | "require" | "verify-ca" | "verify-full";

export interface ResourceSettings {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu: string; readonly memory: string };
}

/** A HorizontalPodAutoscaler on CPU: it, not the program, sets the Deployment's replicas. */
export interface AutoscalingSettings {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** Percent of the CPU request, as Kubernetes computes utilisation. */
  readonly targetCpuUtilization: number;
}

/** Go runtime settings of the Flipt container. */
export interface GoRuntimeSettings {
  /** GOMEMLIMIT in bytes, a share of the memory limit; undefined leaves it unset. */
  readonly memoryLimitBytes?: number;
  readonly gcPercent: number;
}

export interface GitSettings {
  readonly repository: string;
  readonly ref: string;
  readonly directory: string;
  /** As configured (a Go duration such as `30s`); Flipt parses it itself. */
  readonly pollInterval: string;
  readonly pollIntervalSeconds: number;
  readonly auth: GitAuth;
  readonly username: string;
  readonly sshUser: string;
  readonly sshKnownHosts: string;
}

/** The flags relay: the in-cluster mirror of gitRepository that Flipt reads from (flags-relay/). */
export interface RelaySettings {
  readonly image: string;
  /** How often the relay fetches gitRepository, as configured (a Go duration such as `5s`). */
  readonly pollInterval: string;
  readonly pollIntervalSeconds: number;
  /** The PersistentVolumeClaim's size (Kubernetes quantity). */
  readonly storageSize: string;
  /** Undefined: the cluster's default StorageClass. */
  readonly storageClass?: string;
  /** Kubernetes groups bound to the flags-override Role; empty: no RoleBinding. */
  readonly overrideGroups: readonly string[];
}

export interface PostgresSettings {
  readonly host: string;
  readonly port: number;
  readonly sslmode: SslMode;
  readonly adminUser: string;
  readonly database: string;
  readonly role: string;
  readonly connectionLimit: number;
}

export interface DatabaseSettings {
  readonly mode: DatabaseMode;
  /** Present when mode is `postgres`. */
  readonly postgres?: PostgresSettings;
  readonly maxOpenConns: number;
  readonly protect: boolean;
}

/** A service that gets FLIPT_URL: either a ConfigMap we create, or an existing one we patch. */
export interface ServiceTarget {
  readonly name: string;
  readonly namespace: string;
  /** The existing ConfigMap to patch; undefined means we create `<name>-flipt`. */
  readonly existingConfigMap?: string;
  readonly extraKeys: Readonly<Record<string, string>>;
}

export interface ServiceWiringSettings {
  readonly targets: readonly ServiceTarget[];
  readonly grpcKey: string;
  readonly fieldManager: string;
  readonly forceConflicts: boolean;
}

export interface AlertThresholds {
  readonly evaluationErrorRatio: number;
  readonly latencyP99Ms: number;
  readonly gitSyncFailingMinutes: number;
  readonly restartsPerHour: number;
}

export interface GrafanaApiSettings {
  readonly url: string;
  readonly folder: string;
}

export interface MonitoringSettings {
  readonly namespace: string;
  readonly serviceMonitorEnabled: boolean;
  readonly scrapeInterval: string;
  readonly extraLabels: Readonly<Record<string, string>>;
  readonly alerts: AlertThresholds;
  /** Set when the dashboard is delivered through Grafana's API; otherwise a sidecar ConfigMap is used. */
  readonly grafanaApi?: GrafanaApiSettings;
  readonly sidecarLabel: string;
  readonly dashboardNamespace: string;
}

/** Values Pulumi holds encrypted. Components always wrap them with `pulumi.secret`. */
export interface SecretSettings {
  readonly gitCredential: string;
  readonly postgresAdminPassword: string;
  readonly grafanaToken: string;
}

export interface Settings {
  readonly project: string;
  readonly stack: string;
  readonly namespace: string;
  readonly image: string;
  /** Fixed replicas, or with autoscaling the fewest (autoscaling.minReplicas). */
  readonly replicas: number;
  /** Present when a HorizontalPodAutoscaler sets the replicas. */
  readonly autoscaling?: AutoscalingSettings;
  /** Pods a voluntary disruption may take at once (the PodDisruptionBudget's maxUnavailable). */
  readonly podDisruptionMaxUnavailable: number;
  readonly resources: ResourceSettings;
  readonly goRuntime: GoRuntimeSettings;
  readonly logLevel: LogLevel;
  readonly allowedNamespaces: readonly string[];
  readonly git: GitSettings;
  /** Present when the flags relay runs (flagsRelay, never in review stacks): Flipt then reads its flags from it. */
  readonly relay?: RelaySettings;
  readonly database: DatabaseSettings;
  /** Every resource protected: destroy and replacements are refused before anything changes (prod). */
  readonly protectStack: boolean;
  readonly services: ServiceWiringSettings;
  readonly monitoring: MonitoringSettings;
  readonly secrets: SecretSettings;
}
