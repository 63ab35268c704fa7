// Fast tier: the one-line-per-resource progress deploy:local prints for preview, up and destroy (scripts/lib/localWorld/engine/operation.ts).
import { describe, expect, it } from "vitest";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { StepProgress, urnName } from "../../scripts/lib/localWorld/engine/operation";

const NAMESPACE = "urn:pulumi:dev::flipt-deploy::flipt-deploy:index:FlagPlatform$kubernetes:core/v1:Namespace::flipt-dev";
const DEPLOYMENT = "urn:pulumi:dev::flipt-deploy::flipt-deploy:index:FlagPlatform$kubernetes:apps/v1:Deployment::flipt";

let sequence = 0;
function step(kind: "resourcePreEvent" | "resOutputsEvent", op: string, urn: string): EngineEvent {
  const type = urn.split("::")[2].split("$").pop()!;
  return { sequence: sequence++, timestamp: 0, [kind]: { metadata: { op, urn, type, provider: "" } } } as unknown as EngineEvent;
}
function failed(op: string, urn: string): EngineEvent {
  const type = urn.split("::")[2].split("$").pop()!;
  return { sequence: sequence++, timestamp: 0, resOpFailedEvent: { metadata: { op, urn, type, provider: "" }, status: 1, steps: 0 } } as unknown as EngineEvent;
}
function diagnostic(severity: string, message: string, extra: Record<string, unknown> = {}): EngineEvent {
  return { sequence: sequence++, timestamp: 0, diagnosticEvent: { severity, message, color: "never", ...extra } } as unknown as EngineEvent;
}

describe("one line per resource step", () => {
  it("names a URN's resource", () => {
    expect(urnName(NAMESPACE)).toBe("flipt-dev");
  });

  it("a preview says each planned step as the CLI does, and nothing for unchanged resources or outputs", () => {
    const progress = new StepProgress(true);
    expect(progress.lines(step("resourcePreEvent", "create", NAMESPACE))).toEqual(["+ kubernetes:core/v1:Namespace flipt-dev create"]);
    expect(progress.lines(step("resourcePreEvent", "update", DEPLOYMENT))).toEqual(["~ kubernetes:apps/v1:Deployment flipt update"]);
    expect(progress.lines(step("resourcePreEvent", "replace", DEPLOYMENT))).toEqual(["+- kubernetes:apps/v1:Deployment flipt replace"]);
    expect(progress.lines(step("resourcePreEvent", "same", NAMESPACE))).toEqual([]);
    expect(progress.lines(step("resOutputsEvent", "create", NAMESPACE))).toEqual([]);
  });

  it("up and destroy say each step once it is done, with its time, or that it failed", () => {
    let now = 1_000;
    const progress = new StepProgress(false, () => now);
    expect(progress.lines(step("resourcePreEvent", "create", NAMESPACE))).toEqual([]);
    now += 420;
    expect(progress.lines(step("resOutputsEvent", "create", NAMESPACE))).toEqual(["+ kubernetes:core/v1:Namespace flipt-dev created (0.4s)"]);
    expect(progress.lines(step("resourcePreEvent", "delete", DEPLOYMENT))).toEqual([]);
    now += 2_000;
    expect(progress.lines(step("resOutputsEvent", "delete", DEPLOYMENT))).toEqual(["- kubernetes:apps/v1:Deployment flipt deleted (2.0s)"]);
    expect(progress.lines(failed("delete", NAMESPACE))).toEqual(["- kubernetes:core/v1:Namespace flipt-dev deleting failed"]);
    expect(progress.lines(step("resOutputsEvent", "same", NAMESPACE))).toEqual([]);
  });

  it("says each warning once, and leaves errors, status messages and info to others", () => {
    const progress = new StepProgress(false);
    const warning = diagnostic("warning", "using pulumi-resource-random from $PATH at /x/pulumi-resource-random\n");
    expect(progress.lines(warning)).toEqual(["warning: using pulumi-resource-random from $PATH at /x/pulumi-resource-random"]);
    expect(progress.lines(warning)).toEqual([]);
    expect(progress.lines(diagnostic("warning", "two\nlines", { urn: DEPLOYMENT }))).toEqual(["warning (kubernetes:apps/v1:Deployment flipt): two", "  lines"]);
    expect(progress.lines(diagnostic("error", "up failed"))).toEqual([]);
    expect(progress.lines(diagnostic("info", "Waiting for app ReplicaSet to be available", { ephemeral: true }))).toEqual([]);
    expect(progress.lines(diagnostic("warning", "still waiting", { ephemeral: true }))).toEqual([]);
  });
});
