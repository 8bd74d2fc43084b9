/**
 * MNIST-style normalisation of a drawing (browser-safe, no DOM): the way LeCun et al.
 * built MNIST from NIST — the digit's bounding box scaled, aspect ratio kept, to fit a
 * 20 × 20 box (area-averaged, so edges come out grey), then placed in a 28 × 28 field so
 * that its centre of mass sits at pixel (14, 14) — where it sits in MNIST (mean over the
 * test set: 14.0, 14.0 in row and column index).
 *
 * Input: ink [w · h] row-major, 0 = paper, 1 = full ink (any resolution, e.g. a 280 × 280
 * canvas). Output: 784 values in [0, 1], row-major, as the mnist data set feeds the model
 * (28 steps of 28 features).
 */
export const SIDE = 28;
export const BOX = 20;
const EMPTY = 0.05;

export function mnistFromInk(ink: ArrayLike<number>, w: number, h: number): Float32Array {
  const out = new Float32Array(SIDE * SIDE);
  let x0 = w, y0 = h, x1 = -1, y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (ink[y * w + x] > EMPTY) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return out;
  const bw = x1 - x0 + 1, bh = y1 - y0 + 1;
  const scale = BOX / Math.max(bw, bh);
  const tw = Math.max(1, Math.round(bw * scale)), th = Math.max(1, Math.round(bh * scale));
  // Area average: each source pixel adds its ink, weighted by the part of it that falls in
  // each target cell (source pixel [x, x+1) maps to [x·sx, (x+1)·sx) in target units).
  const sx = tw / bw, sy = th / bh;
  const box = new Float64Array(tw * th);
  const spread = (a: number, s: number, n: number, f: (i: number, wgt: number) => void) => {
    const lo = a * s, hi = (a + 1) * s;
    for (let i = Math.floor(lo); i < Math.min(n, Math.ceil(hi)); i++) {
      const wgt = Math.min(hi, i + 1) - Math.max(lo, i);
      if (wgt > 0) f(i, wgt);
    }
  };
  for (let y = 0; y < bh; y++) {
    for (let x = 0; x < bw; x++) {
      const v = ink[(y0 + y) * w + x0 + x];
      if (v <= 0) continue;
      spread(y, sy, th, (ty, wy) => spread(x, sx, tw, (tx, wx) => { box[ty * tw + tx] += v * wx * wy; }));
    }
  }
  let mass = 0, mx = 0, my = 0;
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const v = box[y * tw + x];
      mass += v;
      mx += v * x;
      my += v * y;
    }
  }
  const ox = Math.round(SIDE / 2 - mx / mass), oy = Math.round(SIDE / 2 - my / mass);
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const X = x + ox, Y = y + oy;
      if (X >= 0 && X < SIDE && Y >= 0 && Y < SIDE) out[Y * SIDE + X] = Math.min(1, box[y * tw + x]);
    }
  }
  return out;
}

/** Ink of RGBA pixels drawn dark on white: 1 − luminance (alpha-composited on white). */
export function inkFromRgba(rgba: ArrayLike<number>, n: number): Float32Array {
  const ink = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = rgba[4 * i + 3] / 255;
    const lum = (0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2]) / 255;
    ink[i] = a * (1 - lum);
  }
  return ink;
}
