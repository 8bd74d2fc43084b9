/**
 * A small seedable PRNG: xoshiro128** (Blackman & Vigna), 32-bit words, period 2^128 − 1.
 * Seeded through splitmix32 so that nearby seeds (1, 2, 3 …) give unrelated streams.
 * The whole state is four uint32s, saved and restored as a plain JSON object so a
 * checkpoint can resume a run draw for draw.
 *
 * Not for cryptography. Same seed → same sequence on every platform (only 32-bit
 * integer ops and Math.imul; floats are made from integers).
 */
import { fail } from '../errors.js';

/** The saved state: plain data, JSON round-trips. */
export interface RngState {
  kind: 'xoshiro128**';
  s: [number, number, number, number];
}

/** splitmix32 step: returns [next state, output]. Used to spread a seed over 128 bits. */
function splitmix32(x: number): [number, number] {
  const next = (x + 0x9e3779b9) >>> 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return [next, (z ^ (z >>> 16)) >>> 0];
}

/**
 * Mixes a seed and any number of stream indices (epoch, worker …) into one uint32 seed,
 * so per-epoch streams need no stored state: `new Rng(mixSeed(seed, epoch))`.
 */
export function mixSeed(seed: number, ...streams: number[]): number {
  let h = 0;
  for (const v of [seed, ...streams]) {
    // Both 32-bit halves of an integer up to 2^53, so seeds above 2^32 still differ.
    const lo = v >>> 0;
    const hi = Math.floor(v / 4294967296) >>> 0;
    h = splitmix32((h ^ lo) >>> 0)[1];
    h = splitmix32((h ^ hi ^ 0x5bd1e995) >>> 0)[1];
  }
  return h;
}

const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;

export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  /** seed: any integer with |seed| < 2^53. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) fail('BAD_FLAG', `seed must be an integer (got ${seed})`, 'try --seed 1');
    let x = mixSeed(seed);
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      let out: number;
      [x, out] = splitmix32(x);
      words.push(out);
    }
    // An all-zero state would stay zero forever; splitmix32 cannot give four zeros
    // in a row, but guard anyway.
    if ((words[0] | words[1] | words[2] | words[3]) === 0) words[0] = 1;
    [this.s0, this.s1, this.s2, this.s3] = words;
  }

  static fromState(state: RngState): Rng {
    const r = new Rng(0);
    r.setState(state);
    return r;
  }

  /** A copy of the state (plain object; JSON-safe). */
  getState(): RngState {
    return { kind: 'xoshiro128**', s: [this.s0, this.s1, this.s2, this.s3] };
  }

  setState(state: RngState): void {
    const ok = state && state.kind === 'xoshiro128**' && Array.isArray(state.s) && state.s.length === 4 &&
      state.s.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff) && state.s.some((w) => w !== 0);
    if (!ok) fail('BAD_FILE', 'rng state must be {kind: "xoshiro128**", s: four uint32 not all zero}', 'the checkpoint may be corrupt');
    [this.s0, this.s1, this.s2, this.s3] = state.s;
  }

  /** Next uint32 in [0, 2^32). */
  u32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  float(): number {
    const hi = this.u32() >>> 5; // 27 bits
    const lo = this.u32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n), unbiased (rejection), n in [1, 2^32]. */
  int(n: number): number {
    if (!(Number.isInteger(n) && n >= 1 && n <= 4294967296)) fail('BAD_CONFIG', `rng.int(n) needs an integer n in [1, 2^32] (got ${n})`, 'this is a bug in the caller; please report it');
    const limit = 4294967296 - (4294967296 % n); // largest multiple of n ≤ 2^32
    let x: number;
    do x = this.u32(); while (x >= limit);
    return x % n;
  }

  /** Standard normal (Box–Muller; one value per call, the pair's twin is discarded for simplicity). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.float();
    const v = this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Fisher–Yates shuffle in place; returns the array. */
  shuffle<A extends { length: number; [i: number]: number }>(a: A): A {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** A random permutation of 0 … n−1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }
}
