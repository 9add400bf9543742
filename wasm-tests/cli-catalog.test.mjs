// arag catalog build as a shop runs it: items.jsonl (a folder or the file) to snapshot
// bytes that a recommender restores with the same results as one built from the items;
// a progress bar; a bad line named by file and line with nothing written; usage errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIST, ROOT, requireFile } from './helpers/common.mjs';
import { sampleDataSet, readJsonl } from './helpers/data.mjs';

requireFile(join(DIST, 'index.mjs'), 'run `make wasm` first');
const { createRecommender } = await import('../dist/index.mjs');
const cli = join(ROOT, 'web', 'bin', 'arag.mjs');

function arag(args) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const comparable = (out) => ({ items: out.items, degraded: out.degraded, s_user: out.trace.s_user, i0: out.trace.i0 });

test('catalog build: the snapshot recommends as the items do (f32 from the folder, int8 from the file)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'arag-catalog-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const data = sampleDataSet();
  const items = readJsonl(join(data, 'items.jsonl'));
  const users = new Map();
  for (const e of readJsonl(join(data, 'interactions.jsonl'))) {
    if (!users.has(e.user)) users.set(e.user, []);
    users.get(e.user).push({ id: e.item, ts: e.ts, kind: 'purchase' });
  }
  const histories = [...users.values()].slice(0, 5);
  for (const [dtype, from] of [['f32', data], ['int8', join(data, 'items.jsonl')]]) {
    const out = join(dir, `${dtype}.snap`);
    const r = arag(['catalog', 'build', '--data', from, '--out', out, '--dtype', dtype, '--batch', '37']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`${items.length} items \\(${dtype}, 512 dimensions\\)`));
    // The progress bar (a log line per tenth when stderr is not a terminal) ends full.
    assert.match(r.stderr, new RegExp(`\\[#{24}\\] ${items.length}/${items.length} items`));
    const bytes = readFileSync(out);
    const built = await createRecommender({ catalog: items, catalogDtype: dtype });
    assert.deepEqual(new Uint8Array(bytes), built.catalog.snapshot(), 'the same bytes as a catalog built in process');
    const restored = await createRecommender({ catalogSnapshot: bytes });
    for (const h of histories) {
      built.history.clear();
      restored.history.clear();
      built.history.add(h.slice(0, -1));
      restored.history.add(h.slice(0, -1));
      assert.deepEqual(comparable(await restored.recommend({ k: 5 })), comparable(await built.recommend({ k: 5 })));
    }
    built.free();
    restored.free();
  }
  // --quiet: no bar; a repeated id keeps the last line's item and says so.
  const file = join(dir, 'repeated.jsonl');
  writeFileSync(file, [...items.slice(0, 3), { ...items[1], title: 'Renamed' }].map((it) => JSON.stringify(it)).join('\n'));
  const r = arag(['catalog', 'build', '--data', file, '--out', join(dir, 'r.snap'), '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /3 items .*1 repeated ids, the last line of each kept/);
});

test('catalog build: a bad line is named by file and line, and nothing is written', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'arag-catalog-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const good = JSON.stringify({ id: 'a', title: 'Rose Balm' });
  const cases = [
    ['{"id":"b","title":5}', /items\.jsonl:7: .*"title" must be a string/],
    ['{"id":"b","title":"x"', /items\.jsonl:8: .*malformed JSON/], // noticed where the next line starts
    [JSON.stringify({ id: 'b', title: 'x', vector: [1, 2] }), /items\.jsonl:7: .*"vector" has 2 numbers, expected 512/],
  ];
  for (const [bad, msg] of cases) {
    const file = join(dir, 'items.jsonl');
    writeFileSync(file, [good, '', good.replace('"a"', '"c"'), '{"id":"d","title":"D"}', '{"id":"e","title":"E"}', '', bad, good].join('\n'));
    const out = join(dir, 'out.snap');
    const r = arag(['catalog', 'build', '--data', dir, '--out', out, '--batch', '3', '--quiet']);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, msg);
    assert.match(r.stderr, /nothing written/);
    assert.equal(existsSync(out), false);
  }
});

test('catalog build: usage errors exit 2 with a message', () => {
  const dir = mkdtempSync(join(tmpdir(), 'arag-catalog-cli-'));
  try {
    for (const [args, msg] of [
      [['catalog', 'build', '--out', join(dir, 'x')], /--data DIR\|ITEMS.jsonl is required/],
      [['catalog', 'build', '--data', dir], /--out FILE is required/],
      [['catalog', 'build', '--data', dir, '--out', join(dir, 'x')], /no items\.jsonl/],
      [['catalog', 'build', '--data', join(dir, 'nowhere'), '--out', join(dir, 'x')], /does not exist/],
      [['catalog', 'build', '--data', dir, '--out', join(dir, 'x'), '--dtype', 'f16'], /--dtype: expected f32 or int8/],
      [['catalog', 'build', '--data', dir, '--out', join(dir, 'x'), '--dim', '0'], /--dim: expected an integer >= 1/],
      [['catalog', 'build', '--bogus'], /Unknown option/],
      [['catalog', 'rebuild'], /unknown subcommand "rebuild"/],
    ]) {
      const r = arag(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, msg, args.join(' '));
    }
    assert.equal(arag(['catalog']).code, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('catalog build --vectorize: Vectorize\'s upload format, within its documented limits', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'arag-catalog-vz-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const items = readJsonl(join(sampleDataSet(), 'items.jsonl'));
  // One item with a long description (past 10 KiB of metadata); 5,001 lines in all.
  const long = { id: 'long-text', title: 'Serum with a very long description', text: 'Lightweight serum for dry skin. '.repeat(600) };
  const filler = Array.from({ length: 5001 - items.length - 1 }, (_, i) => ({ id: `filler-${i}`, title: `Filler product ${i}` }));
  const all = [...items, long, ...filler];
  writeFileSync(join(dir, 'items.jsonl'), `${all.map((i) => JSON.stringify(i)).join('\n')}\n`);
  const r = arag(['catalog', 'build', '--data', join(dir, 'items.jsonl'), '--out', join(dir, 'c.snap'), '--vectorize', join(dir, 'vz'), '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /5001 vectors in 2 file\(s\), the text of 1 items cut/);
  assert.match(r.stdout, /wrangler vectorize create INDEX --dimensions=512 --metric=cosine/);
  const lines = ['vectors-0001.ndjson', 'vectors-0002.ndjson'].map((f) => readFileSync(join(dir, 'vz', f), 'utf8').trimEnd().split('\n'));
  assert.deepEqual(lines.map((l) => l.length), [5000, 1], 'at most 5,000 vectors a file');
  const rows = lines.flat().map((l) => JSON.parse(l));
  assert.deepEqual(rows.map((v) => v.id), all.map((i) => i.id));
  const rec = await createRecommender({ catalogSnapshot: readFileSync(join(dir, 'c.snap')) });
  for (const v of [rows[0], rows[items.length], rows.at(-1)]) {
    assert.deepEqual(Object.keys(v).sort(), ['id', 'metadata', 'values']);
    assert.deepEqual(v.values, Array.from(rec.catalog.index.get(v.id)), 'the catalog\'s own vector');
    const m = JSON.stringify(v.metadata);
    assert.ok(Buffer.byteLength(m) <= 10240, `${v.id}: ${Buffer.byteLength(m)} bytes of metadata`);
    for (const k of Object.keys(v.metadata)) assert.ok(k && !k.includes('.') && !k.includes('"') && !k.startsWith('$'), k);
  }
  const first = rec.catalog.get(items[0].id);
  assert.deepEqual({ id: rows[0].id, ...rows[0].metadata }, first, 'the metadata: the item as the catalog gives it');
  assert.ok(rows[items.length].metadata.text.length < long.text.length && rows[items.length].metadata.text.length > 5000, 'only the text was cut, as little as needed');
  rec.free();
  // An id Vectorize cannot hold: refused by name, nothing written.
  writeFileSync(join(dir, 'bad.jsonl'), `${JSON.stringify({ id: 'x'.repeat(65), title: 'Too long an id' })}\n`);
  const bad = arag(['catalog', 'build', '--data', join(dir, 'bad.jsonl'), '--out', join(dir, 'bad.snap'), '--vectorize', join(dir, 'vz-bad'), '--quiet']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /65 bytes; Vectorize takes ids of at most 64 bytes/);
  assert.ok(!existsSync(join(dir, 'bad.snap')) && !existsSync(join(dir, 'vz-bad')), 'nothing written');
});
