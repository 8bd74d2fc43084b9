/**
 * Opens the built page in headless Chromium (Debian's /usr/bin/chromium via
 * playwright-core, never a downloaded browser): used by the e2e test and by
 * web/screenshot.ts. Node-only.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type http from 'node:http';
import { buildWeb, serveDir } from './build.js';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface OpenPage {
  // playwright-core's Page (typed loosely so this file needs no type import at load time)
  page: import('playwright-core').Page;
  site: string;
  url: string;
  problems: string[];
  close(): Promise<void>;
}

/** Builds the site into a temp folder, serves it on 127.0.0.1 and opens it; waits for body[data-status]. */
export async function openDemo(viewport = { width: 1100, height: 900 }, models?: string): Promise<OpenPage> {
  const { chromium } = await import('playwright-core');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'srnn-web-'));
  const site = path.join(tmp, 'site');
  await buildWeb(site, { models });
  const server: http.Server = await serveDir(site);
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  const ctx = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport,
  });
  const problems: string[] = [];
  const close = async () => {
    await ctx.close();
    await new Promise<void>((r) => server.close(() => r()));
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  try {
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('request', (r) => { if (!r.url().startsWith(url)) problems.push(`request outside the site: ${r.url()}`); });
    await page.goto(url);
    await page.waitForSelector('body[data-status]', { timeout: 120_000 });
    return { page, site, url, problems, close };
  } catch (e) {
    await close();
    throw e;
  }
}
