/**
 * `tsx bench/program/underMocks.ts <stack>`: runs index.ts once under Pulumi's mocks with the
 * stack's configuration (secure values replaced by stand-ins), waits for every output, and prints
 * one JSON line: the resources registered and the time the run took inside this process. The
 * program section times the whole child process, which is what `pulumi preview` would add its
 * engine to.
 */
import { runUnderMocks, standInStackConfig } from "../lib/programUnderMocks";

async function main(stack: string): Promise<void> {
  const figures = await runUnderMocks(standInStackConfig(stack));
  process.stdout.write(`${JSON.stringify({ stack, ...figures })}\n`);
}

if (require.main === module) {
  const stack = process.argv[2];
  if (!stack) {
    process.stderr.write("usage: tsx bench/program/underMocks.ts <stack>\n");
    process.exit(2);
  }
  main(stack).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
