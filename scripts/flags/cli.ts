// Entry point of `npm run flags`; the commands live in main.ts so tests can run them in-process.
import { defaultIo, run } from "./main";

void Promise.resolve(run(process.argv.slice(2), defaultIo())).then((code) => {
  process.exitCode = code;
});
