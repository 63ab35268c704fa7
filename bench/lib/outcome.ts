/**
 * How a measurement ends: measured with its results, not measured (and why), failed (and why), or
 * not selected. Every section ends as one of these in bench/results.json, and a section's own parts
 * (the scale section's flags tool, say) as Attempted, so one failure does not hide the rest.
 */

export type SectionOutcome<T> =
  | { readonly status: "measured"; readonly results: T }
  | { readonly status: "not measured"; readonly reason: string }
  | { readonly status: "failed"; readonly error: string }
  | { readonly status: "not selected" };

/** What a measurement that ran ends as: its results, or why it failed. */
export type Attempted<T> = Extract<SectionOutcome<T>, { readonly status: "measured" | "failed" }>;

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs `fn`; a failure becomes a failed outcome (said to `onFailure`) instead of ending the run. */
export async function attempt<T>(fn: () => Promise<T>, onFailure: (message: string) => void): Promise<Attempted<T>> {
  try {
    return { status: "measured", results: await fn() };
  } catch (error) {
    onFailure(errorMessage(error));
    return { status: "failed", error: errorMessage(error) };
  }
}
