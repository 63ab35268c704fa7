import { describe, expect, it } from "vitest";
import { UserError } from "../../scripts/flags/errors";
import { findMappingCollisions, FLIPT_KEY_PATTERN, fliptKeyFor } from "../../scripts/flags/mapping";

describe("fliptKeyFor", () => {
  it.each([
    ["platform.kill_switches.llm_gateway.inference", "platform", "kill_switches--llm_gateway--inference"],
    ["llm_gateway.model_routing.provider_failover", "llm_gateway", "model_routing--provider_failover"],
    ["maestro.agent_authority.draft_and_confirm_default", "maestro", "agent_authority--draft_and_confirm_default"],
    ["shop.checkout", "shop", "checkout"],
    ["plain_key", "default", "plain_key"],
    ["  padded.key  ", "padded", "key"],
    ["Team-A.new-flow,v2", "Team-A", "new-flow,v2"],
  ])("maps %j to namespace %s, key %s", (legacy, namespace, key) => {
    const ref = fliptKeyFor(legacy);
    expect(ref).toEqual({ namespace, key });
    expect(ref.namespace).toMatch(FLIPT_KEY_PATTERN);
    expect(ref.key).toMatch(FLIPT_KEY_PATTERN);
  });

  it.each([
    ["", "legacy key is empty"],
    ["   ", "legacy key is empty"],
    ["a..b", "has an empty segment"],
    [".a", "has an empty segment"],
    ["a.", "has an empty segment"],
    ["a.b c", 'has segment "b c"'],
    ["a/b.c", 'has segment "a/b"'],
    ["a.b:c", 'has segment "b:c"'],
  ])("refuses %j (%s)", (legacy, message) => {
    expect(() => fliptKeyFor(legacy)).toThrow(UserError);
    expect(() => fliptKeyFor(legacy)).toThrow(message);
  });

  it("is deterministic", () => {
    expect(fliptKeyFor("a.b.c")).toEqual(fliptKeyFor("a.b.c"));
  });
});

describe("findMappingCollisions", () => {
  it.each([
    [["a.b.c", "a.b--c"], [["a.b.c", "a.b--c"]]],
    [["x", "default.x"], [["x", "default.x"]]],
    [["a.b.c", "a.b_c", "a.b-c", "b.c"], []],
    [["platform.kill_switches.gate.control_api", "platform.kill_switches.gate.connector_proxy"], []],
  ])("in %j finds %j", (keys, groups) => {
    expect(findMappingCollisions(keys)).toEqual(groups);
  });
});
