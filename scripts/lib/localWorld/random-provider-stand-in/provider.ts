/**
 * STAND-IN (engine tier, deploy:local and the bench only, never shipped) for the `random` resource provider plugin, serving only
 * `random:index/randomPassword:RandomPassword` (what the program uses). The engine tier puts
 * this directory on PATH, so the Pulumi CLI runs `pulumi-resource-random` from here and says so
 * ("using pulumi-resource-random from $PATH"). Every other provider in that tier is the real one.
 * It reports the version of @pulumi/random that the program depends on.
 */
import * as provider from "@pulumi/pulumi/provider";
import { generatePassword, passwordInputProblems, PasswordInputs } from "./passwords";

const PASSWORD_TYPE = "random:index/randomPassword:RandomPassword";
/** Every input of RandomPassword; a change to any of them replaces the password, as in the real provider. */
const INPUTS = ["keepers", "length", "lower", "minLower", "minNumeric", "minSpecial", "minUpper", "number", "numeric", "overrideSpecial", "special", "upper"];

/** The resource's own type: the URN's type part is its parents' types and its own, joined by `$`. */
function typeOf(urn: string): string {
  return (urn.split("::")[2] ?? "").split("$").pop() ?? "";
}

function requirePasswordType(urn: string): void {
  if (typeOf(urn) !== PASSWORD_TYPE) throw new Error(`the random provider stand-in serves only ${PASSWORD_TYPE}, not ${typeOf(urn)}`);
}

const standIn: provider.Provider = {
  version: (require("@pulumi/random/package.json") as { version: string }).version,

  async check(urn, _olds, news) {
    requirePasswordType(urn);
    const failures = passwordInputProblems(news as PasswordInputs).map((reason) => ({ property: "length", reason }));
    return { inputs: news, failures };
  },

  async diff(_id, urn, olds, news) {
    requirePasswordType(urn);
    const replaces = INPUTS.filter((key) => JSON.stringify(olds[key]) !== JSON.stringify(news[key]));
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: false };
  },

  async create(urn, inputs) {
    requirePasswordType(urn);
    // The real provider's ID is "none" too; the value lives in `result` only.
    return { id: "none", outs: { ...inputs, result: generatePassword(inputs as PasswordInputs) } };
  },

  async read(id, urn, props) {
    requirePasswordType(urn);
    return { id, props };
  },

  async delete() {
    // Nothing outside the state to remove.
  },
};

void provider.main(standIn, process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`random provider stand-in: ${String(error)}\n`);
  process.exit(1);
});
