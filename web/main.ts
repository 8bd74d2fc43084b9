/**
 * The browser demo (bundled by web/build.ts into app.js). Loads the models named in
 * demo.json (or ?demo=URL), generates text with the char LM and classifies the digit,
 * with the pure TypeScript runtime — the same modules Node runs. The results are put
 * on window.__results for the e2e test, and body[data-status] says "done" or "error".
 */
import { readSparseModel, type SparseModel } from '../src/deploy/format.js';
import { createRuntime, type ClassifyResult, type GenerateResult } from '../src/deploy/runtime.js';
import type { DemoConfig } from './demo-config.js';

interface Results {
  engine: string;
  lm?: GenerateResult;
  cls?: { label: number; name?: string; probs: number[] };
}

declare global {
  interface Window { __results?: Results }
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

async function fetchModel(url: string): Promise<SparseModel> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return readSparseModel(new Uint8Array(await res.arrayBuffer()), url);
}

function describe(m: SparseModel, bytes?: number): string {
  const s = m.spec;
  let nnz = 0, total = 0;
  for (const seg of m.layout.segments) {
    if (seg.shape.length !== 2) continue;
    const g = m.groups.get(seg.name)!;
    total += seg.size;
    nnz += g.kind === 'csr' ? g.values.length : g.rows * g.cols;
  }
  return `${s.cell.toUpperCase()} ×${s.layers}, hidden ${s.hidden}, ${s.inputKind === 'tokens' ? `vocabulary ${s.inputSize}` : `${s.inputSize} features/step`}` +
    ` · ${m.values} values · ${(100 * (1 - nnz / total)).toFixed(1)}% of weights pruned${bytes ? ` · ${(bytes / 1024).toFixed(1)} KiB` : ''}` +
    (typeof m.extra.note === 'string' ? ` · ${m.extra.note}` : '');
}

function generate(m: SparseModel): GenerateResult {
  const rt = createRuntime(m);
  return rt.generate({
    prime: $<HTMLInputElement>('prime').value,
    length: Number($<HTMLInputElement>('length').value),
    temperature: Number($<HTMLInputElement>('temperature').value),
    seed: Number($<HTMLInputElement>('seed').value),
  });
}

function drawDigit(pixels: number[]): void {
  const ctx = $<HTMLCanvasElement>('digit').getContext('2d')!;
  const img = ctx.createImageData(28, 28);
  pixels.forEach((v, i) => {
    const g = 255 - Math.round(255 * Math.min(1, Math.max(0, v)));
    img.data.set([g, g, g, 255], 4 * i);
  });
  ctx.putImageData(img, 0, 0);
}

function showClass(r: ClassifyResult, labels?: string[]): void {
  const rows = Array.from(r.probs, (p, k) =>
    `<tr${k === r.label ? ' class="best"' : ''}><td>${labels?.[k] ?? k}</td><td>${p.toFixed(4)}</td>` +
    `<td class="bar"><span style="width:${Math.round(160 * p)}px"></span></td></tr>`);
  $('cls-out').innerHTML = rows.join('');
}

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const demoUrl = params.get('demo') ?? 'demo/demo.json';
  const cfg = (await (await fetch(demoUrl)).json()) as DemoConfig;
  const base = new URL(demoUrl, location.href);
  const results: Results = { engine: 'ts' };

  $<HTMLInputElement>('prime').value = cfg.lm.prime;
  $<HTMLInputElement>('length').value = String(cfg.lm.length);
  $<HTMLInputElement>('temperature').value = String(cfg.lm.temperature);
  $<HTMLInputElement>('seed').value = String(cfg.lm.seed);

  const lmBytes = await (await fetch(new URL(cfg.lm.model, base))).arrayBuffer();
  const lm = readSparseModel(new Uint8Array(lmBytes), cfg.lm.model);
  $('lm-meta').textContent = describe(lm, lmBytes.byteLength);
  results.lm = generate(lm);
  $('lm-out').textContent = cfg.lm.prime + (results.lm.text ?? results.lm.tokens.join(' '));
  $('generate').addEventListener('click', () => {
    const out = generate(lm);
    $('lm-out').textContent = $<HTMLInputElement>('prime').value + (out.text ?? out.tokens.join(' '));
  });

  const cls = await fetchModel(new URL(cfg.cls.model, base).href);
  $('cls-meta').textContent = describe(cls);
  drawDigit(cfg.cls.digit);
  const labels = Array.isArray(cls.extra.labels) ? (cls.extra.labels as string[]) : undefined;
  const c = createRuntime(cls).classify(Float32Array.from(cfg.cls.digit));
  showClass(c, labels);
  results.cls = { label: c.label, ...(c.name !== undefined ? { name: c.name } : {}), probs: Array.from(c.probs) };

  $<HTMLInputElement>('file').addEventListener('change', async (ev) => {
    const f = (ev.target as HTMLInputElement).files?.[0];
    if (!f) return;
    try {
      const m = readSparseModel(new Uint8Array(await f.arrayBuffer()), f.name);
      const rt = createRuntime(m);
      const info = describe(m, f.size);
      if (m.spec.inputKind === 'tokens' && m.spec.task === 'lm') {
        const out = generate(m);
        $('file-out').textContent = `${info}\n\n${out.text ?? out.tokens.join(' ')}`;
      } else if (m.spec.inputKind === 'vectors' && cfg.cls.digit.length % m.spec.inputSize === 0) {
        const r = rt.classify(Float32Array.from(cfg.cls.digit));
        $('file-out').textContent = `${info}\n\nclass ${r.name ?? r.label} (p = ${r.probs[r.label].toFixed(4)})`;
      } else {
        $('file-out').textContent = `${info}\n\n(loaded; this page has no input for it)`;
      }
    } catch (e) {
      $('file-out').textContent = (e as Error).message;
    }
  });

  window.__results = results;
  $('status').textContent = 'ready — everything above ran in this page';
  document.body.dataset.status = 'done';
}

main().catch((e: Error) => {
  const s = $('status');
  s.textContent = `error: ${e.message}`;
  s.className = 'error';
  document.body.dataset.status = 'error';
  console.error(e);
});
