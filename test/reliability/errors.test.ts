// Only errors from the native addon print as NATIVE; any other unexpected error is a BUG
// line (one line, a hint, no stack trace unless SPARSE_RNN_DEBUG is set).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { printUnexpected } from '../../src/cli/main.js';
import { addonCall } from '../../src/errors.js';
import { native } from '../../src/engine/native.js';

function stderrOf(f: () => void): string {
  const err: string[] = [];
  const ew = process.stderr.write.bind(process.stderr);
  (process.stderr as { write: unknown }).write = (s: string) => { err.push(String(s)); return true; };
  try { f(); } finally { (process.stderr as { write: unknown }).write = ew; }
  return err.join('');
}

test('NATIVE only for the addon; a JavaScript TypeError or RangeError is a BUG', () => {
  let fromAddon: unknown;
  try { native().setThreads(-5); } catch (e) { fromAddon = e; }
  assert.ok(fromAddon instanceof RangeError || fromAddon instanceof TypeError, 'the addon rejects a bad argument');
  const a = stderrOf(() => assert.equal(printUnexpected(fromAddon), 1));
  assert.match(a, /^error\[NATIVE\]: (RangeError|TypeError): .+ \(hint: .+\)\n$/);
  const b = stderrOf(() => printUnexpected(new RangeError('Invalid typed array length: 4000000000')));
  assert.match(b, /^error\[BUG\]: RangeError: Invalid typed array length: 4000000000 \(hint: this is a bug in sparse-rnn; .+\)\n$/);
  const c = stderrOf(() => printUnexpected(new TypeError("Cannot read properties of undefined (reading 'x')")));
  assert.match(c, /^error\[BUG\]: TypeError: /);
  // addonCall marks, and rethrows the same object.
  const e = new TypeError('x');
  assert.throws(() => addonCall(() => { throw e; }), (got: unknown) => got === e);
  assert.match(stderrOf(() => printUnexpected(e)), /^error\[NATIVE\]/);
});
