import { UserError } from "./errors";

/** Calendar dates are plain `YYYY-MM-DD` strings throughout: no time zone, no time of day. */
export const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

const MS_PER_DAY = 86_400_000;

/** Days since the epoch for a valid `YYYY-MM-DD`, or undefined when the text is not one. */
export function dayNumber(text: string): number | undefined {
  const match = DATE_PATTERN.exec(text);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  const back = new Date(ms);
  // Date.UTC rolls 2026-02-30 over to March; a real date survives the round trip.
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day) {
    return undefined;
  }
  return ms / MS_PER_DAY;
}

export function isDate(text: unknown): text is string {
  return typeof text === "string" && dayNumber(text) !== undefined;
}

function fromDayNumber(days: number): string {
  return new Date(days * MS_PER_DAY).toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  return fromDayNumber(requireDate(date, "date") + days);
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return requireDate(to, "date") - requireDate(from, "date");
}

/** The local calendar date, which is what `date` prints for the person running the tool. */
export function localToday(now: Date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** Validates a date given on the command line or in a file; `what` names it in the error. */
export function requireDate(text: string, what: string): number {
  const days = dayNumber(text);
  if (days === undefined) {
    throw new UserError(`${what}: expected a date YYYY-MM-DD, found ${JSON.stringify(text)}`);
  }
  return days;
}
