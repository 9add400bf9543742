// The arag command line as a user meets it: --help and --version on every command, unknown
// commands, the data set from --data or $ARAG_DATA_ROOT only, output folders created.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'web', 'bin', 'arag.mjs');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

function arag(args, env = {}, cwd = root) {
  const e = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete e[k];
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, env: e, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// The commands `arag help` lists.
function commands() {
  const r = arag(['help']);
  assert.equal(r.code, 0, r.stderr);
  const names = [...r.stdout.matchAll(/^ {2}(\w+) /gm)].map((m) => m[1]);
  assert.ok(names.includes('eval') && names.includes('tune') && names.includes('help'), r.stdout);
  return names;
}

// The tiny fixture data set, written to a folder.
function tinyData(dir) {
  mkdirSync(dir, { recursive: true });
  const files = JSON.parse(readFileSync(join(root, 'wasm-tests', 'fixtures', 'eval-tiny.json'), 'utf8'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

test('--version and -V print the package version, at the top and on every command', () => {
  for (const args of [['--version'], ['-V'], ...commands().flatMap((c) => [[c, '--version'], [c, '-V']])]) {
    const r = arag(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, `arag ${version}\n`, args.join(' '));
    assert.equal(r.stderr, '');
  }
});

test('--help and -h print usage, at the top and on every command; help COMMAND says the same', () => {
  const top = arag(['--help']);
  assert.equal(top.code, 0);
  assert.match(top.stdout, /^usage: arag COMMAND/);
  assert.equal(arag(['-h']).stdout, top.stdout);
  assert.equal(arag([]).stdout, top.stdout);
  for (const c of commands()) {
    const r = arag([c, '--help']);
    assert.equal(r.code, 0, `${c}: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`^usage: arag ${c}\\b`));
    assert.equal(arag([c, '-h']).stdout, r.stdout);
    assert.equal(arag(['help', c]).stdout, r.stdout);
  }
});

test('an unknown command or option exits 2 with a message naming it', () => {
  const u = arag(['evaluate']);
  assert.equal(u.code, 2);
  assert.equal(u.stdout, '');
  assert.equal(u.stderr, 'arag: unknown command "evaluate" (try: arag help)\n');
  const o = arag(['eval', '--bogus']);
  assert.equal(o.code, 2);
  assert.match(o.stderr, /^arag eval: .*'--bogus'/);
});

test('the data set comes from --data or $ARAG_DATA_ROOT, never from a folder of the package', () => {
  const dir = mkdtempSync(join(tmpdir(), 'arag-cli-'));
  try {
    for (const c of ['eval', 'tune']) {
      const r = arag([c, '--users', '1'], { ARAG_DATA_ROOT: undefined });
      assert.equal(r.code, 2, `${c}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^arag ${c}: --data DIR is required .* or set ARAG_DATA_ROOT`));
    }
    // $ARAG_DATA_ROOT/amazon-beauty when --data is not given: here a folder without data,
    // so the error names the path under the root.
    const r = arag(['eval', '--quiet', '--methods', 'recency'], { ARAG_DATA_ROOT: dir });
    assert.equal(r.code, 1);
    assert.ok(r.stderr.includes(join(dir, 'amazon-beauty')), r.stderr);
    tinyData(join(dir, 'amazon-beauty'));
    const ok = arag(['eval', '--quiet', '--methods', 'recency,rag', '--resamples', '10'], { ARAG_DATA_ROOT: dir });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /\| rag \|/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('output files go into folders that do not exist yet (eval --json/--md/--svg/--ranks, tune --json)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'arag-cli-'));
  try {
    const data = tinyData(join(dir, 'shop'));
    const out = (name) => join(dir, 'out', 'deeper', name);
    const e = arag(['eval', '--quiet', '--data', data, '--methods', 'recency,rag', '--resamples', '10',
      '--json', out('e.json'), '--md', out('e.md'), '--svg', out('e.svg'), '--ranks', out('ranks.jsonl')], {}, dir);
    assert.equal(e.code, 0, e.stderr);
    assert.deepEqual(Object.keys(JSON.parse(readFileSync(out('e.json'), 'utf8')).methods), ['recency', 'rag']);
    for (const f of ['e.md', 'e.svg', 'ranks.jsonl']) assert.ok(readFileSync(out(f), 'utf8').length > 0, f);
    assert.ok(!existsSync(out('e.json.checkpoint.jsonl')), 'the checkpoint of a complete run is removed');
    const t = arag(['tune', '--quiet', '--data', data, '--rounds', '1', '--json', join(dir, 'tune-out', 't.json')], {}, dir);
    assert.equal(t.code, 0, t.stderr);
    assert.ok(JSON.parse(readFileSync(join(dir, 'tune-out', 't.json'), 'utf8')).trials.length > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
