/**
 * How much of a generated text is made of real words: the share of its words (runs of
 * letters, case folded) that occur in a reference text, e.g. Moby Dick itself. The last
 * word is left out when the text stops inside it. Browser-safe.
 */
export function wordsOf(text: string): string[] {
  return (text.match(/[A-Za-z]+/g) ?? []).map((w) => w.toLowerCase());
}

export function dictionaryRate(text: string, dictionary: ReadonlySet<string>): { words: number; known: number; rate: number } {
  const words = wordsOf(text);
  if (/[A-Za-z]$/.test(text)) words.pop();
  const known = words.filter((w) => dictionary.has(w)).length;
  return { words: words.length, known, rate: words.length ? known / words.length : 0 };
}
