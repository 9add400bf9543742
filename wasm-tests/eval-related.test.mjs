// The evaluation's "related" lists: co-occurrence within 3 positions of a history,
// counted for both items, top N by count (ties: id order), targets never seen.
import test from 'node:test';
import assert from 'node:assert/strict';
import { relatedCounts, withPopularity } from '../web/src/eval/baselines.mjs';

const hist = (...ids) => ({ history: ids.map((item) => ({ item })) });

test('pairs within the window, both ways, repeats skipped', () => {
  const r = relatedCounts([hist('a', 'b', 'c', 'd', 'e'), hist('b', 'a', 'a')]);
  // a-b: adjacent in user 1, and twice in user 2 (b,a and b,_,a); a-a never counts.
  assert.deepEqual(r.get('a'), [['b', 3], ['c', 1], ['d', 1]]);
  assert.deepEqual(r.get('b'), [['a', 3], ['c', 1], ['d', 1], ['e', 1]]);
  // a and e are 4 positions apart: no pair.
  assert.ok(!r.get('e').some(([id]) => id === 'a'));
  assert.deepEqual(r.get('e'), [['b', 1], ['c', 1], ['d', 1]]);
});

test('window and top N, ties by id order', () => {
  const r = relatedCounts([hist('x', 'q', 'p', 'r')], 1, 2);
  assert.deepEqual(r.get('q'), [['p', 1], ['x', 1]]);
  const r2 = relatedCounts([hist('x', 'q', 'p', 'r')], 3, 2);
  assert.deepEqual(r2.get('x'), [['p', 1], ['q', 1]]);
});

test('catalog lines get the lists; items without any get none, given ones are replaced', () => {
  const items = [
    { id: 'a', json: JSON.stringify({ id: 'a', title: 'A', related: { zz: 9 } }) },
    { id: 'z', json: JSON.stringify({ id: 'z', title: 'Z', related: { zz: 9 } }) },
  ];
  const out = withPopularity(items, new Map([['a', 2]]), relatedCounts([hist('a', 'b')]));
  assert.deepEqual(JSON.parse(out[0].json).related, { b: 1 });
  assert.equal(JSON.parse(out[0].json).popularity, 2);
  assert.equal(JSON.parse(out[1].json).related, undefined);
  // Without lists, a line keeps what it had (popularity only is replaced).
  assert.deepEqual(JSON.parse(withPopularity(items, new Map())[0].json).related, { zz: 9 });
});

test('by default an item keeps as many partners as a catalog item may carry, and the catalog takes it', async () => {
  // 'h' sits next to 70 partners; p00..p09 twice, so they are its 10 most frequent.
  const ids = Array.from({ length: 70 }, (_, i) => `p${String(i).padStart(2, '0')}`);
  const users = ids.map((p) => hist('h', p)).concat(ids.slice(0, 10).map((p) => hist(p, 'h')));
  const list = relatedCounts(users).get('h');
  assert.equal(list.length, 64);
  assert.deepEqual(list.slice(0, 10).map(([id, n]) => [id, n]), ids.slice(0, 10).map((id) => [id, 2]));
  assert.deepEqual(list.at(-1), ['p63', 1]);
  const items = ['h', ...ids].map((id) => ({ id, json: JSON.stringify({ id, title: `item ${id}` }) }));
  const lines = withPopularity(items, new Map(), relatedCounts(users));
  const { createArag } = await import('../dist/index.mjs');
  const arag = await createArag();
  const cat = arag.createCatalog({ dim: 64 });
  assert.equal(cat.add(lines.map((l) => l.json).join('\n')), 71);
  // One more partner than the limit is refused, so the default is the largest list that loads.
  const over = JSON.parse(lines[0].json);
  over.related.extra = 1;
  assert.throws(() => cat.add(JSON.stringify({ ...over, id: 'h2' })), /over the limit of 64/);
  cat.free();
});
