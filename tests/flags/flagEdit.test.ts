import { describe, expect, it } from "vitest";
import { findFlag, forceFlagInText, forcedValueProblem, servesForcedValue, type ForcedValue } from "../../scripts/flags/flagEdit";
import type { FolderFile } from "../../scripts/flags/folder";

const FILE = `# header comment stays
version: "1.4"
namespace: platform
flags:
  - key: kill
    name: kill
    type: BOOLEAN_FLAG_TYPE
    description: A kill switch.
    enabled: false
    metadata:
      owner: platform-app
  - key: ramp
    name: ramp
    type: BOOLEAN_FLAG_TYPE
    enabled: true
    rollouts:
      - segment:
          key: internal
          value: true
      - threshold:
          percentage: 10
          value: false
    metadata:
      owner: platform-app
  - key: colour
    name: colour
    type: VARIANT_FLAG_TYPE
    enabled: true
    variants:
      - key: blue
`;
const folder: FolderFile[] = [
  { path: ".flipt.yml", text: 'version: "1.0"\ninclude:\n  - "*.features.yml"\n' },
  { path: "platform.features.yml", text: FILE },
];
const flag = (key: string) => findFlag(folder, `platform/${key}`)!;
const edited = (key: string, value: ForcedValue) => forceFlagInText(FILE, flag(key), value)!;
const changedLines = (text: string) => {
  const before = FILE.split("\n");
  return text.split("\n").filter((line, i) => line !== before[i]).length;
};

describe("forcing a flag's value in its file (what an override serves and its pull request holds)", () => {
  it("finds flags by namespace and key, with their type, enabled and rollouts", () => {
    expect(flag("ramp")).toMatchObject({ file: "platform.features.yml", type: "BOOLEAN_FLAG_TYPE", enabled: true });
    expect(flag("ramp").rollouts).toHaveLength(2);
    expect(findFlag(folder, "platform/none")).toBeUndefined();
    expect(findFlag(folder, "other/kill")).toBeUndefined();
  });

  it("--enabled on a boolean flag changes its enabled line only, keeping comments and other flags", () => {
    const text = edited("kill", { enabled: true });
    expect(text).toContain("# header comment stays");
    expect(changedLines(text)).toBe(1);
    expect(findFlag([folder[0], { path: folder[1].path, text }], "platform/kill")).toMatchObject({ enabled: true, rollouts: [] });
  });

  it("--enabled on a boolean flag with rollouts removes them, so every entity gets the value", () => {
    const after = findFlag([folder[0], { path: folder[1].path, text: edited("ramp", { enabled: false }) }], "platform/ramp")!;
    expect(after).toMatchObject({ enabled: false, rollouts: [] });
    expect(servesForcedValue(after, { enabled: false })).toBe(true);
    expect(servesForcedValue(flag("ramp"), { enabled: true })).toBe(false);
  });

  it("--rollout makes a boolean flag true for that share: one threshold rule over a false default", () => {
    const after = findFlag([folder[0], { path: folder[1].path, text: edited("kill", { rollout: 25 }) }], "platform/kill")!;
    expect(after.enabled).toBe(false);
    expect(after.rollouts).toEqual([{ threshold: { percentage: 25, value: true } }]);
    expect(servesForcedValue(after, { rollout: 25 })).toBe(true);
    expect(servesForcedValue(after, { rollout: 30 })).toBe(false);
  });

  it("a variant flag takes --enabled (its rules stay) and refuses --rollout", () => {
    const after = findFlag([folder[0], { path: folder[1].path, text: edited("colour", { enabled: false }) }], "platform/colour")!;
    expect(after.enabled).toBe(false);
    expect(forcedValueProblem(flag("colour"), { rollout: 5 })).toMatch(/variant flag; --rollout applies to boolean flags/);
    expect(forcedValueProblem(flag("kill"), { rollout: 101 })).toMatch(/percentage from 0 to 100/);
    expect(forcedValueProblem(flag("kill"), { enabled: true })).toBeUndefined();
  });
});
