// The study report in headless Chromium (Debian's /usr/bin/chromium via
// playwright-core): the page shows every plot as an inline SVG with drawn marks,
// logs no console errors, loads nothing from the network, and leaves a full-page
// screenshot in a temp folder (its path is printed).
//
// Skips with a message when /usr/bin/chromium is absent (CI installs it:
// apt-get install -y chromium).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeFixtureStudy } from '../../src/report/fixture.js';
import { writeReport } from '../../src/report/index.js';

const CHROMIUM = '/usr/bin/chromium';
const SKIP = fs.existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent — install it with: apt-get install -y chromium`;

test('report.html in Chromium: plots present, no console errors, no network', { skip: SKIP, timeout: 120_000 }, async () => {
  const { chromium } = await import('playwright-core');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'srnn-report-browser-'));
  const study = path.join(tmp, 'study');
  writeFixtureStudy(study);
  const files = await writeReport(study, { png: false });
  const ctx = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
    executablePath: CHROMIUM, headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const problems: string[] = [];
  const requests: string[] = [];
  try {
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
    await page.goto(pathToFileURL(files.html).href, { waitUntil: 'load' });
    const figures = await page.$$eval('figure', (fs2) => fs2.map((f) => {
      const svg = f.querySelector('svg');
      const box = svg?.getBoundingClientRect();
      return {
        id: f.id,
        svg: !!svg,
        width: box?.width ?? 0,
        height: box?.height ?? 0,
        marks: svg ? svg.querySelectorAll('path.line, rect.bar, polygon.band, circle').length : 0,
        caption: f.querySelector('figcaption')?.textContent ?? '',
      };
    }));
    const shot = path.join(tmp, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    process.stdout.write(`report screenshot: ${shot}\n`);
    assert.equal(figures.length, 14, 'every plot of the fixture report is on the page');
    for (const f of figures) {
      assert.ok(f.svg, `${f.id} has an inline svg`);
      assert.ok(f.width > 200 && f.height > 150, `${f.id} is laid out (${f.width}×${f.height})`);
      assert.ok(f.marks > 0, `${f.id} draws lines, bars or bands`);
      assert.ok(f.caption.length > 20, `${f.id} has a caption`);
    }
    const sections = await page.$$eval('section', (s) => s.map((x) => x.id));
    assert.deepEqual(sections, ['conclusions', 'sparsity', 'targets', 'gates', 'schedules', 'training', 'small-dense', 'complexity', 'runs']);
    const conclusions = await page.$$eval('ul.conclusions li', (l) => l.length);
    assert.ok(conclusions >= 5);
    assert.ok((await page.$$('table tbody tr')).length > 20, 'tables are filled');
    assert.deepEqual(problems, []);
    assert.deepEqual(requests, [], 'the page loads nothing from the network');
    assert.ok(fs.statSync(shot).size > 10_000);
  } finally {
    await ctx.close();
  }
});
