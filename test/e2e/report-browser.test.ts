// The study report in headless Chromium (Debian's /usr/bin/chromium via
// playwright-core): the page shows every plot as an inline SVG with drawn marks,
// logs no console errors, loads nothing from the network, and leaves a full-page
// screenshot in a temp folder (its path is printed). It is explorable: hovering a point
// or a bar shows a tooltip with that mark's values (cell, method, target, sparsity,
// mean ± interval, seeds), and the runs table sorts by a header click and filters.
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
    assert.deepEqual(sections, ['conclusions', 'glance', 'q-methods', 'q-targets', 'q-tolerance', 'q-small-dense', 'q-calibration', 'q-claims', 'sparsity', 'targets', 'gates', 'schedules', 'training', 'small-dense', 'complexity', 'runs']);
    const conclusions = await page.$$eval('ul.conclusions li', (l) => l.length);
    assert.ok(conclusions >= 5);
    assert.ok((await page.$$('table tbody tr')).length > 20, 'tables are filled');

    // Hover a point of the metric-vs-sparsity plot: the tooltip shows its values.
    const dot = page.locator('#sparsity circle[data-tip]').first();
    const want = JSON.parse((await dot.getAttribute('data-tip'))!) as [string, string][];
    await dot.scrollIntoViewIfNeeded();
    await dot.hover();
    const tip = page.locator('#tip');
    await tip.waitFor({ state: 'visible', timeout: 5000 });
    const shown = await tip.locator('tr').evaluateAll((rows) => rows.map((r) => [r.cells[0].textContent, r.cells[1].textContent]));
    assert.deepEqual(shown, want);
    const keys = shown.map(([k]) => k);
    for (const k of ['series', 'cell', 'method', 'target', 'sparsity', 'seeds', '95% interval']) assert.ok(keys.includes(k), `tooltip shows ${k}: ${JSON.stringify(shown)}`);
    assert.match(shown.find(([k]) => k.startsWith('test'))![1]!, /^[\d.]+ ± [\d.]+$/, 'mean ± half-interval');
    const tipBox = (await tip.boundingBox())!;
    assert.ok(tipBox.width > 50 && tipBox.height > 50, 'the tooltip is laid out');
    const shot2 = path.join(tmp, 'report-tooltip.png');
    await page.screenshot({ path: shot2 });
    process.stdout.write(`tooltip screenshot: ${shot2}\n`);
    // A bar too.
    const heights = await page.locator('#targets rect.bar[data-tip]').evaluateAll((bs) => bs.map((b) => b.getBoundingClientRect().height));
    const bar = page.locator('#targets rect.bar[data-tip]').nth(heights.indexOf(Math.max(...heights)));
    await bar.scrollIntoViewIfNeeded();
    await bar.hover();
    assert.ok((await tip.textContent())!.includes('seeds'), 'a bar\'s tooltip');
    await page.mouse.move(2, 2);
    await tip.waitFor({ state: 'hidden', timeout: 5000 });

    // The runs table: sort by a numeric column both ways, filter by words.
    const runs = page.locator('#runs table.data').last();
    const headers = await runs.locator('thead th').allTextContents();
    const col = headers.findIndex((h) => /^test/.test(h));
    assert.ok(col >= 0, `a test column in ${headers.join(', ')}`);
    const values = async () => (await runs.locator(`tbody tr:not([hidden]) td:nth-child(${col + 1})`).allTextContents()).map((v) => parseFloat(v.replace(/,/g, '')));
    await runs.locator('thead th').nth(col).click();
    const up = await values();
    assert.deepEqual(up.filter(Number.isFinite), [...up.filter(Number.isFinite)].sort((a, b) => a - b), 'ascending');
    await runs.locator('thead th').nth(col).click();
    const down = await values();
    assert.deepEqual(down.filter(Number.isFinite), [...down.filter(Number.isFinite)].sort((a, b) => b - a), 'descending');
    const total = await runs.locator('tbody tr').count();
    const filter = page.locator('#runs input.filter').last();
    await filter.fill('gru narang');
    const shownRows = await runs.locator('tbody tr:not([hidden])').allTextContents();
    assert.ok(shownRows.length > 0 && shownRows.length < total, `filter keeps ${shownRows.length} of ${total}`);
    for (const r of shownRows) assert.ok(/gru/i.test(r) && /narang/i.test(r), r);
    assert.match((await page.locator('#runs .count').last().textContent())!, new RegExp(`^${shownRows.length} of ${total} rows$`));

    assert.deepEqual(problems, []);
    assert.deepEqual(requests, [], 'the page loads nothing from the network');
    assert.ok(fs.statSync(shot).size > 10_000);
  } finally {
    await ctx.close();
  }
});
