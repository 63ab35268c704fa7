import { describe, expect, it } from "vitest";
import { configReferenceTable, documentedConfigTable } from "../../scripts/configReference";
import { readProjectFile } from "../../settings/schema";

describe("configuration reference (docs/configuration.md)", () => {
  it("matches Pulumi.yaml (regenerate with `npm run config-reference`)", () => {
    expect(documentedConfigTable()).toBe(configReferenceTable());
  });

  it("declares every key with a type and a description, and no default for secrets", () => {
    for (const decl of readProjectFile().config) {
      expect(["string", "integer", "boolean", "array"], decl.key).toContain(decl.type);
      expect(decl.description.length, decl.key).toBeGreaterThan(10);
      if (decl.secret) expect(decl.default, decl.key).toBeUndefined();
    }
  });
});
