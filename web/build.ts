/**
 * Builds the static demo page (Node): esbuild bundles web/main.ts with the TypeScript
 * runtime into app.js, index.html is copied, and models/ gets the shipped model files
 * (web/models/*.srnz, made by `npm run demo:models`), models.json (their sizes and
 * valid/test figures) and demo.json (the page's config: the models, the LM's prime and
 * sampling settings, and a held-out MNIST test digit for the pad).
 *
 *   node --import tsx web/build.ts [OUT_DIR]      (default web/dist)
 *   node --import tsx web/build.ts --serve [PORT] then open http://127.0.0.1:PORT/
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { fail, SparseRnnError } from '../src/errors.js';
import { loadMnist } from '../src/data/mnist.js';
import type { DemoConfig, DemoModelInfo } from './demo-config.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The committed model files. */
export const MODELS_DIR = path.join(HERE, 'models');

/** The LM's settings on the page. */
export const DEMO_LM = { model: 'lm.srnz', prime: 'The whale ', length: 400, temperature: 0.5, seed: 7 };

/** Test-split MNIST images (never trained on): pixels [784] in [0, 1] and labels. */
export function heldOutDigits(count: number, from = 0): { pixels: number[]; label: number }[] {
  const test = loadMnist({ limit: from + count }).test;
  const out: { pixels: number[]; label: number }[] = [];
  for (let i = from; i < from + count; i++) out.push({ pixels: Array.from(test.x.subarray(i * 784, (i + 1) * 784), (v) => Math.round(v * 1000) / 1000), label: test.y[i] });
  return out;
}

/** Copies the shipped models into dir and writes demo.json; returns the config. */
export function makeDemo(dir: string, modelsDir = MODELS_DIR): DemoConfig {
  const info = path.join(modelsDir, 'models.json');
  for (const f of ['lm.srnz', 'cls.srnz', 'models.json']) {
    if (!fs.existsSync(path.join(modelsDir, f))) fail('BAD_FILE', `${path.join(modelsDir, f)} is missing`, 'run npm run demo:models to train and export the demo models');
  }
  fs.mkdirSync(dir, { recursive: true });
  for (const f of ['lm.srnz', 'cls.srnz', 'models.json']) fs.copyFileSync(path.join(modelsDir, f), path.join(dir, f));
  const cfg: DemoConfig = {
    lm: DEMO_LM,
    cls: { model: 'cls.srnz', digit: heldOutDigits(1)[0].pixels },
    info: JSON.parse(fs.readFileSync(info, 'utf8')) as Record<'lm' | 'cls', DemoModelInfo>,
  };
  fs.writeFileSync(path.join(dir, 'demo.json'), JSON.stringify(cfg));
  return cfg;
}

/** Bundles the page into outDir (index.html, app.js, models/). */
export async function buildWeb(outDir: string, opts: { demo?: boolean; models?: string } = {}): Promise<void> {
  fs.mkdirSync(outDir, { recursive: true });
  await esbuild.build({
    entryPoints: [path.join(HERE, 'main.ts')], bundle: true, format: 'esm', platform: 'browser', target: 'es2022',
    outfile: path.join(outDir, 'app.js'), sourcemap: true, logLevel: 'silent',
  });
  fs.copyFileSync(path.join(HERE, 'index.html'), path.join(outDir, 'index.html'));
  if (opts.demo !== false) makeDemo(path.join(outDir, 'models'), opts.models);
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.map': 'application/json',
  '.json': 'application/json', '.srnz': 'application/octet-stream', '.png': 'image/png',
};

/** A tiny static server on 127.0.0.1 (port 0 = any free port). */
export function serveDir(root: string, port = 0): Promise<http.Server> {
  const rootAbs = path.resolve(root);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const file = path.resolve(rootAbs, '.' + decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname));
    if (!file.startsWith(rootAbs + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const serve = args.includes('--serve');
  const rest = args.filter((a) => a !== '--serve');
  const out = serve ? path.join(HERE, 'dist') : rest[0] ?? path.join(HERE, 'dist');
  try {
    await buildWeb(out);
  } catch (e) {
    process.stderr.write(`${e instanceof SparseRnnError ? e.toLine() : `error[BUG]: ${(e as Error).message}`}\n`);
    process.exit(1);
  }
  if (serve) {
    const server = await serveDir(out, Number(rest[0] ?? 8080));
    const addr = server.address() as { port: number };
    process.stdout.write(`serving ${out} at http://127.0.0.1:${addr.port}/ (Ctrl-C to stop)\n`);
  } else process.stdout.write(`built ${out}\n`);
}
