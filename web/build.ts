/**
 * Builds the static demo page (Node): esbuild bundles web/main.ts with the TypeScript
 * runtime into app.js, index.html is copied, and demo/ gets two sparse model files
 * (random weights pruned by magnitude — swap in your own exports) and demo.json.
 *
 *   node --import tsx web/build.ts [OUT_DIR]      (default web/dist)
 *   node --import tsx web/build.ts --serve [PORT] then open http://127.0.0.1:PORT/
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { defaultSpec } from '../src/model/spec.js';
import { randomPrunedModel } from '../src/deploy/random.js';
import { writeSparseModel } from '../src/deploy/format.js';
import type { DemoConfig } from './demo-config.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

const RANDOM_NOTE = 'random weights pruned by magnitude, untrained: load a trained export below';

export const DEMO_VOCAB = [...' abcdefghijklmnopqrstuvwxyz.,\''];

/** A 28×28 "7" drawn with two strokes, row-major, values in [0, 1]. */
export function syntheticDigit(): number[] {
  const segs = [[6, 6, 21, 6], [21, 6, 12, 23], [10, 14, 18, 14]];
  const px: number[] = [];
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      let d = Infinity;
      for (const [x0, y0, x1, y1] of segs) {
        const dx = x1 - x0, dy = y1 - y0;
        const t = Math.max(0, Math.min(1, ((x - x0) * dx + (y - y0) * dy) / (dx * dx + dy * dy)));
        d = Math.min(d, Math.hypot(x - x0 - t * dx, y - y0 - t * dy));
      }
      px.push(Math.round(Math.max(0, Math.min(1, 1.6 - d)) * 1000) / 1000);
    }
  }
  return px;
}

/** Writes demo/lm.srnz, demo/cls.srnz and demo/demo.json under dir; returns the config. */
export function makeDemo(dir: string): DemoConfig {
  fs.mkdirSync(dir, { recursive: true });
  const V = DEMO_VOCAB.length;
  const lmSpec = defaultSpec({ cell: 'lstm', inputSize: V, outputSize: V, hidden: 128, embedDim: 32 });
  const lm = randomPrunedModel(lmSpec, 0.9, 11);
  fs.writeFileSync(path.join(dir, 'lm.srnz'), writeSparseModel(lmSpec, lm.layout, lm.params, lm.mask, { values: 'fp16', extra: { vocab: DEMO_VOCAB, note: RANDOM_NOTE } }));
  const clsSpec = defaultSpec({ cell: 'gru', inputKind: 'vectors', inputSize: 28, outputSize: 10, hidden: 64, task: 'classify' });
  const cls = randomPrunedModel(clsSpec, 0.8, 12);
  fs.writeFileSync(path.join(dir, 'cls.srnz'), writeSparseModel(clsSpec, cls.layout, cls.params, cls.mask, {
    values: 'int8', extra: { note: RANDOM_NOTE, labels: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] },
  }));
  const cfg: DemoConfig = {
    lm: { model: 'lm.srnz', prime: 'the sea ', length: 120, temperature: 0.8, seed: 7 },
    cls: { model: 'cls.srnz', digit: syntheticDigit() },
  };
  fs.writeFileSync(path.join(dir, 'demo.json'), JSON.stringify(cfg));
  return cfg;
}

/** Bundles the page into outDir (index.html, app.js, demo/). */
export async function buildWeb(outDir: string, opts: { demo?: boolean } = {}): Promise<void> {
  fs.mkdirSync(outDir, { recursive: true });
  await esbuild.build({
    entryPoints: [path.join(HERE, 'main.ts')], bundle: true, format: 'esm', platform: 'browser', target: 'es2022',
    outfile: path.join(outDir, 'app.js'), sourcemap: true, logLevel: 'silent',
  });
  fs.copyFileSync(path.join(HERE, 'index.html'), path.join(outDir, 'index.html'));
  if (opts.demo !== false) makeDemo(path.join(outDir, 'demo'));
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
  await buildWeb(out);
  if (serve) {
    const server = await serveDir(out, Number(rest[0] ?? 8080));
    const addr = server.address() as { port: number };
    process.stdout.write(`serving ${out} at http://127.0.0.1:${addr.port}/ (Ctrl-C to stop)\n`);
  } else process.stdout.write(`built ${out}\n`);
}
