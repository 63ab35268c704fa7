/**
 * The program section, which needs no Flipt: wall time of the program under Pulumi's mocks per
 * stack (underMocks.ts), of `npm run render`, and of `npm test`, each as a child process the way a
 * developer runs it.
 */
import * as path from "node:path";
import { Supervisor } from "../../scripts/lib/processes";
import { projectDir } from "../../settings/schema";
import type { Row } from "../lib/format";
import { STACKS } from "../lib/targets";
import { Section, noBlocker } from "../section";

export interface TimedCommand {
  readonly name: string;
  readonly command: string;
  readonly wallMs: number;
  readonly exitCode: number | null;
  /** Figures the command printed (resources registered, tests passed…). */
  readonly detail: string;
}

export interface ProgramResults {
  readonly commands: readonly TimedCommand[];
}

const TITLE = "4 program";
const UNDER_MOCKS = path.join(__dirname, "underMocks.ts");
const TIMEOUT_MS: Record<string, number> = { mocks: 120_000, render: 120_000, test: 600_000 };

async function timeCommand(supervisor: Supervisor, name: string, argv: readonly string[], timeoutMs: number, detail: (output: readonly string[]) => string): Promise<TimedCommand> {
  const [command, ...args] = argv;
  const started = performance.now();
  const proc = supervisor.spawn(name, command, args, { cwd: projectDir, env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" } });
  const status = await proc.exitedOrKilledAfter(timeoutMs);
  const wallMs = performance.now() - started;
  const shown = argv.map((a) => (path.isAbsolute(a) && a.startsWith(projectDir) ? path.relative(projectDir, a) : a)).join(" ");
  if (status.code !== 0) {
    const why = status.signal ? `killed by ${status.signal}, limit ${timeoutMs / 1000} s` : `exit code ${status.code}`;
    const said = detail(proc.output()) || proc.tail(5).replace(/\s+/g, " ").slice(0, 300);
    return { name, command: shown, wallMs, exitCode: status.code, detail: `failed (${why}): ${said}` };
  }
  return { name, command: shown, wallMs, exitCode: 0, detail: detail(proc.output()) };
}

/** The `Test Files …` and `Tests …` lines of vitest's summary, or "" when it printed none. */
export function vitestSummary(output: readonly string[]): string {
  const strip = (line: string) => line.replace(/\u001b\[[0-9;]*m/g, "").trim();
  const files = output.map(strip).find((l) => /^Test Files\s/.test(l));
  const tests = output.map(strip).find((l) => /^Tests\s/.test(l));
  return [files, tests].filter(Boolean).join("; ");
}

export async function measureProgram(supervisor: Supervisor, stacks: readonly string[], log: (line: string) => void): Promise<ProgramResults> {
  const tsx = path.join(projectDir, "node_modules", ".bin", "tsx");
  const commands: TimedCommand[] = [];
  const run = async (timed: Promise<TimedCommand>) => {
    const result = await timed;
    log(`program: ${result.name}: ${(result.wallMs / 1000).toFixed(1)} s${result.exitCode === 0 ? "" : ` (${result.detail})`}`);
    commands.push(result);
  };
  for (const stack of stacks) {
    await run(
      timeCommand(supervisor, `program under mocks (${stack})`, [tsx, UNDER_MOCKS, stack], TIMEOUT_MS.mocks, (out) => {
        const line = JSON.parse(out.find((l) => l.startsWith("{")) ?? "{}") as { resources?: number; inProcessMs?: number };
        return `${line.resources} resources registered; ${Math.round(line.inProcessMs ?? 0)} ms after module load`;
      }),
    );
  }
  const out = supervisor.tempDir("bench-render");
  await run(
    timeCommand(supervisor, `npm run render (${stacks[0]})`, ["npm", "run", "--silent", "render", "--", "--stack", stacks[0], "--out", out], TIMEOUT_MS.render, (o) => o.filter((l) => l.startsWith("rendered")).join(" ")),
  );
  await run(timeCommand(supervisor, "npm test", ["npm", "test", "--silent"], TIMEOUT_MS.test, vitestSummary));
  return { commands };
}

export const programSection: Section<ProgramResults> = {
  title: TITLE,
  blocker: noBlocker,
  measure: ({ supervisor, log }) => measureProgram(supervisor, STACKS, log),
  rows: (results) => results.commands.map((c): Row => [TITLE, c.name, `${(c.wallMs / 1000).toFixed(1)} s wall`, c.detail]),
  problems: (results) => results.commands.filter((c) => c.exitCode !== 0).map((c) => `program: ${c.name}: ${c.detail}`),
};
