/**
 * The README's picture and figures of the browser page: builds the page with the shipped
 * models, opens it in headless Chromium (Debian's /usr/bin/chromium), saves a screenshot
 * and prints, as Markdown, what the page shows — each model's file size beside its dense
 * size, its held-out figure, the time per step in this Chromium of the sparse runtime
 * against the same model run dense — and two checks made through the page: held-out
 * MNIST test digits drawn onto the pad, and the share of dictionary words (of Moby Dick)
 * in the LM's text at temperature 0.5.
 *
 *   node --import tsx web/screenshot.ts [PNG]     (default docs/web-demo.png)
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mobyDickText } from '../src/data/mobydick.js';
import { heldOutDigits } from './build.js';
import { CHROMIUM, openDemo } from './chromium.js';
import type { DemoConfig } from './demo-config.js';
import { dictionaryRate, wordsOf } from './words.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = path.resolve(process.argv[2] ?? path.join(ROOT, 'docs', 'web-demo.png'));
  if (!fs.existsSync(CHROMIUM)) {
    process.stderr.write(`error[BAD_FILE]: ${CHROMIUM} is absent (hint: apt-get install -y chromium)\n`);
    process.exit(1);
  }
  const o = await openDemo({ width: 1000, height: 900 });
  try {
    const { page } = o;
    if ((await page.getAttribute('body', 'data-status')) !== 'done' || o.problems.length) {
      throw new Error(`page: ${await page.textContent('#status')} ${o.problems.join('; ')}`);
    }
    fs.mkdirSync(path.dirname(out), { recursive: true });
    await page.screenshot({ path: out, fullPage: true });
    const r = (await page.evaluate(() => window.__results))!;
    const cfg = JSON.parse(fs.readFileSync(path.join(o.site, 'models', 'demo.json'), 'utf8')) as DemoConfig;

    // Held-out digits drawn onto the pad (test split, never trained on).
    const digits = heldOutDigits(100);
    let right10 = 0, right100 = 0;
    for (const [i, d] of digits.entries()) {
      const c = await page.evaluate((px) => window.__demo!.drawPixels(px), d.pixels);
      if (c.label === d.label) { right100++; if (i < 10) right10++; }
    }
    // Dictionary words at temperature 0.5.
    const dict = new Set(wordsOf(mobyDickText().text));
    let words = 0, known = 0;
    for (const seed of [1, 2, 3]) {
      const g = await page.evaluate((s) => window.__demo!.generate({ prime: 'The whale ', length: 600, temperature: 0.5, seed: s }), seed);
      const d = dictionaryRate(g.text ?? '', dict);
      words += d.words;
      known += d.known;
    }
    const ua = await page.evaluate(() => navigator.userAgent.match(/Chrome\/[\d.]+/)?.[0] ?? navigator.userAgent);
    const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
    const us = (ms: number) => `${(1000 * ms).toFixed(1)} µs`;
    const rows = (['cls', 'lm'] as const).map((k) => {
      const m = cfg.info![k]!;
      const t = r.timing![k];
      const q = m.metric === 'accuracy' ? `test accuracy ${(100 * m.test).toFixed(2)}% (valid ${(100 * m.valid).toFixed(2)}%)` : `test ${m.test.toFixed(3)} bpc (valid ${m.valid.toFixed(3)})`;
      return `| ${m.about}, ${m.cell.toUpperCase()} ${m.hidden} | ${(100 * m.sparsity_ih_hh).toFixed(1)}% | ${kib(m.bytes)} (${m.values}) | ${kib(m.dense_fp32_bytes)} | ${q} | ${us(t.sparseMs)} | ${us(t.denseMs)} | ${(t.denseMs / t.sparseMs).toFixed(1)}× |`;
    });
    process.stdout.write([
      `screenshot: ${path.relative(ROOT, out)} (${ua}, headless)`,
      '',
      '| model | ih + hh pruned | file | dense fp32 | held-out | per step, sparse | same model dense | speed-up |',
      '|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
      `held-out MNIST test digits drawn onto the pad: ${right10}/10 (first 10), ${right100}/100 (first 100)`,
      `LM at temperature 0.5 (prime "The whale ", 3 × 600 characters, seeds 1–3): ${known}/${words} = ${(100 * known / words).toFixed(1)}% of words are words of Moby Dick`,
      '',
    ].join('\n'));
  } finally {
    await o.close();
  }
}
