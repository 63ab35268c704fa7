import { describe, expect, it } from "vitest";
import { WindowPlan, judgeWindow } from "../../../bench/latency/changeAndFault";
import { VegetaResult } from "../../../bench/load/vegeta";

const answer = (sentAtMs: number, enabled: boolean | undefined, code = 200, latencyMs = 1): VegetaResult => ({
  sentAtMs,
  latencyMs,
  code,
  error: code === 0 ? "connection refused" : "",
  body: enabled === undefined ? '{"code":5,"message":"flag not found"}' : JSON.stringify({ enabled, reason: "DEFAULT_EVALUATION_REASON" }),
});

const plan = (overrides: Partial<WindowPlan> = {}): WindowPlan => ({ name: "commit synced", description: "", startMs: 1000, endMs: 2000, expected: [false, true], mustServe: true, ...overrides });

describe("change and fault windows", () => {
  it("passes a window that served only the old and the new value, the new one included, without errors", () => {
    const results = [answer(500, true), answer(1000, false), answer(1400, false), answer(1500, true), answer(1999, true), answer(2000, false, 0)];
    const w = judgeWindow(results, plan());
    expect(w).toMatchObject({ ok: true, served: { true: 2, false: 2 }, unexpected: 0, seconds: 1 });
    expect(w.latencyMs.requests).toBe(4);
  });

  it("fails a window with an error or a non-200 answer", () => {
    const w = judgeWindow([answer(1000, false), answer(1100, true), answer(1200, undefined, 404)], plan());
    expect(w).toMatchObject({ ok: false, unexpected: 0 });
    expect(w.latencyMs).toMatchObject({ errors: 1, non200: 1 });
    expect(judgeWindow([answer(1000, false), answer(1100, true), answer(1200, undefined, 0)], plan()).latencyMs.transportErrors).toBe(1);
  });

  it("fails a window that served a value it must not (an invalid commit's flip)", () => {
    const w = judgeWindow([answer(1000, true), answer(1500, false)], plan({ name: "invalid commit polled", expected: [true], mustServe: false }));
    expect(w).toMatchObject({ ok: false, unexpected: 1, served: { true: 1, false: 1 } });
  });

  it("fails a window where the change never landed", () => {
    expect(judgeWindow([answer(1000, false), answer(1500, false)], plan()).ok).toBe(false);
  });

  it("counts a 200 that is not a boolean evaluation as unexpected", () => {
    expect(judgeWindow([answer(1000, undefined), answer(1100, true), answer(1200, false)], plan()).unexpected).toBe(1);
  });

  it("refuses a window no request was sent in", () => {
    expect(() => judgeWindow([answer(5000, true)], plan())).toThrow('no request was sent during the window "commit synced"');
  });
});
