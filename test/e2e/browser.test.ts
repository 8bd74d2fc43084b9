// The browser page in headless Chromium (Debian's /usr/bin/chromium via playwright-core),
// with the shipped models (web/models/, made by `npm run demo:models`):
//  - the page's outputs equal Node's for the same files, inputs and seed (sparse TS
//    runtime; the native engine samples the same tokens), and the same models run dense
//    give the same outputs; no console errors, no request outside the local site;
//  - the classifier is right on at least 9 of 10 held-out MNIST test digits rendered onto
//    the drawing pad (normalised by the page as MNIST was), and a "1" drawn with the mouse
//    is read as 1;
//  - the LM's text sampled at temperature 0.5 is mostly dictionary words of Moby Dick
//    (the measured rate is printed; the bar is 75%);
//  - the file picker loads an .srnz and runs it; a broken file is one message.
// Leaves a screenshot at .tmp/browser-demo.png.
//
// Skips with a message when /usr/bin/chromium is absent (CI installs it:
// apt-get install -y chromium).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DemoConfig } from '../../web/demo-config.js';
import { heldOutDigits } from '../../web/build.js';
import { CHROMIUM, openDemo, type OpenPage } from '../../web/chromium.js';
import { dictionaryRate, wordsOf } from '../../web/words.js';
import { readSparseModelFile } from '../../src/deploy/file.js';
import { createRuntime } from '../../src/deploy/runtime.js';
import { createNativeRuntime, hasInferAddon } from '../../src/deploy/native-runtime.js';
import { mobyDickText } from '../../src/data/mobydick.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SKIP = fs.existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent — install it with: apt-get install -y chromium`;

describe('browser page with the shipped models', { skip: SKIP, timeout: 300_000 }, () => {
  let o: OpenPage;
  let cfg: DemoConfig;
  before(async () => {
    o = await openDemo();
    cfg = JSON.parse(fs.readFileSync(path.join(o.site, 'models', 'demo.json'), 'utf8')) as DemoConfig;
  });
  after(async () => { await o?.close(); });

  test('page output equals Node for the same models, input and seed; dense gives the same; no console errors', async () => {
    const { page } = o;
    const status = await page.getAttribute('body', 'data-status');
    const got = await page.evaluate(() => window.__results);
    fs.mkdirSync(path.join(ROOT, '.tmp'), { recursive: true });
    await page.screenshot({ path: path.join(ROOT, '.tmp', 'browser-demo.png'), fullPage: true });
    assert.equal(status, 'done', `page status: ${await page.textContent('#status')}`);
    assert.deepEqual(o.problems, []);

    const lm = readSparseModelFile(path.join(o.site, 'models', cfg.lm.model));
    const want = createRuntime(lm).generate({ prime: cfg.lm.prime, length: cfg.lm.length, temperature: cfg.lm.temperature, seed: cfg.lm.seed });
    assert.ok(got?.lm, 'page produced LM output');
    assert.deepEqual(got.lm.tokens, want.tokens);
    assert.equal(got.lm.text, want.text);
    assert.equal(await page.textContent('#lm-out'), cfg.lm.prime + want.text);

    const cls = readSparseModelFile(path.join(o.site, 'models', cfg.cls.model));
    assert.equal(got.cls?.input.length, 784);
    const c = createRuntime(cls).classify(Float32Array.from(got.cls!.input));
    assert.equal(got.cls?.label, c.label);
    assert.deepEqual(got.cls?.probs, Array.from(c.probs));
    assert.deepEqual(got.denseSame, { lm: true, cls: true }, 'the dense runtime gives the sparse runtime\'s outputs');
    for (const t of [got.timing!.lm, got.timing!.cls]) assert.ok(t.sparseMs > 0 && t.denseMs > 0 && Number.isFinite(t.sparseMs / t.denseMs));
    process.stdout.write(`per step in Chromium: LM sparse ${(1000 * got.timing!.lm.sparseMs).toFixed(1)} µs, dense ${(1000 * got.timing!.lm.denseMs).toFixed(1)} µs; ` +
      `classifier sparse ${(1000 * got.timing!.cls.sparseMs).toFixed(1)} µs, dense ${(1000 * got.timing!.cls.denseMs).toFixed(1)} µs\n`);
    // The page shows the size beside the dense size and the held-out figures.
    const facts = await page.textContent('#cls-facts');
    assert.match(facts ?? '', /KiB \((fp16|int8) values\) · dense fp32 [\d.]+ (KiB|MiB)/);
    assert.match(facts ?? '', /test accuracy \d+\.\d+%/);
    assert.match((await page.textContent('#lm-facts')) ?? '', /test \d\.\d+ bits\/char/);
    if (hasInferAddon()) {
      assert.deepEqual(createNativeRuntime(lm).generate({ prime: cfg.lm.prime, length: cfg.lm.length, temperature: cfg.lm.temperature, seed: cfg.lm.seed }).tokens, want.tokens);
      assert.equal(createNativeRuntime(cls).classify(Float32Array.from(got.cls!.input)).label, c.label);
    }
  });

  test('the classifier reads at least 9 of 10 held-out MNIST digits drawn onto the pad', async () => {
    const cls = createRuntime(readSparseModelFile(path.join(o.site, 'models', cfg.cls.model)));
    const digits = heldOutDigits(10);
    let right = 0;
    const seen: string[] = [];
    for (const d of digits) {
      const out = await o.page.evaluate((px) => window.__demo!.drawPixels(px), d.pixels);
      // Node, on what the page read off its canvas: the same probabilities.
      assert.deepEqual(out.probs, Array.from(cls.classify(Float32Array.from(out.input)).probs));
      if (out.label === d.label) right++;
      seen.push(`${d.label}→${out.label}`);
    }
    process.stdout.write(`held-out digits on the pad: ${right}/10 right (${seen.join(' ')})\n`);
    assert.ok(right >= 9, `only ${right} of 10 right: ${seen.join(' ')}`);
    assert.deepEqual(o.problems, []);
  });

  test('a 1 drawn with the mouse is read as 1, live', async () => {
    const { page } = o;
    await page.click('#clear');
    const box = (await page.locator('#pad').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.52, box.y + box.height * 0.15);
    await page.mouse.down();
    for (let i = 1; i <= 12; i++) await page.mouse.move(box.x + box.width * (0.52 - 0.006 * i), box.y + box.height * (0.15 + 0.058 * i));
    await page.mouse.up();
    const out = await page.evaluate(() => window.__demo!.classifyPad());
    const best = await page.textContent('#cls-out tr.best td');
    assert.ok(out.input.some((v) => v > 0.5), 'the stroke reached the model\'s input');
    assert.equal(out.label, 1, `probabilities ${out.probs.map((p) => p.toFixed(3)).join(' ')}`);
    assert.equal(best, '1', 'the table marks the class');
  });

  test('your own .srnz: the file picker loads it and runs it on the page\'s inputs', async () => {
    const { page } = o;
    await page.setInputFiles('#file', path.join(o.site, 'models', cfg.cls.model));
    await page.waitForFunction(() => (document.getElementById('file-out')?.textContent ?? '').includes('the drawing: class'), undefined, { timeout: 10_000 });
    assert.match((await page.textContent('#file-out'))!, /^GRU ×1, hidden 128 · fp16 values · [\d.]+% of weights pruned · [\d.]+ KiB\n\nthe drawing: class \d \(p = [\d.]+\)$/);
    await page.setInputFiles('#file', { name: 'broken.srnz', mimeType: 'application/octet-stream', buffer: Buffer.from('not a model') });
    await page.waitForFunction(() => !(document.getElementById('file-out')?.textContent ?? '').includes('the drawing'), undefined, { timeout: 10_000 });
    assert.match((await page.textContent('#file-out'))!, /broken\.srnz/, 'a bad file is named in one message');
    assert.deepEqual(o.problems, []);
  });

  test('the LM at temperature 0.5 writes mostly Moby Dick words', async () => {
    const dict = new Set(wordsOf(mobyDickText().text));
    let words = 0, known = 0;
    const samples: string[] = [];
    for (const seed of [1, 2, 3]) {
      const out = await o.page.evaluate((s) => window.__demo!.generate({ prime: 'The whale ', length: 600, temperature: 0.5, seed: s }), seed);
      const r = dictionaryRate(out.text ?? '', dict);
      words += r.words;
      known += r.known;
      samples.push(out.text ?? '');
    }
    const rate = known / words;
    process.stdout.write(`LM words at temperature 0.5: ${known}/${words} = ${(100 * rate).toFixed(1)}% are words of Moby Dick\nsample: ${samples[0].slice(0, 200)}\n`);
    assert.ok(words > 150, `too few words: ${words}`);
    assert.ok(rate >= 0.75, `only ${(100 * rate).toFixed(1)}% dictionary words`);
  });
});
