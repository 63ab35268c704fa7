import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { previousRender, RENDER_MARKER, writeRender } from "../../scripts/lib/renderedStack";

const dirs: string[] = [];
afterAll(() => dirs.splice(0).forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "render-test-"));
  dirs.push(dir);
  return dir;
};

describe("render --out writes only its own output", () => {
  const files = [
    { file: "01-namespace-flipt-dev.yaml", content: "kind: Namespace\n" },
    { file: "02-service-flipt.yaml", content: "kind: Service\n" },
  ];

  it("writes into a new folder and leaves a marker listing what it wrote", () => {
    const out = path.join(tempDir(), "rendered");
    writeRender(out, "rendered", files);
    expect(fs.readdirSync(out).sort()).toEqual([RENDER_MARKER, ...files.map((f) => f.file)].sort());
  });

  it("replaces what it wrote before, and only that", () => {
    const out = path.join(tempDir(), "rendered");
    writeRender(out, "rendered", files);
    writeRender(out, "rendered", files.slice(1));
    expect(fs.readdirSync(out).sort()).toEqual([RENDER_MARKER, files[1].file].sort());
  });

  it.each([
    ["a file of yours in it", (out: string) => fs.writeFileSync(path.join(out, "notes.txt"), "mine")],
    ["a folder render never wrote", () => undefined],
  ])("refuses a folder with %s and deletes nothing", (_, arrange) => {
    const out = path.join(tempDir(), "out");
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, "values.yaml"), "replicas: 2\n");
    arrange(out);
    const before = fs.readdirSync(out).sort();
    expect(() => writeRender(out, "out", files)).toThrow(/^--out out: holds .*values\.yaml.*, which render did not write; expected a new or empty folder, or one render wrote before \(nothing was changed\)$/);
    expect(fs.readdirSync(out).sort()).toEqual(before);
  });

  it("refuses a folder render wrote before when a file of yours has joined it", () => {
    const out = path.join(tempDir(), "rendered");
    writeRender(out, "rendered", files);
    fs.writeFileSync(path.join(out, "notes.txt"), "mine");
    expect(() => previousRender(out, "rendered")).toThrow(/holds notes\.txt, which render did not write/);
    expect(fs.existsSync(path.join(out, files[0].file))).toBe(true);
  });

  it("refuses a file as --out", () => {
    const file = path.join(tempDir(), "x.yaml");
    fs.writeFileSync(file, "");
    expect(() => previousRender(file, "x.yaml")).toThrow("--out x.yaml: is a file");
  });
});
