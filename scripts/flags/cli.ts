// Entry point of `npm run flags`; the commands live in main.ts so tests can run them in-process.
import { defaultIo, run } from "./main";

process.exitCode = run(process.argv.slice(2), defaultIo());
