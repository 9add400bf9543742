// The sample data set (scripts/sample-data.mjs): deterministic, in the common format the
// loaders accept, with the structure its comment promises; and the data helper's skip
// when a real data set is absent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSampleData, writeSampleData } from '../scripts/sample-data.mjs';
import { makeCatalog } from '../web/demo/make-catalog.mjs';
import { loadDataset } from '../web/src/eval/data.mjs';
import { ROOT } from './helpers/common.mjs';

const run = promisify(execFile);

test('deterministic, and the CLI writes the same bytes as the module', async () => {
  assert.deepEqual(makeSampleData(), makeSampleData());
  assert.notDeepEqual(makeSampleData({ seed: 2 }).interactions, makeSampleData().interactions);
  const dir = mkdtempSync(join(tmpdir(), 'arag-sample-'));
  try {
    await run(process.execPath, [join(ROOT, 'scripts/sample-data.mjs'), '--out', join(dir, 'a')]);
    writeSampleData(join(dir, 'b'));
    for (const f of ['items.jsonl', 'interactions.jsonl']) {
      assert.equal(readFileSync(join(dir, 'a', f), 'utf8'), readFileSync(join(dir, 'b', f), 'utf8'), f);
    }
    const bad = await run(process.execPath, [join(ROOT, 'scripts/sample-data.mjs'), '--out', join(dir, 'c'), '--users', '0']).catch((e) => e);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--users must be a positive integer/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the evaluation loader reads it: the demo catalog, every shopper eligible, time-ordered', async () => {
  const ds = await loadDataset(writeSampleData());
  const { items } = makeCatalog();
  assert.equal(ds.name, 'sample-shop');
  assert.equal(ds.items.length, items.length);
  assert.equal(ds.users.length, 600);
  assert.equal(ds.allUsers, 600);
  for (const u of ds.users) {
    const ts = [...u.history, u.target].map((e) => e.ts);
    assert.deepEqual(ts, [...ts].sort((a, b) => a - b));
    assert.equal(new Set([...u.history, u.target].map((e) => e.item)).size, ts.length, 'no item twice in one sequence');
  }
});

test('structure a recommender can learn: brands, categories, bought-together, new arrivals', () => {
  const { items, interactions } = makeSampleData();
  const byId = new Map(items.map((it) => [it.id, it]));
  const seqs = new Map();
  for (const e of interactions) (seqs.get(e.user) || seqs.set(e.user, []).get(e.user)).push(byId.get(e.item));
  let pairs = 0;
  let sameBrand = 0;
  let sameCat = 0;
  let nextLine = 0;
  for (const seq of seqs.values()) {
    for (let i = 1; i < seq.length; i++) {
      pairs++;
      if (seq[i].brand === seq[i - 1].brand) sameBrand++;
      if (seq[i].categories[0] === seq[i - 1].categories[0]) {
        sameCat++;
        if (seq[i].brand === seq[i - 1].brand && seq[i].categories[1] !== seq[i - 1].categories[1]) nextLine++;
      }
    }
  }
  // 24 brands and 8 categories: by chance a pair would share them 1/24 and 1/8 of the time.
  assert.ok(sameBrand / pairs > 0.4, `same brand ${sameBrand / pairs}`);
  assert.ok(sameCat / pairs > 0.6, `same category ${sameCat / pairs}`);
  assert.ok(nextLine / pairs > 0.25, `the same brand's other line ${nextLine / pairs}`);
  // New arrivals are only ever a shopper's latest purchase.
  const fresh = new Set(items.slice(-24).map((it) => it.id));
  let last = 0;
  for (const seq of seqs.values()) {
    seq.slice(0, -1).forEach((it) => assert.ok(!fresh.has(it.id), `${it.id} bought before the end`));
    if (fresh.has(seq[seq.length - 1].id)) last++;
  }
  assert.ok(last > 50, `${last} shoppers ended on a new arrival`);
});

test('data helper: a missing real data set is a skip with the reason, not a failure', async () => {
  const code = `const d = await import(${JSON.stringify(join(ROOT, 'wasm-tests/helpers/data.mjs'))});
    console.log(JSON.stringify({ root: d.DATA_ROOT, set: d.dataSet('amazon-beauty'), need: d.needData('amazon-beauty', 'amazon-office') }));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], { env: { ...process.env, ARAG_DATA_ROOT: '/nonexistent-arag-data' } });
  const out = JSON.parse(stdout);
  assert.equal(out.root, '/nonexistent-arag-data');
  assert.equal(out.set, null);
  assert.match(out.need.skip, /^needs the amazon-beauty and amazon-office data sets, not found under \/nonexistent-arag-data \(set ARAG_DATA_ROOT/);
});
