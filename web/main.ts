/**
 * The browser page (bundled by web/build.ts into app.js). Loads the two shipped models
 * named in models/demo.json (or ?demo=URL): a pruned character LSTM that generates text
 * from a prime, and a pruned sequential-MNIST classifier fed from a drawing pad (the
 * drawing normalised as MNIST was, web/digit.ts). Shows each model's file size beside its
 * dense size, the valid/test figures measured when it was made, and the time per step
 * in this browser of the sparse runtime against the same model run dense (web/dense.ts).
 *
 * For the e2e test: window.__results (first outputs, dense/sparse agreement, timings),
 * window.__demo (draw pixels on the pad and classify, generate), and body[data-status]
 * "done" or "error".
 */
import { readSparseModel, groupNnz, type SparseModel } from '../src/deploy/format.js';
import { createRuntime, type GenerateResult, type InferenceRuntime } from '../src/deploy/runtime.js';
import type { DemoConfig, DemoModelInfo } from './demo-config.js';
import { createDenseRuntime, timePerStep } from './dense.js';
import { inkFromRgba, mnistFromInk, SIDE } from './digit.js';

interface ClsOut { label: number; probs: number[]; input: number[] }
interface Timing { sparseMs: number; denseMs: number }
interface Results {
  engine: string;
  lm?: GenerateResult;
  cls?: ClsOut;
  /** The dense runtime gave the same tokens / probabilities as the sparse one. */
  denseSame?: { lm: boolean; cls: boolean };
  timing?: { lm: Timing; cls: Timing };
}
interface DemoApi {
  /** Paints 784 MNIST pixels (0..1, row-major) onto the pad as a drawing, then classifies it as a drawing. */
  drawPixels(px: number[]): ClsOut;
  /** What the pad holds now, classified. */
  classifyPad(): ClsOut;
  generate(o: { prime: string; length: number; temperature: number; seed: number }): GenerateResult;
}

declare global {
  interface Window { __results?: Results; __demo?: DemoApi }
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const kib = (b: number) => (b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(2)} MiB` : `${(b / 1024).toFixed(1)} KiB`);

async function fetchBytes(url: URL): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url.pathname}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

function prunedShare(m: SparseModel, select: (name: string) => boolean): number {
  let nnz = 0, total = 0;
  for (const seg of m.layout.segments) {
    if (seg.shape.length !== 2 || !select(seg.name)) continue;
    total += seg.size;
    nnz += groupNnz(m.groups.get(seg.name)!);
  }
  return total ? 1 - nnz / total : 0;
}

function facts(el: HTMLElement, m: SparseModel, bytes: number, info?: DemoModelInfo): void {
  const s = m.spec;
  const dense = info?.dense_fp32_bytes ?? 4 * m.layout.segments.reduce((a, g) => a + g.size, 0);
  const rec = prunedShare(m, (n) => /^rnn\.\d+\.(ih|hh)$/.test(n));
  const all = prunedShare(m, () => true);
  const quality = !info ? '—'
    : info.metric === 'accuracy' ? `test accuracy ${(100 * info.test).toFixed(2)}% · valid ${(100 * info.valid).toFixed(2)}%`
      : `test ${info.test.toFixed(3)} bits/char · valid ${info.valid.toFixed(3)} bits/char`;
  const rows: [string, string][] = [
    ['model', `${s.cell.toUpperCase()}${s.layers > 1 ? ` ×${s.layers}` : ''}, hidden ${s.hidden}, ${s.inputKind === 'tokens' ? `vocabulary ${s.inputSize}` : `${s.inputSize} features per step`}${info ? ` — ${info.about}` : ''}`],
    ['pruned', `${(100 * rec).toFixed(1)}% of ih + hh, ${(100 * all).toFixed(1)}% of all weights`],
    ['file', `<b>${kib(bytes)}</b> (${m.values} values) · dense fp32 ${kib(dense)} · ${(100 * bytes / dense).toFixed(1)}% of dense`],
    ['quality', `${quality}${info ? ' (this file, on the data set\'s held-out splits)' : ''}`],
    ['per step here', '<span class="timing">measuring…</span>'],
  ];
  el.innerHTML = rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('');
}

function showTiming(el: HTMLElement, t: Timing): void {
  const span = el.querySelector('.timing')!;
  const us = (ms: number) => (ms < 1 ? `${(1000 * ms).toFixed(1)} µs` : `${ms.toFixed(2)} ms`);
  span.innerHTML = `sparse <b>${us(t.sparseMs)}</b> · same model dense ${us(t.denseMs)} · <span class="fast">${(t.denseMs / t.sparseMs).toFixed(1)}× faster</span>`;
}

// ------------------------------------------------------------------ digits

function drawSeen(px: ArrayLike<number>): void {
  const ctx = $<HTMLCanvasElement>('seen').getContext('2d')!;
  const img = ctx.createImageData(SIDE, SIDE);
  for (let i = 0; i < SIDE * SIDE; i++) {
    const g = 255 - Math.round(255 * Math.min(1, Math.max(0, px[i])));
    img.data.set([g, g, g, 255], 4 * i);
  }
  ctx.putImageData(img, 0, 0);
}

function showProbs(out: ClsOut, labels?: string[]): void {
  $('cls-out').innerHTML = out.probs.map((p, k) =>
    `<tr${k === out.label ? ' class="best"' : ''}><td>${labels?.[k] ?? k}</td><td>${p.toFixed(3)}</td>` +
    `<td class="bar"><span style="width:${Math.round(160 * p)}px"></span></td></tr>`).join('');
}

function setupPad(classify: (input: Float32Array) => ClsOut, labels?: string[]): DemoApi['drawPixels'] & { read: () => ClsOut } {
  const pad = $<HTMLCanvasElement>('pad');
  const ctx = pad.getContext('2d', { willReadFrequently: true })!;
  const clear = () => { ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, pad.width, pad.height); };
  clear();
  const read = (): ClsOut => {
    const { data } = ctx.getImageData(0, 0, pad.width, pad.height);
    const input = mnistFromInk(inkFromRgba(data, pad.width * pad.height), pad.width, pad.height);
    drawSeen(input);
    const out = classify(input);
    showProbs(out, labels);
    return out;
  };
  let drawing = false, last: [number, number] | null = null, queued = false;
  const pos = (e: PointerEvent): [number, number] => {
    const r = pad.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * pad.width, ((e.clientY - r.top) / r.height) * pad.height];
  };
  const stroke = (p: [number, number]) => {
    ctx.strokeStyle = '#000';
    ctx.lineWidth = 20;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(...(last ?? p));
    ctx.lineTo(...p);
    ctx.stroke();
    last = p;
    if (!queued) { queued = true; requestAnimationFrame(() => { queued = false; read(); }); }
  };
  pad.addEventListener('pointerdown', (e) => { drawing = true; last = null; pad.setPointerCapture(e.pointerId); stroke(pos(e)); });
  pad.addEventListener('pointermove', (e) => { if (drawing) stroke(pos(e)); });
  const end = () => { if (drawing) { drawing = false; last = null; read(); } };
  pad.addEventListener('pointerup', end);
  pad.addEventListener('pointercancel', end);
  $('clear').addEventListener('click', () => { clear(); read(); });
  const drawPixels = (px: number[]): ClsOut => {
    // The 28 × 28 image as ink on a small canvas, scaled up smoothly onto the pad.
    const small = document.createElement('canvas');
    small.width = SIDE;
    small.height = SIDE;
    const sctx = small.getContext('2d')!;
    const img = sctx.createImageData(SIDE, SIDE);
    for (let i = 0; i < SIDE * SIDE; i++) {
      const g = 255 - Math.round(255 * Math.min(1, Math.max(0, px[i])));
      img.data.set([g, g, g, 255], 4 * i);
    }
    sctx.putImageData(img, 0, 0);
    clear();
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(small, 0, 0, pad.width, pad.height);
    return read();
  };
  return Object.assign(drawPixels, { read });
}

// ------------------------------------------------------------------ text

function generate(rt: InferenceRuntime, o: { prime: string; length: number; temperature: number; seed: number }): GenerateResult {
  return rt.generate({ prime: o.prime, length: o.length, temperature: o.temperature, seed: o.seed });
}

function lmForm(): { prime: string; length: number; temperature: number; seed: number } {
  return {
    prime: $<HTMLInputElement>('prime').value,
    length: Number($<HTMLInputElement>('length').value),
    temperature: Number($<HTMLInputElement>('temperature').value),
    seed: Number($<HTMLInputElement>('seed').value),
  };
}

const sameArrays = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.from(a).every((v, i) => Object.is(v, b[i]));

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const demoUrl = new URL(params.get('demo') ?? 'models/demo.json', location.href);
  const res = await fetch(demoUrl);
  if (!res.ok) throw new Error(`${demoUrl.pathname}: HTTP ${res.status}`);
  const cfg = (await res.json()) as DemoConfig;
  const results: Results = { engine: 'ts' };

  // Classifier and pad.
  const clsBytes = await fetchBytes(new URL(cfg.cls.model, demoUrl));
  const cls = readSparseModel(clsBytes, cfg.cls.model);
  const clsRt = createRuntime(cls);
  facts($('cls-facts'), cls, clsBytes.length, cfg.info?.cls);
  const labels = Array.isArray(cls.extra.labels) ? (cls.extra.labels as string[]) : undefined;
  const classify = (input: Float32Array): ClsOut => {
    const c = clsRt.classify(input);
    return { label: c.label, probs: Array.from(c.probs), input: Array.from(input) };
  };
  const pad = setupPad(classify, labels);
  results.cls = pad(cfg.cls.digit);

  // Language model.
  const lmBytes = await fetchBytes(new URL(cfg.lm.model, demoUrl));
  const lm = readSparseModel(lmBytes, cfg.lm.model);
  const lmRt = createRuntime(lm);
  facts($('lm-facts'), lm, lmBytes.length, cfg.info?.lm);
  $<HTMLInputElement>('prime').value = cfg.lm.prime;
  $<HTMLInputElement>('length').value = String(cfg.lm.length);
  $<HTMLInputElement>('temperature').value = String(cfg.lm.temperature);
  $<HTMLInputElement>('seed').value = String(cfg.lm.seed);
  const show = (prime: string, out: GenerateResult) => { $('lm-out').textContent = prime + (out.text ?? out.tokens.join(' ')); };
  results.lm = generate(lmRt, cfg.lm);
  show(cfg.lm.prime, results.lm);
  $('generate').addEventListener('click', () => { const o = lmForm(); show(o.prime, generate(lmRt, o)); });

  $<HTMLInputElement>('file').addEventListener('change', async (ev) => {
    const f = (ev.target as HTMLInputElement).files?.[0];
    if (!f) return;
    try {
      const m = readSparseModel(new Uint8Array(await f.arrayBuffer()), f.name);
      const rt = createRuntime(m);
      const info = `${m.spec.cell.toUpperCase()} ×${m.spec.layers}, hidden ${m.spec.hidden} · ${m.values} values · ` +
        `${(100 * prunedShare(m, () => true)).toFixed(1)}% of weights pruned · ${kib(f.size)}`;
      if (m.spec.inputKind === 'tokens' && m.spec.task === 'lm') {
        const out = generate(rt, lmForm());
        $('file-out').textContent = `${info}\n\n${out.text ?? out.tokens.join(' ')}`;
      } else if (m.spec.inputKind === 'vectors' && (SIDE * SIDE) % m.spec.inputSize === 0) {
        const r = rt.classify(Float32Array.from(pad.read().input));
        $('file-out').textContent = `${info}\n\nthe drawing: class ${r.name ?? r.label} (p = ${r.probs[r.label].toFixed(4)})`;
      } else {
        $('file-out').textContent = `${info}\n\n(loaded; this page has no input for it)`;
      }
    } catch (e) {
      $('file-out').textContent = (e as Error).message;
    }
  });

  window.__demo = { drawPixels: (px) => pad(px), classifyPad: () => pad.read(), generate: (o) => generate(lmRt, o) };
  $('status').textContent = 'models loaded; timing the sparse and dense runtimes…';
  await new Promise((r) => setTimeout(r, 0));

  // The same models run dense: same outputs, and the time per step of each.
  const lmDense = createDenseRuntime(lm);
  const clsDense = createDenseRuntime(cls);
  results.denseSame = {
    lm: sameArrays(generate(lmDense, cfg.lm).tokens, results.lm.tokens),
    cls: sameArrays(clsDense.classify(Float32Array.from(results.cls.input)).probs, results.cls.probs),
  };
  const vocab = (lm.extra.vocab as string[] | undefined) ?? [];
  const ids = Array.from(cfg.lm.prime + (results.lm.text ?? ''), (ch) => Math.max(0, vocab.indexOf(ch)));
  const lmIn = (t: number) => ids[t % ids.length];
  const rows = Array.from({ length: SIDE }, (_, r) => Float32Array.from(results.cls!.input.slice(r * SIDE, (r + 1) * SIDE)));
  const clsIn = (t: number) => rows[t % SIDE];
  const time = (a: InferenceRuntime, b: InferenceRuntime, input: (t: number) => number | Float32Array): Timing => {
    // Interleaved, so a busy moment costs both alike.
    const s: number[] = [], d: number[] = [];
    for (let i = 0; i < 3; i++) { s.push(timePerStep(a, input, 3)); d.push(timePerStep(b, input, 3)); }
    const med = (v: number[]) => v.sort((x, y) => x - y)[1];
    return { sparseMs: med(s), denseMs: med(d) };
  };
  results.timing = { cls: time(clsRt, clsDense, clsIn), lm: time(lmRt, lmDense, lmIn) };
  showTiming($('cls-facts'), results.timing.cls);
  showTiming($('lm-facts'), results.timing.lm);

  window.__results = results;
  $('status').textContent = 'ready — everything on this page ran in this browser';
  document.body.dataset.status = 'done';
}

main().catch((e: Error) => {
  const s = $('status');
  s.textContent = `error: ${e.message}`;
  s.className = 'error';
  document.body.dataset.status = 'error';
  console.error(e);
});
