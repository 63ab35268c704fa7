/**
 * STAND-IN (engine tier, deploy:local and the bench only, never shipped) for the `postgresql` resource provider plugin (the Go module proxy refuses
 * pulumi-resource-postgresql here), serving `postgresql:index/role:Role` and
 * `postgresql:index/database:Database` on a real PostgreSQL with the admin of the provider
 * configuration. The engine tier and deploy:local put this directory on PATH, so the Pulumi CLI
 * runs `pulumi-resource-postgresql` from here and says so ("using pulumi-resource-postgresql from
 * $PATH"). Never shipped: a `pulumi up` elsewhere downloads the real provider as usual.
 * It reports the version of @pulumi/postgresql that the program depends on.
 *
 * Imported (the e2e test does), it only exports PostgresqlStandIn; run, it serves over gRPC.
 */
import * as path from "node:path";
import * as provider from "@pulumi/pulumi/provider";
import { toolchainPaths } from "../../../toolchain/paths";
import { ConnectionConfig, configFromVariables, connectionConfig } from "./config";
import { ObjectHandler, databases, roles } from "./handlers";
import { Psql } from "./psql";
import { DATABASE_TYPE, PropertyMap, ROLE_TYPE, ROLE_UNSERVED, databaseInputProblems, diffInputs, inputProblems, withDefaults } from "./resources";

/** The resource's own type: the URN's type part is its parents' types and its own, joined by `$`. */
function typeOf(urn: string): string {
  return (urn.split("::")[2] ?? "").split("$").pop() ?? "";
}

const HANDLERS: Record<string, ObjectHandler> = { [ROLE_TYPE]: roles, [DATABASE_TYPE]: databases };

function handlerFor(urn: string): ObjectHandler {
  const handler = HANDLERS[typeOf(urn)];
  if (!handler) throw new Error(`the PostgreSQL provider stand-in serves only ${ROLE_TYPE} and ${DATABASE_TYPE}, not ${typeOf(urn)}`);
  return handler;
}

function checkFailures(urn: string, inputs: PropertyMap): provider.CheckFailure[] {
  return typeOf(urn) === ROLE_TYPE ? inputProblems(roles.fields, ROLE_UNSERVED, inputs) : databaseInputProblems(inputs);
}

export interface StandInOptions {
  /** Directory of the PostgreSQL client binaries (PG_BINDIR); empty if none is installed. */
  readonly pgBinDir: string;
}

export class PostgresqlStandIn implements provider.Provider {
  readonly version: string = (require("@pulumi/postgresql/package.json") as { version: string }).version;
  private connection: ConnectionConfig | undefined;

  constructor(private readonly options: StandInOptions) {}

  /** The provider configuration, as the `pulumi:providers:postgresql` inputs (`args` of the Configure RPC). */
  configure(providerInputs: PropertyMap): void {
    this.connection = connectionConfig(providerInputs);
  }

  private psql(): Psql {
    if (!this.connection) throw new Error("the PostgreSQL provider stand-in was not configured (no Configure request reached it)");
    if (!this.options.pgBinDir) throw new Error("no PostgreSQL client here: PG_BINDIR is empty (scripts/toolchain/setup.sh installs PostgreSQL)");
    return new Psql(path.join(this.options.pgBinDir, "psql"), this.connection);
  }

  async check(urn: string, _olds: PropertyMap, news: PropertyMap): Promise<provider.CheckResult> {
    const inputs = withDefaults(handlerFor(urn).fields, news);
    return { inputs, failures: checkFailures(urn, inputs) };
  }

  async diff(_id: string, urn: string, olds: PropertyMap, news: PropertyMap): Promise<provider.DiffResult> {
    const { changes, replaces, deleteBeforeReplace } = diffInputs(handlerFor(urn).fields, olds, news);
    return { changes, replaces, deleteBeforeReplace };
  }

  async create(urn: string, inputs: PropertyMap): Promise<provider.CreateResult> {
    return handlerFor(urn).create(this.psql(), inputs);
  }

  async read(id: string, urn: string, props: PropertyMap = {}): Promise<provider.ReadResult> {
    const found = await handlerFor(urn).read(this.psql(), id, props);
    // An empty ID tells the engine the object is gone.
    return found ? { id: found.id, props: found.outs } : { id: "", props: {} };
  }

  async update(id: string, urn: string, olds: PropertyMap, news: PropertyMap): Promise<provider.UpdateResult> {
    return { outs: await handlerFor(urn).update(this.psql(), id, olds, news) };
  }

  async delete(id: string, urn: string, props: PropertyMap): Promise<void> {
    await handlerFor(urn).delete(this.psql(), id, props);
  }
}

// ---- Serving: the Configure request the SDK's server drops ----

interface ConfigureRequest {
  getArgs(): { toJavaScript(): PropertyMap } | undefined;
  getVariablesMap(): { toArray(): [string, string][] };
}
type Callback = (error: unknown, response?: unknown) => void;
type UnaryHandler = (call: { request: ConfigureRequest }, callback: Callback) => void;
interface GrpcModule {
  Server: { prototype: { addService(service: Record<string, { path?: string }>, implementation: Record<string, unknown>): void } };
  status: { INVALID_ARGUMENT: number };
}
const CONFIGURE_PATH = "/pulumirpc.ResourceProvider/Configure";

/** The gRPC library the SDK's provider server uses (resolved from @pulumi/pulumi, so the same instance). */
function sdkGrpc(): GrpcModule {
  const sdkDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
  return require(require.resolve("@grpc/grpc-js", { paths: [sdkDir] })) as GrpcModule;
}

/** The provider's inputs from a Configure request: `args` (what this engine sends), else the older `variables`. */
export function providerInputsOf(request: ConfigureRequest): PropertyMap {
  const args = request.getArgs()?.toJavaScript();
  return args && Object.keys(args).length > 0 ? args : configFromVariables(request.getVariablesMap().toArray());
}

/**
 * Wraps the SDK server's Configure handler when it is registered: the request reaches
 * `standIn.configure` first (a bad configuration fails Configure, naming the key), then the SDK's
 * handler answers as before (it accepts secrets, so the password arrives marked secret).
 */
function captureConfigure(standIn: PostgresqlStandIn): void {
  const grpc = sdkGrpc();
  const addService = grpc.Server.prototype.addService;
  grpc.Server.prototype.addService = function (service, implementation) {
    if (service.configure?.path === CONFIGURE_PATH) {
      const sdkConfigure = (implementation.configure as UnaryHandler).bind(implementation);
      implementation.configure = ((call, callback) => {
        try {
          standIn.configure(providerInputsOf(call.request));
        } catch (error) {
          return callback({ code: grpc.status.INVALID_ARGUMENT, details: error instanceof Error ? error.message : String(error) });
        }
        sdkConfigure(call, callback);
      }) satisfies UnaryHandler;
    }
    return addService.call(this, service, implementation);
  };
}

if (require.main === module) {
  const standIn = new PostgresqlStandIn({ pgBinDir: toolchainPaths().pgBinDir });
  captureConfigure(standIn);
  void provider.main(standIn, process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`postgresql provider stand-in: ${String(error)}\n`);
    process.exit(1);
  });
}
