// scripts/function-length.mjs (make test): functions in src/ over 80 lines fail unless
// the allow-list names them, and a name on the list that is no longer long fails too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const script = join(root, 'scripts', 'function-length.mjs');

// A function of n lines, signature to closing brace.
const fn = (name, n, sig = `static int ${name}(int a) {`) =>
  [sig, ...Array.from({ length: n - 2 }, (_, i) => `  a += ${i}; /* { */`), '}'].join('\n');

function tree(files, allow) {
  const dir = mkdtempSync(join(tmpdir(), 'arag-fnlen-'));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  if (allow !== undefined) {
    mkdirSync(join(dir, 'scripts'), { recursive: true });
    writeFileSync(join(dir, 'scripts', 'function-length-allow.txt'), allow);
  }
  return dir;
}

const check = (dir, ...args) => spawnSync(process.execPath, [script, '--root', dir, ...args], { encoding: 'utf8' });

test('a function of 81 lines fails, one of 80 passes; blocks that are not functions do not count', () => {
  const long = [
    '#include <stdio.h>',
    '#define BLOCK(x) \\',
    '  { x; }',
    `static const char *s = "}{";`,
    'typedef struct big {',
    ...Array.from({ length: 90 }, (_, i) => `  int f${i};`),
    '} big;',
    `static const int table[] = {`,
    ...Array.from({ length: 90 }, (_, i) => `  ${i},`),
    '};',
    fn('fits', 80),
    '/* a comment } with braces { */',
    fn('too_long', 81, 'static char *\ntoo_long(const char *s,\n         int a) {'),
  ].join('\n');
  const dir = tree({ 'src/layer/a.c': long }, '');
  try {
    const r = check(dir);
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stderr, /src\/layer\/a\.c:\d+: too_long is 83 lines \(at most 80\): split it/);
    assert.doesNotMatch(r.stderr, /fits|big|table/);
    const list = check(dir, '--list');
    assert.equal(list.status, 0);
    assert.deepEqual(list.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/)).map(([n, , name]) => [name, Number(n)]), [
      ['too_long', 83],
      ['fits', 80],
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the allow-list lets a listed long function pass and fails on a name no longer long', () => {
  const dir = tree({ 'src/a.c': `${fn('long_one', 100)}\n${fn('short_one', 10)}\n` }, '# still to split\nlong_one  # a.c\n');
  try {
    const ok = check(dir);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /1 over 80 lines, all on the allow-list/);
    writeFileSync(join(dir, 'scripts', 'function-length-allow.txt'), 'long_one\nshort_one\ngone_one\n');
    const stale = check(dir);
    assert.equal(stale.status, 1);
    assert.match(stale.stderr, /short_one is no longer over 80 lines \(or gone\): remove it from the list/);
    assert.match(stale.stderr, /gone_one is no longer over 80 lines/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
