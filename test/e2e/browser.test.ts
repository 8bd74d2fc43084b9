// The browser demo in headless Chromium (Debian's /usr/bin/chromium via playwright-core):
// the page loads exported sparse model files from a local http server and must produce
// exactly what Node produces for the same input and seed, log no console errors, and
// leave a screenshot (.tmp/browser-demo.png).
//
// Skips with a message when /usr/bin/chromium is absent (CI installs it:
// apt-get install -y chromium).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWeb, serveDir } from '../../web/build.js';
import type { DemoConfig } from '../../web/demo-config.js';
import { readSparseModelFile } from '../../src/deploy/file.js';
import { createRuntime } from '../../src/deploy/runtime.js';
import { createNativeRuntime, hasInferAddon } from '../../src/deploy/native-runtime.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SKIP = fs.existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent — install it with: apt-get install -y chromium`;

test('browser demo: page output equals Node for the same models, input and seed; no console errors', { skip: SKIP, timeout: 120_000 }, async () => {
  const { chromium } = await import('playwright-core');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'srnn-web-'));
  const site = path.join(tmp, 'site');
  await buildWeb(site);
  const server = await serveDir(site);
  const port = (server.address() as { port: number }).port;
  const ctx = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
    executablePath: CHROMIUM, headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const problems: string[] = [];
  try {
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForSelector('body[data-status]', { timeout: 60_000 });
    const status = await page.getAttribute('body', 'data-status');
    const got = await page.evaluate(() => window.__results);
    fs.mkdirSync(path.join(ROOT, '.tmp'), { recursive: true });
    await page.screenshot({ path: path.join(ROOT, '.tmp', 'browser-demo.png'), fullPage: true });
    assert.equal(status, 'done', `page status: ${await page.textContent('#status')}`);
    assert.deepEqual(problems, []);

    // Node, same files, same inputs.
    const cfg = JSON.parse(fs.readFileSync(path.join(site, 'demo', 'demo.json'), 'utf8')) as DemoConfig;
    const lm = readSparseModelFile(path.join(site, 'demo', cfg.lm.model));
    const want = createRuntime(lm).generate({ prime: cfg.lm.prime, length: cfg.lm.length, temperature: cfg.lm.temperature, seed: cfg.lm.seed });
    assert.ok(got?.lm, 'page produced LM output');
    assert.deepEqual(got.lm.tokens, want.tokens);
    assert.equal(got.lm.text, want.text);
    assert.equal(await page.textContent('#lm-out'), cfg.lm.prime + want.text);
    const cls = readSparseModelFile(path.join(site, 'demo', cfg.cls.model));
    const c = createRuntime(cls).classify(Float32Array.from(cfg.cls.digit));
    assert.equal(got.cls?.label, c.label);
    assert.deepEqual(got.cls?.probs, Array.from(c.probs));
    if (hasInferAddon()) {
      // The native engine samples the same tokens (its logits differ only in rounding).
      assert.deepEqual(createNativeRuntime(lm).generate({ prime: cfg.lm.prime, length: cfg.lm.length, temperature: cfg.lm.temperature, seed: cfg.lm.seed }).tokens, want.tokens);
      assert.equal(createNativeRuntime(cls).classify(Float32Array.from(cfg.cls.digit)).label, c.label);
    }
  } finally {
    await ctx.close();
    await new Promise<void>((r) => server.close(() => r()));
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
