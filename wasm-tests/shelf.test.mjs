// The shelf's rules from JS: on by default, settings per engine and per request, refused
// when wrong; the catalog's "group" and "repeat_purchase"; and what a shopper sees on the
// sample data set: no variant twice, nothing just bought again, no brand over half the
// shelf when others are in reach, measured by the reason checker against the shelf with
// the rules off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DIST, requireFile } from './helpers/common.mjs';
import { readJsonl, sampleDataSet } from './helpers/data.mjs';
import { checkReasons } from '../web/src/eval/check-reasons.mjs';

requireFile(join(DIST, 'index.mjs'), 'run `make wasm` first');
const { createRecommender, AragError } = await import('../dist/index.mjs');

const CATALOG = [
  { id: 'c8', title: 'Bramble Curl Cream 8 oz', brand: 'Bramble', categories: ['Hair', 'Styling'] },
  { id: 'c4', title: 'Bramble Curl Cream 4 oz', brand: 'Bramble', categories: ['Hair', 'Styling'] },
  { id: 'c2', title: 'Bramble Curl Cream 4 oz, Pack of 2', brand: 'Bramble', categories: ['Hair', 'Styling'] },
  { id: 'rf', title: 'Bramble Curl Cream Refill Pouch', brand: 'Bramble', categories: ['Hair', 'Styling'], group: 'bramble-refill', repeat_purchase: true },
  { id: 'gl', title: 'Bramble Curl Gel', brand: 'Bramble', categories: ['Hair', 'Styling'] },
  { id: 'ss', title: 'Wavelet Sea Salt Spray', brand: 'Wavelet', categories: ['Hair', 'Styling'] },
  { id: 'mo', title: 'Wavelet Curl Mousse', brand: 'Wavelet', categories: ['Hair', 'Styling'] },
];

test('on by default, per request off, settings checked', async () => {
  const rec = await createRecommender({ catalog: CATALOG });
  try {
    assert.deepEqual(rec.config.shelf, { one_per_family: true, hide_bought_variants: true, max_brand_share: 0.5, brand_reach: 8, size: 0 });
    rec.history.add({ id: 'c8', ts: 1, kind: 'purchase' });
    const candidates = ['c4', 'c2', 'rf', 'gl', 'ss', 'mo'];
    const on = await rec.recommend({ candidates, k: 4 });
    const shelf = on.items.map((i) => i.id);
    // No other size of the cream just bought; the refill is a repeat purchase.
    assert.ok(!shelf.includes('c4') && !shelf.includes('c2'), shelf.join());
    assert.ok(shelf.includes('rf'), shelf.join());
    assert.equal(shelf.filter((id) => CATALOG.find((c) => c.id === id).brand === 'Bramble').length, 2, shelf.join());
    assert.equal(on.items.length, 4, 'a full shelf');
    const off = await rec.recommend({ candidates, k: 4, config: { shelf: false } });
    assert.equal(off.trace.config.shelf.one_per_family, false);
    const offShelf = off.items.map((i) => i.id);
    assert.ok(offShelf.includes('c4') || offShelf.includes('c2'), `the ranker alone shows a size of it: ${offShelf}`);
    for (const [cfg, key] of [[{ shelf: { max_brand_share: 0 } }, 'shelf.max_brand_share'], [{ shelf: 'yes' }, 'shelf'], [{ shelf: { colour: 1 } }, 'shelf.colour']]) {
      await assert.rejects(rec.recommend({ candidates, config: cfg }), (e) => e instanceof AragError && e.code === 'ARAG_E_INVALID' && e.message.includes(key));
    }
    assert.equal(rec.sessions, 0);
  } finally {
    rec.free();
  }
  const engineWide = await createRecommender({ catalog: CATALOG, config: { shelf: { max_brand_share: 1, size: 3 } } });
  assert.equal(engineWide.config.shelf.max_brand_share, 1);
  assert.equal(engineWide.config.shelf.size, 3);
  assert.equal(engineWide.config.shelf.one_per_family, true);
  engineWide.free();
  await assert.rejects(createRecommender({ config: { shelf: { brand_reach: 0 } } }), (e) => e.code === 'ARAG_E_INVALID');
});

test('the catalog keeps group and repeat_purchase; wrong types are refused', async () => {
  const rec = await createRecommender({ catalog: CATALOG });
  try {
    const rf = rec.catalog.handle.get('rf');
    assert.equal(rf.group, 'bramble-refill');
    assert.equal(rf.repeat_purchase, true);
    assert.equal(rec.catalog.handle.get('c4').group, undefined);
    assert.throws(() => rec.catalog.add({ id: 'x', title: 'X', group: 7 }), (e) => e.code === 'ARAG_E_JSON' && /group/.test(e.message));
    assert.throws(() => rec.catalog.add({ id: 'x', title: 'X', repeat_purchase: 'yes' }), (e) => e.code === 'ARAG_E_JSON' && /repeat_purchase/.test(e.message));
    assert.equal(rec.catalog.count, CATALOG.length);
  } finally {
    rec.free();
  }
});

test('the sample data set: no variant twice, nothing just bought again, brands within half', async () => {
  const dist = DIST;
  const on = await checkReasons({ data: sampleDataSet(), dist, k: 6 });
  const off = await checkReasons({ data: sampleDataSet(), dist, k: 6, config: { shelf: false } });
  assert.equal(on.false_claims, 0);
  assert.ok(off.shelf.variant_duplicate_share > 0.05, `the ranker alone repeats variants: ${off.shelf.variant_duplicate_share}`);
  assert.ok(on.shelf.variant_duplicate_share <= 0.01, `with the rules: ${on.shelf.variant_duplicate_share}`);
  assert.ok(on.shelf.shelves_over_half_one_brand < off.shelf.shelves_over_half_one_brand, JSON.stringify([on.shelf, off.shelf]));
  assert.ok(on.shelf.largest_brand_share <= 0.55, `largest brand share ${on.shelf.largest_brand_share}`);
  // The sample catalog's items are the same in the data set as in the demo.
  assert.ok(readJsonl(join(sampleDataSet(), 'items.jsonl')).length > 200);
});
