/**
 * k-th order statistic of a Float32Array of scores without sorting.
 *
 * Large arrays of non-negative scores (|w|, block means, unit norms — every score
 * the pruner ranks) use a radix select: non-negative float32 values order like
 * their uint32 bit patterns, so one pass builds a histogram of the top 16 bits
 * (sign, exponent, 7 mantissa bits: 65,536 buckets), a scan finds the bucket that
 * holds rank r, a second pass gathers that bucket (typically well under 1% of the
 * values) and a quickselect finishes there. Two streaming passes, no permutation
 * of the input. Small arrays, or arrays with negative values, use the quickselect
 * directly.
 *
 * The quickselect is in place (it permutes its input), expected O(n): three-way
 * partitioning keeps runs of equal values linear, and the pivot is the median of
 * three positions drawn from a fixed-seed xorshift, so the running time does not
 * depend on the input's order and runs are reproducible.
 */

export interface RankResult {
  /** The value of ascending rank r (0-based). */
  value: number;
  /** How many of the n values are strictly greater than `value`. */
  greater: number;
}

const RADIX_MIN = 4096;
const hist = new Uint32Array(1 << 16);
let bucketBuf = new Float32Array(1024);

/**
 * Value of ascending rank r (0 ≤ r < n) among a[0..n). NaN must not occur.
 * Leaves `a` unchanged when n ≥ 4096 and every value is ≥ 0; may permute it otherwise.
 */
export function selectRank(a: Float32Array, n: number, r: number): RankResult {
  if (!(n > 0) || r < 0 || r >= n) throw new RangeError(`selectRank: rank ${r} out of [0, ${n})`);
  if (n < RADIX_MIN || a.byteOffset % 4 !== 0) return quickSelect(a, n, r);
  const bits = new Uint32Array(a.buffer, a.byteOffset, n);
  histogram16(bits, n);
  if (countFrom(1 << 15) > 0) return quickSelect(a, n, r); // negative values
  const b = bucketOfRank(r);
  const below = countBelow(b);
  const inBucket = hist[b];
  if (bucketBuf.length < inBucket) bucketBuf = new Float32Array(Math.max(inBucket, bucketBuf.length * 2));
  gatherBucket(a, bits, n, b, bucketBuf);
  const res = quickSelect(bucketBuf, inBucket, r - below);
  return { value: res.value, greater: res.greater + (n - below - inBucket) };
}

// One hot loop per function: V8 then optimizes each whole, instead of on-stack-replacing
// one loop of a long function and bailing out at the next (measured: 3× slower).

function histogram16(bits: Uint32Array, n: number): void {
  hist.fill(0);
  for (let i = 0; i < n; i++) hist[bits[i] >>> 16]++;
}

/** The histogram bucket that holds rank r. */
function bucketOfRank(r: number): number {
  let below = 0;
  let b = 0;
  while (below + hist[b] <= r) below += hist[b++];
  return b;
}

function countBelow(b1: number): number {
  let c = 0;
  for (let b = 0; b < b1; b++) c += hist[b];
  return c;
}

function countFrom(b0: number): number {
  let c = 0;
  for (let b = b0; b < hist.length; b++) c += hist[b];
  return c;
}

function gatherBucket(a: Float32Array, bits: Uint32Array, n: number, b: number, out: Float32Array): void {
  let p = 0;
  for (let i = 0; i < n; i++) if (bits[i] >>> 16 === b) out[p++] = a[i];
}

/** In-place quickselect (permutes a[0..n)). */
export function quickSelect(a: Float32Array, n: number, r: number): RankResult {
  let lo = 0;
  let hi = n - 1;
  let seed = 0x9e3779b9 | 0;
  const rand = (span: number) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % span;
  };
  while (hi > lo) {
    const span = hi - lo + 1;
    const x = a[lo + rand(span)];
    const y = a[lo + rand(span)];
    const z = a[lo + rand(span)];
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    // [lo, lt) < pivot, [lt, i) == pivot, (gt, hi] > pivot
    let lt = lo;
    let i = lo;
    let gt = hi;
    while (i <= gt) {
      const v = a[i];
      if (v < pivot) {
        a[i] = a[lt];
        a[lt] = v;
        lt++;
        i++;
      } else if (v > pivot) {
        a[i] = a[gt];
        a[gt] = v;
        gt--;
      } else i++;
    }
    if (r < lt) hi = lt - 1;
    else if (r > gt) lo = gt + 1;
    else return { value: pivot, greater: n - 1 - gt };
  }
  // lo == hi == r: everything left of r is smaller, everything right of it larger.
  return { value: a[r], greater: n - 1 - r };
}
