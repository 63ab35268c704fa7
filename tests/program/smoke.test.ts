import { describe, expect, it } from "vitest";
import { runProgram } from "./harness";

describe("smoke", () => {
  it("runs dev", async () => {
    const run = await runProgram("dev");
    console.log(run.resources.map((r) => `${r.type} ${r.name}`).join("\n"));
    console.log(run.outputs, run.secretOutputs);
    expect(run.resources.length).toBeGreaterThan(5);
  });
  it("runs prod", async () => {
    const run = await runProgram("prod");
    expect(run.resources.length).toBeGreaterThan(5);
    console.log(run.outputs);
  });
});
