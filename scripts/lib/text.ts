/** plural(1, "flag") → "1 flag"; plural(3, "flag") → "3 flags"; plural(2, "was", "were") → "2 were". */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : nouns}`;
}
