/**
 * A small client of the harness's kube-apiserver: HTTPS with the cluster's CA and the admin's
 * bearer token, resource paths found through API discovery (so any kind the server serves,
 * CRDs included, is addressed the same way), server-side apply with a named field manager.
 */
import { kubeRequest } from "../../kubeConnection";

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    managedFields?: ManagedField[];
    [key: string]: unknown;
  };
  /** ConfigMaps' and Secrets' data. */
  data?: Record<string, string>;
  [key: string]: unknown;
}

export interface ManagedField {
  readonly manager: string;
  readonly operation: string;
  readonly fieldsV1?: Record<string, unknown>;
}

export interface KubeResponse {
  readonly status: number;
  readonly body: any;
}

export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: any,
    what: string,
  ) {
    super(`${what}: HTTP ${status}: ${typeof body === "object" && body?.message ? body.message : JSON.stringify(body)}`);
  }
}

interface ApiResource {
  readonly name: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

export class KubeApi {
  private readonly resources = new Map<string, Promise<ApiResource[]>>();

  constructor(
    readonly server: string,
    private readonly token: string,
    private readonly ca: string,
  ) {}

  /** One request; any status is returned, JSON bodies parsed. */
  request(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<KubeResponse> {
    const connection = { server: this.server, describe: "the harness cluster's administrator", ca: this.ca, token: () => this.token, timeoutMs: 30_000 };
    return kubeRequest(connection, method, path, body, contentType);
  }

  private async expectOk(method: string, path: string, body?: unknown, contentType?: string): Promise<any> {
    const response = await this.request(method, path, body, contentType);
    if (response.status < 200 || response.status >= 300) throw new KubeApiError(response.status, response.body, `${method} ${path}`);
    return response.body;
  }

  private discover(apiVersion: string): Promise<ApiResource[]> {
    let found = this.resources.get(apiVersion);
    if (!found) {
      const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      found = this.expectOk("GET", base).then((list: { resources: ApiResource[] }) => list.resources.filter((r) => !r.name.includes("/")));
      // A failed discovery (a CRD not established yet) is not remembered.
      found.catch(() => this.resources.delete(apiVersion));
      this.resources.set(apiVersion, found);
    }
    return found;
  }

  /** The collection path of a kind, e.g. /api/v1/namespaces/x/configmaps. */
  async collectionPath(apiVersion: string, kind: string, namespace?: string): Promise<string> {
    const resource = (await this.discover(apiVersion)).find((r) => r.kind === kind);
    if (!resource) throw new Error(`the API server serves no ${kind} in ${apiVersion}`);
    const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    if (!resource.namespaced) return `${base}/${resource.name}`;
    if (!namespace) throw new Error(`${kind} is namespaced; no namespace given`);
    return `${base}/namespaces/${namespace}/${resource.name}`;
  }

  async objectPath(apiVersion: string, kind: string, name: string, namespace?: string): Promise<string> {
    return `${await this.collectionPath(apiVersion, kind, namespace)}/${encodeURIComponent(name)}`;
  }

  /** The object, or undefined when the server has none of that name. */
  async get(apiVersion: string, kind: string, name: string, namespace?: string): Promise<KubeObject | undefined> {
    const response = await this.request("GET", await this.objectPath(apiVersion, kind, name, namespace));
    if (response.status === 404) return undefined;
    if (response.status !== 200) throw new KubeApiError(response.status, response.body, `GET ${kind} ${namespace ?? ""}/${name}`);
    return response.body as KubeObject;
  }

  async list(apiVersion: string, kind: string, namespace?: string): Promise<KubeObject[]> {
    const body = await this.expectOk("GET", await this.collectionPath(apiVersion, kind, namespace));
    return (body.items as KubeObject[]).map((item) => ({ ...item, apiVersion, kind }));
  }

  /** Server-side apply, as `kubectl apply --server-side --field-manager=<manager>` does. */
  async apply(object: KubeObject, fieldManager: string, options: { force?: boolean } = {}): Promise<KubeObject> {
    const query = new URLSearchParams({ fieldManager, ...(options.force ? { force: "true" } : {}) });
    const path = await this.objectPath(object.apiVersion, object.kind, object.metadata.name, object.metadata.namespace);
    return this.expectOk("PATCH", `${path}?${query}`, object, "application/apply-patch+yaml");
  }

  /** A server-side dry run of a create: admission runs in full, nothing is stored. */
  dryRunCreate(object: KubeObject): Promise<KubeResponse> {
    return this.collectionPath(object.apiVersion, object.kind, object.metadata.namespace).then((path) =>
      this.request("POST", `${path}?dryRun=All`, object),
    );
  }

  async create(object: KubeObject): Promise<KubeObject> {
    return this.expectOk("POST", await this.collectionPath(object.apiVersion, object.kind, object.metadata.namespace), object);
  }
}

/** The field managers that own `path` (e.g. ["f:data", "f:FLIPT_URL"]) of an object. */
export function managersOf(object: KubeObject, path: readonly string[]): string[] {
  return (object.metadata.managedFields ?? [])
    .filter((entry) => {
      let node: any = entry.fieldsV1;
      for (const step of path) node = node?.[step];
      return node !== undefined;
    })
    .map((entry) => entry.manager);
}
