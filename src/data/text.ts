/**
 * Text → token ids, the two tokenizers of the LM sets:
 *   word: each line split on whitespace, then `<eos>` (PyTorch word_language_model:
 *         `line.split() + ['<eos>']` for every line, blank lines included; a final
 *         newline does not start another line);
 *   char: every Unicode code point is a token, newline included; CRLF is read as LF.
 */
import { EOS, Vocab } from './vocab.js';
import type { Level } from './dataset.js';

/** A growable Int32Array. */
export class IntBuilder {
  private buf: Int32Array;
  length = 0;
  constructor(capacity = 1024) {
    this.buf = new Int32Array(Math.max(16, capacity));
  }
  push(v: number): void {
    if (this.length === this.buf.length) {
      const next = new Int32Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = v;
  }
  /** The values, in an array of exactly `length`. */
  finish(): Int32Array {
    return this.buf.slice(0, this.length);
  }
}

/** Lines of a text: LF or CRLF; a trailing newline does not add an empty last line. */
export function lines(text: string): string[] {
  const out = text.split(/\r?\n/);
  if (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}

const WS = /\s+/;

/** Calls `fn` for each word token of `text`, `<eos>` after every line. */
export function forEachWord(text: string, fn: (token: string) => void): void {
  for (const line of lines(text)) {
    for (const w of line.split(WS)) if (w !== '') fn(w);
    fn(EOS);
  }
}

/** Calls `fn` for each character (code point) of `text`; CRLF → LF. */
export function forEachChar(text: string, fn: (token: string) => void): void {
  for (const c of text.replace(/\r\n/g, '\n')) fn(c);
}

export function forEachToken(level: Level, text: string, fn: (token: string) => void): void {
  if (level === 'word') forEachWord(text, fn);
  else forEachChar(text, fn);
}

/** Text → ids; tokens outside the vocabulary become `<unk>` (or −1 where there is none). */
export function encodeText(level: Level, vocab: Vocab, text: string): Int32Array {
  const b = new IntBuilder(text.length >> (level === 'word' ? 2 : 0));
  forEachToken(level, text, (t) => b.push(vocab.id(t)));
  return b.finish();
}

/** ids → text: words joined by spaces with `<eos>` as a line break; characters joined. */
export function decodeIds(level: Level, vocab: Vocab, ids: ArrayLike<number>): string {
  const parts: string[] = [];
  if (level === 'char') {
    for (let i = 0; i < ids.length; i++) parts.push(vocab.token(ids[i]));
    return parts.join('');
  }
  let line: string[] = [];
  for (let i = 0; i < ids.length; i++) {
    const t = vocab.token(ids[i]);
    if (t === EOS) {
      parts.push(line.join(' ') + '\n');
      line = [];
    } else line.push(t);
  }
  if (line.length) parts.push(line.join(' '));
  return parts.join('');
}

/**
 * Gives each distinct token a provisional id and counts it, so a stream can be encoded
 * in one pass before its vocabulary is known; `remap` then turns provisional ids into
 * vocabulary ids.
 */
export class Interner {
  readonly ids = new Map<string, number>();
  readonly names: string[] = [];
  readonly counts: number[] = [];
  add(token: string, count = true): number {
    let id = this.ids.get(token);
    if (id === undefined) {
      id = this.names.length;
      this.ids.set(token, id);
      this.names.push(token);
      this.counts.push(0);
    }
    if (count) this.counts[id]++;
    return id;
  }
  /** token → count of the tokens added with count = true. */
  countMap(): Map<string, number> {
    const m = new Map<string, number>();
    this.names.forEach((n, i) => {
      if (this.counts[i] > 0) m.set(n, this.counts[i]);
    });
    return m;
  }
  /** Rewrites provisional ids in place as ids of `vocab` (unknown → vocab.unk). */
  remap(vocab: Vocab, stream: Int32Array): Int32Array {
    const table = Int32Array.from(this.names, (n) => vocab.id(n));
    for (let i = 0; i < stream.length; i++) stream[i] = table[stream[i]];
    return stream;
  }
}
