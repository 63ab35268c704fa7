import { describe, expect, it } from "vitest";
import { programDetail } from "../../../bench/scale/services";
import { SERVICES_BASE_STACK, serviceEntries, withServices } from "../../../bench/scale/servicesTargets";
import { admittedNamespaces } from "../../../builders/kubernetes";
import { serviceConfigs } from "../../../builders/serviceConfig";
import { parseSettings } from "../../../settings/parse";
import { placeholderSecret, readStackConfig } from "../../../settings/stackFiles";

const devWith = (count: number) => parseSettings(withServices(readStackConfig(SERVICES_BASE_STACK, placeholderSecret), count));

describe("generated service targets", () => {
  it("are the same on every call, listed in order, in the stack file's form", () => {
    expect(serviceEntries(3)).toEqual(["team-001/svc-001?configMap=svc-001-env", "team-002/svc-002?configMap=svc-002-env", "team-003/svc-003?configMap=svc-003-env"]);
    expect(serviceEntries(200)).toEqual(serviceEntries(200));
    expect(serviceEntries(1000)[999]).toBe("team-1000/svc-1000?configMap=svc-1000-env");
  });

  it.each([6, 50, 200])("%i of them pass dev's settings, each a patch of its own ConfigMap in a namespace of its own", (count) => {
    const settings = devWith(count);
    const configs = serviceConfigs(settings);
    expect(configs).toHaveLength(count);
    expect(configs.every((c) => c.mode === "patched")).toBe(true);
    expect(new Set(configs.map((c) => c.target.namespace)).size).toBe(count);
    // Flipt's own, monitoring's and every service's namespace may reach Flipt.
    expect(admittedNamespaces(settings)).toHaveLength(count + 2);
  });

  it("replace only dev's services: every other value is the stack file's", () => {
    const input = readStackConfig(SERVICES_BASE_STACK, placeholderSecret);
    const replaced = withServices(input, 6);
    expect({ ...replaced.values, services: input.values.services }).toEqual(input.values);
    expect(replaced.values.services).not.toEqual(input.values.services);
  });

  it("rejects a count that is not a whole number", () => {
    expect(() => serviceEntries(-1)).toThrow(RangeError);
    expect(() => serviceEntries(1.5)).toThrow(RangeError);
  });
});

describe("what the measured children report", () => {
  it.each([
    ["render", ['{"command":"render","services":50,"files":62}'], "62 files rendered"],
    ["render", ["rendered 18 files of stack dev into /tmp/x"], "rendered 18 files of stack dev into /tmp/x"],
    ["mocks", ['{"stack":"dev","resources":28,"inProcessMs":440.4}'], "28 resources registered; 440 ms after module load"],
    ["mocks", [], "no figures printed"],
  ] as const)("%s: %j", (command, lines, detail) => {
    expect(programDetail(command, lines)).toBe(detail);
  });
});
