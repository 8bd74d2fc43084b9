/**
 * A vocabulary: ids 0 … size−1 ↔ tokens, with an optional `<unk>` that unknown tokens map to.
 * Two ways to order it (both deterministic):
 *   - byFrequency: descending count, ties by code point order of the token (not locale);
 *   - sorted: code point order (character vocabularies).
 */
export const UNK = '<unk>';
export const EOS = '<eos>';

export class Vocab {
  readonly tokens: readonly string[];
  /** Id of `<unk>`, or −1 when this vocabulary has none (synthetic tasks). */
  readonly unk: number;
  private readonly ids: Map<string, number>;

  constructor(tokens: readonly string[]) {
    this.tokens = tokens;
    this.ids = new Map(tokens.map((t, i) => [t, i]));
    if (this.ids.size !== tokens.length) throw new Error('Vocab: duplicate tokens'); // a bug, not user input
    this.unk = this.ids.get(UNK) ?? -1;
  }

  get size(): number {
    return this.tokens.length;
  }

  /** Id of a token; unknown → `unk` (−1 if there is no `<unk>`). */
  id(token: string): number {
    return this.ids.get(token) ?? this.unk;
  }

  has(token: string): boolean {
    return this.ids.has(token);
  }

  token(id: number): string {
    const t = this.tokens[id];
    if (t === undefined) throw new RangeError(`token id ${id} outside the vocabulary [0, ${this.size})`);
    return t;
  }

  /**
   * The `max` most frequent tokens (all when max is undefined), descending count, ties
   * broken by code point order; `<unk>` is appended when `withUnk` and not already chosen.
   */
  static byFrequency(counts: Map<string, number>, opts: { max?: number; withUnk: boolean }): Vocab {
    const entries = [...counts];
    entries.sort((a, b) => b[1] - a[1] || codePointCompare(a[0], b[0]));
    const max = opts.max ?? entries.length;
    const chosen = entries.slice(0, max).map((e) => e[0]);
    if (opts.withUnk && !chosen.includes(UNK)) {
      // The cap counts `<unk>`: keep max tokens in all.
      if (opts.max !== undefined && chosen.length >= opts.max) chosen.length = opts.max - 1;
      chosen.push(UNK);
    }
    return new Vocab(chosen);
  }

  /** Tokens in code point order, then `<unk>` last when `withUnk`. */
  static sorted(tokens: Iterable<string>, opts: { withUnk: boolean }): Vocab {
    const list = [...new Set(tokens)].sort(codePointCompare);
    if (opts.withUnk && !list.includes(UNK)) list.push(UNK);
    return new Vocab(list);
  }
}

/** Orders strings by Unicode code point (not UTF-16 unit, not locale): the same on every machine. */
export function codePointCompare(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (an astral code point, ≥ U+10000) sorts after every BMP unit.
    const sx = x >= 0xd800 && x <= 0xdfff;
    const sy = y >= 0xd800 && y <= 0xdfff;
    if (sx !== sy) return sx ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}
