import * as pulumi from "@pulumi/pulumi";
import { vi } from "vitest";
import { readStackConfig } from "../../settings/stackFiles";

/** A resource the program registered, with the inputs the mocks received. */
export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, any>;
  readonly provider?: string;
  /** Resource options and secretness as the engine would receive them (see captureRegistrations). */
  readonly protect: boolean;
  readonly retainOnDelete: boolean;
  readonly parent: string;
  /** URNs of the resources it was told to depend on (dependsOn). */
  readonly dependencies: string[];
  /** Dotted paths of the inputs that are sent as secrets. */
  readonly secretPaths: string[];
}

interface Registration {
  protect: boolean;
  retainOnDelete: boolean;
  parent: string;
  dependencies: string[];
  secretPaths: string[];
}

const registrations = new Map<string, Registration>();

function secretPathsOf(value: unknown, path: string[] = []): string[] {
  if (value === null || typeof value !== "object") return [];
  const record = value as Record<string, unknown>;
  if (record[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) return [path.join(".")];
  return Object.entries(record).flatMap(([k, v]) => secretPathsOf(v, [...path, k]));
}

/** Inputs with the SDK's secret wrappers (`{<sig>: <secret sig>, value}`) replaced by their values. */
function unwrapSecrets(value: unknown): any {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value === null || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  if (record[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) return unwrapSecrets(record.value);
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, unwrapSecrets(v)]));
}

/** True when the input at `path` (dotted) is sent as a secret, itself or as part of a secret parent. */
export function isSecretPath(resource: RecordedResource, path: string): boolean {
  return resource.secretPaths.some((p) => path === p || path.startsWith(`${p}.`));
}

/**
 * The mocks hand `newResource` only type, name and plain inputs. protect, retainOnDelete, dependsOn and
 * which inputs are secret travel in the registration request, so the harness reads them there.
 */
function captureRegistrations(): void {
  const mocks = require("@pulumi/pulumi/runtime/mocks");
  const proto = mocks.MockMonitor.prototype;
  if (proto.__captured) return;
  const original = proto.registerResource;
  proto.registerResource = function (req: any, callback: unknown) {
    registrations.set(req.getName(), {
      protect: req.getProtect(),
      retainOnDelete: req.getRetainondelete(),
      parent: req.getParent(),
      dependencies: req.getDependenciesList(),
      secretPaths: secretPathsOf(req.getObject()?.toJavaScript()),
    });
    return original.call(this, req, callback);
  };
  proto.__captured = true;
}

export interface ProgramRun {
  readonly resources: RecordedResource[];
  readonly outputs: Record<string, unknown>;
  readonly secretOutputs: Set<string>;
  /** Every secret value the run handled: stack secrets and generated passwords. */
  readonly secretValues: string[];
}

/** Stack secrets in tests: distinctive, and full of URL-special characters to prove encoding. */
export const testSecret = (key: string) => `T3st:${key}/p@ss?w#rd%&`;
/** What the mocked random provider returns for a RandomPassword. */
export const mockPassword = (name: string) => `Mock!${name}:p@ss/w?rd#1`;

function configValue(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * Runs index.ts under Pulumi's mocks with the stack's real configuration: Pulumi.yaml's
 * declarations and Pulumi.<stack>.yaml's values (secure values replaced by test secrets),
 * plus `overrides` (short key → value). Returns what was registered and exported.
 */
export async function runProgram(stack: string, overrides: Record<string, unknown> = {}): Promise<ProgramRun> {
  const input = readStackConfig(stack, testSecret);
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const decl of input.declarations) {
    const value = overrides[decl.key] ?? input.values[decl.key] ?? decl.default;
    if (value !== undefined) config[`${input.project}:${decl.key}`] = configValue(value);
    if (input.secretKeys.has(decl.key)) secretKeys.push(`${input.project}:${decl.key}`);
  }
  pulumi.runtime.setAllConfig(config, secretKeys);

  captureRegistrations();
  registrations.clear();
  const resources: RecordedResource[] = [];
  const secretValues = [...input.secretKeys].map((k) => configValue(input.values[k]));
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const registration = registrations.get(args.name);
        if (!registration) throw new Error(`internal: ${args.name} registered without a captured request`);
        resources.push({ type: args.type, name: args.name, inputs: unwrapSecrets(args.inputs), provider: args.provider, ...registration });
        const state = unwrapSecrets(args.inputs);
        if (args.type === "random:index/randomPassword:RandomPassword") {
          state.result = mockPassword(args.name);
          secretValues.push(state.result);
        }
        return { id: `${args.name}-id`, state };
      },
      call: (args) => args.inputs,
    },
    input.project,
    stack,
    false,
  );
  vi.resetModules();
  const program: Record<string, unknown> = await import("../../index");
  const outputs: Record<string, unknown> = {};
  const secretOutputs = new Set<string>();
  for (const [key, value] of Object.entries(program)) {
    if (!pulumi.Output.isInstance(value)) {
      outputs[key] = value;
      continue;
    }
    outputs[key] = await new Promise((resolve) => value.apply(resolve));
    if (await pulumi.isSecret(value)) secretOutputs.add(key);
  }
  await pulumi.runtime.disconnect();
  return { resources, outputs, secretOutputs, secretValues };
}

export function byType(run: ProgramRun, type: string): RecordedResource[] {
  return run.resources.filter((r) => r.type === type);
}

export function k8sObject(run: ProgramRun, kind: string, name: string): RecordedResource {
  const found = run.resources.find((r) => r.inputs.kind === kind && r.inputs.metadata?.name === name);
  if (!found) throw new Error(`no ${kind}/${name} among ${run.resources.map((r) => r.name).join(", ")}`);
  return found;
}
