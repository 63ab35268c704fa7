import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readProjectFile } from "../../settings/schema";
import { placeholderSecret, readStackConfig } from "../../settings/stackFiles";
import { UserError } from "../../settings/userError";
import { loadAllYaml, readYamlFile, YamlSyntaxError } from "../../settings/yamlFile";

const dirs: string[] = [];
afterAll(() => dirs.splice(0).forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** A project folder with this repository's Pulumi.yaml and dev stack file, with `edits` applied. */
function project(edits: Record<string, (text: string) => string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "yaml-file-test-"));
  dirs.push(dir);
  for (const name of ["Pulumi.yaml", "Pulumi.dev.yaml"]) {
    const text = fs.readFileSync(path.join(__dirname, "../..", name), "utf8");
    fs.writeFileSync(path.join(dir, name), (edits[name] ?? ((t) => t))(text));
  }
  return dir;
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof UserError) return error.message;
    throw error;
  }
  throw new Error("expected a UserError");
}

describe("YAML a person edits: a syntax error is one line naming the file, line and column", () => {
  it.each([
    ["an unclosed flow list", "a: [1, 2\n", "f.yml:2:1: YAML syntax error: unexpected end of the stream within a flow collection"],
    ["bad indentation", "a:\n  b: 1\n c: 2\n", "f.yml:3:2: YAML syntax error: bad indentation of a mapping entry"],
    ["a duplicated key", "a: 1\na: 2\n", "f.yml:2:1: YAML syntax error: duplicated mapping key"],
  ])("%s", (_, text, expected) => {
    const message = messageOf(() => loadAllYaml(text, "f.yml"));
    expect(message).toBe(expected);
    expect(message).not.toContain("\n");
  });

  it("a missing file is one line too", () => {
    expect(messageOf(() => readYamlFile("/nonexistent/x.yml", "x.yml"))).toBe("x.yml: cannot read (no such file)");
  });

  it("a broken stack file: readStackConfig (render, local, deploy:local, the engine tier) names it", () => {
    const dir = project({ "Pulumi.dev.yaml": (t) => `${t}  bad: [x\n` });
    expect(() => readStackConfig("dev", placeholderSecret, dir)).toThrow(YamlSyntaxError);
    expect(messageOf(() => readStackConfig("dev", placeholderSecret, dir))).toMatch(/Pulumi\.dev\.yaml:\d+:\d+: YAML syntax error: /);
  });

  it("a broken Pulumi.yaml: readProjectFile (the program, config-reference, render) names it", () => {
    const dir = project({ "Pulumi.yaml": (t) => t.replace("config:", "config:\n  broken: [") });
    expect(messageOf(() => readProjectFile(dir))).toMatch(/Pulumi\.yaml:\d+:\d+: YAML syntax error: /);
  });

  it("a Pulumi.yaml key without a type takes its default's type, as Pulumi does, and without either is refused", () => {
    const inferred = project({ "Pulumi.yaml": (t) => t.replace("config:", "config:\n  extraFlag:\n    description: d\n    default: true") });
    expect(readProjectFile(inferred).config.find((d) => d.key === "extraFlag")?.type).toBe("boolean");
    const untyped = project({ "Pulumi.yaml": (t) => t.replace("config:", "config:\n  extraKey:\n    description: d") });
    expect(messageOf(() => readProjectFile(untyped))).toMatch(/Pulumi\.yaml: config\.extraKey\.type: undefined is invalid; expected one of string, integer, boolean, array/);
  });

  it("a stack that has no file is a user error naming the stacks there are", () => {
    expect(messageOf(() => readStackConfig("qa", placeholderSecret, project()))).toBe("no stack file Pulumi.qa.yaml; expected one of dev or pr-<number>");
  });
});
