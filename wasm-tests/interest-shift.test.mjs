// Interest shifts: a shopper looks at 10 products of one category, then at 3 of another;
// with the storefront defaults at least half of every shelf of 6 follows the new
// interest, on the sample catalog and on amazon-beauty (every ordered pair of its
// categories, two shoppers each), and the shelf follows it less with the shift off
// (reasoner.shift 0). The trace tells the shift.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DIST, requireFile } from './helpers/common.mjs';
import { dataSet, needData, sampleDataSet } from './helpers/data.mjs';
import { shiftScenarios, shiftShoppers, topicLevel } from '../web/src/eval/interest-shift.mjs';

requireFile(join(DIST, 'index.mjs'), 'run `make wasm` first');
const { createRecommender } = await import('../dist/index.mjs');

test('the scripted shoppers: 10 events of one category, then 3 of another', () => {
  const items = [];
  for (const c of ['A', 'B', 'C'])
    for (let i = 0; i < 14; i++) items.push({ id: `${c}${i}`, title: `${c} ${i}`, categories: ['Root', c] });
  items.push({ id: 'few', title: 'Few', categories: ['Root', 'D'] });
  assert.equal(topicLevel(items), 2);
  assert.equal(topicLevel([{ categories: ['A'] }, { categories: ['B'] }]), 1);
  const { shoppers } = shiftShoppers(items, { draws: 1 });
  assert.equal(shoppers.length, 6); // ordered pairs of A, B, C; D has too few items
  for (const s of shoppers) {
    assert.equal(s.events.length, 13);
    assert.ok(s.events.slice(0, 10).every((e) => e.id.startsWith(s.from.split(' > ')[1])));
    assert.ok(s.events.slice(10).every((e) => e.id.startsWith(s.to.split(' > ')[1])));
    assert.equal(new Set(s.events.map((e) => e.id)).size, 13);
  }
  assert.deepEqual(shiftShoppers(items, { draws: 1 }).shoppers, shiftShoppers(items, { draws: 1 }).shoppers, 'seeded');
});

test('the trace tells the shift and the older events\' weight', async () => {
  const catalog = [];
  for (let i = 0; i < 12; i++) catalog.push({ id: `s${i}`, title: `Serum ${i}`, categories: ['Skin Care', 'Serums'] });
  for (let i = 0; i < 12; i++) catalog.push({ id: `t${i}`, title: `Tent ${i}`, categories: ['Outdoor', 'Camping'] });
  const rec = await createRecommender({ catalog });
  try {
    for (let i = 0; i < 10; i++) rec.history.add({ id: `s${i}`, ts: i });
    let r = await rec.recommend({ k: 4 });
    assert.deepEqual(r.trace.context.shift, { share: 0, run: 0, older_weight: 1 }); // one category: no topics apart
    for (let i = 0; i < 3; i++) rec.history.add({ id: `t${i}`, ts: 10 + i });
    r = await rec.recommend({ k: 4 });
    assert.deepEqual(r.trace.context.shift, { share: 1, run: 3, older_weight: 0.25 });
    r = await rec.recommend({ k: 4, config: { reasoner: { shift: 0 } } });
    assert.deepEqual(r.trace.context.shift, { share: 1, run: 3, older_weight: 1 });
  } finally {
    rec.free();
  }
});

const SETS = [
  ['the sample catalog', () => sampleDataSet(), { skip: false }],
  ['amazon-beauty', () => dataSet('amazon-beauty'), needData('amazon-beauty')],
];
for (const [name, dir, opts] of SETS) {
  test(`${name}: at least half of every shelf follows the new interest`, opts, async () => {
    const on = await shiftScenarios({ data: dir(), dist: DIST });
    const off = await shiftScenarios({ data: dir(), dist: DIST, config: { reasoner: { shift: 0 } } });
    assert.ok(on.scenarios >= 20, `${on.scenarios} scenarios`);
    assert.equal(on.half_new, 1, `shelves with at least half in the new category: ${JSON.stringify(on)}`);
    assert.ok(on.share_new > off.share_new + 0.2, `the shift moves the shelf: ${on.share_new} vs ${off.share_new} without`);
    assert.ok(off.half_new < 1, `without the shift some shelves stay with the older interest: ${JSON.stringify(off)}`);
  });
}
