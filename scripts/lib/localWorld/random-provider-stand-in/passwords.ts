/**
 * STAND-IN (engine tier, deploy:local and the bench only, never shipped) for the password generation of the `random` provider's RandomPassword (the
 * Go module proxy refuses pulumi-random here). Never shipped: the program's own dependency is
 * @pulumi/random, whose real provider a `pulumi up` outside this tier downloads as usual.
 * Same inputs and defaults as RandomPassword: character classes on by default, minimum counts
 * per class, `overrideSpecial` replacing the special set; characters from crypto.randomInt.
 */
import { randomInt } from "node:crypto";

export interface PasswordInputs {
  readonly length: number;
  readonly upper?: boolean;
  readonly lower?: boolean;
  readonly numeric?: boolean;
  readonly special?: boolean;
  readonly minUpper?: number;
  readonly minLower?: number;
  readonly minNumeric?: number;
  readonly minSpecial?: number;
  readonly overrideSpecial?: string;
}

const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const NUMERIC = "0123456789";
/** The random provider's default special characters. */
const SPECIAL = "!@#$%&*()-_=+[]{}<>:?";

interface CharacterClass {
  readonly name: string;
  readonly enabled: boolean;
  readonly characters: string;
  readonly minimum: number;
}

function characterClasses(inputs: PasswordInputs): CharacterClass[] {
  return [
    { name: "upper", enabled: inputs.upper ?? true, characters: UPPER, minimum: inputs.minUpper ?? 0 },
    { name: "lower", enabled: inputs.lower ?? true, characters: LOWER, minimum: inputs.minLower ?? 0 },
    { name: "numeric", enabled: inputs.numeric ?? true, characters: NUMERIC, minimum: inputs.minNumeric ?? 0 },
    { name: "special", enabled: inputs.special ?? true, characters: inputs.overrideSpecial || SPECIAL, minimum: inputs.minSpecial ?? 0 },
  ];
}

/** The problems with a set of inputs, one line each, as the provider's check reports them. */
export function passwordInputProblems(inputs: PasswordInputs): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(inputs.length) || inputs.length < 1) problems.push(`length must be a positive integer, got ${inputs.length}`);
  const classes = characterClasses(inputs);
  const minimums = classes.filter((c) => c.enabled).reduce((sum, c) => sum + c.minimum, 0);
  if (minimums > inputs.length) problems.push(`length ${inputs.length} is less than the sum of the minimums (${minimums})`);
  if (!classes.some((c) => c.enabled)) problems.push("at least one of upper, lower, numeric and special must be true");
  return problems;
}

function pick(characters: string): string {
  return characters[randomInt(characters.length)];
}

/** A password of `length` characters with each class's minimum met, in random order. */
export function generatePassword(inputs: PasswordInputs): string {
  const problems = passwordInputProblems(inputs);
  if (problems.length > 0) throw new Error(problems.join("; "));
  const enabled = characterClasses(inputs).filter((c) => c.enabled);
  const chars = enabled.flatMap((c) => Array.from({ length: c.minimum }, () => pick(c.characters)));
  const all = enabled.map((c) => c.characters).join("");
  while (chars.length < inputs.length) chars.push(pick(all));
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j], chars[i]];
  }
  return chars.join("");
}
