/**
 * The package's entry points (package.json "exports"): `sparse-rnn` is the library
 * core, `sparse-rnn/cli` the commands, `sparse-rnn/bench` the benchmarks and
 * `sparse-rnn/runtime` browser-safe inference. Each maps to a source entry; the core
 * carries no command or benchmark; the runtime's import graph reaches no Node built-in.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const root = process.cwd();
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  name: string; main: string; exports: Record<string, string | { types: string; default: string }>;
};
const SOURCES: Record<string, string> = { '.': 'src/index.ts', './cli': 'src/cli/index.ts', './bench': 'src/bench/index.ts', './runtime': 'src/runtime.ts' };

test('every export subpath points at the compiled form of its source entry', () => {
  assert.deepEqual(Object.keys(pkg.exports).sort(), [...Object.keys(SOURCES), './package.json'].sort());
  for (const [sub, src] of Object.entries(SOURCES)) {
    const e = pkg.exports[sub] as { types: string; default: string };
    const js = `./dist/${src.replace(/\.ts$/, '.js')}`;
    assert.equal(e.default, js, sub);
    assert.equal(e.types, js.replace(/\.js$/, '.d.ts'), sub);
    assert.ok(fs.existsSync(path.join(root, src)), src);
  }
  assert.equal(`./${pkg.main}`, (pkg.exports['.'] as { default: string }).default, 'main and "." agree');
});

test('the core exports the library, not the command line or the benchmarks', async () => {
  const core = await import('../../src/index.js');
  const names = Object.keys(core);
  assert.deepEqual(names.filter((n) => /Command$|^cli$|^bench|^runAnchor$/.test(n)), []);
  for (const n of ['train', 'createPruner', 'accountModel', 'readSparseModel', 'runStudy', 'writeReport', 'metricsFromSums', 'summarizeSample'])
    assert.ok(names.includes(n), n);
  assert.ok(!names.includes('summarize'), 'no bare "summarize": metricsFromSums and summarizeSample say which');
});

test('cli and bench entries carry the commands and the benchmarks', async () => {
  const cli = await import('../../src/cli/index.js');
  for (const n of ['cli', 'trainCommand', 'pruneCommand', 'benchCommand', 'studyCommand', 'reportCommand', 'exportCommand', 'evaluateCommand'])
    assert.equal(typeof (cli as Record<string, unknown>)[n], 'function', n);
  const { COMMANDS } = await import('../../src/cli/main.js');
  const exported = new Set(Object.values(cli));
  for (const [name, c] of Object.entries(COMMANDS))
    assert.ok(exported.has(await c.load()), `sparse-rnn ${name}: its function is exported by sparse-rnn/cli`);
  const bench = await import('../../src/bench/index.js');
  for (const n of ['benchTrain', 'benchInfer', 'runAnchor', 'pytorchAvailable'])
    assert.equal(typeof (bench as Record<string, unknown>)[n], 'function', n);
  assert.ok(bench.BENCH_CONFIGS.length >= 4);
});

test('the runtime entry imports no Node built-in, directly or through its imports', () => {
  const seen = new Set<string>();
  const walk = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)) {
      const spec = m[1];
      assert.ok(spec.startsWith('.'), `${path.relative(root, file)} imports ${spec}`);
      walk(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')));
    }
  };
  walk(path.join(root, SOURCES['./runtime']));
  assert.ok(seen.size > 3, `walked ${seen.size} files`);
});

test('the subpaths resolve through the package name (compiled dist/)', async (t) => {
  const built = Object.values(SOURCES).every((s) => fs.existsSync(path.join(root, 'dist', s.replace(/\.ts$/, '.js'))));
  if (!built) { t.skip('dist/ is not built (npm install or npx tsc -p tsconfig.json builds it)'); return; }
  const cli = await import(`${pkg.name}/cli`);
  assert.equal(typeof cli.studyCommand, 'function');
  const runtime = await import(`${pkg.name}/runtime`);
  assert.equal(typeof runtime.createRuntime, 'function');
  const core = await import(pkg.name);
  assert.equal(typeof core.train, 'function');
  assert.equal(core.trainCommand, undefined);
});
