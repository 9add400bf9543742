// Reasons a shopper reads: rendered from evidence by the package's renderReason (the same
// sentences the offline reasoner writes), saying only what the evidence says; every claim
// of every recommended item on the sample data set checks out against the data, and the
// checker does catch a claim that is false.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { DIST, ROOT, requireFile } from './helpers/common.mjs';
import { dataSet, needData, sampleDataSet } from './helpers/data.mjs';
import { loadDataset } from '../web/src/eval/data.mjs';
import { popularityCounts, relatedCounts, withPopularity } from '../web/src/eval/baselines.mjs';

requireFile(join(DIST, 'index.mjs'), 'run `make wasm` first');
const { createArag, createRecommender, renderReason, reasonSentences } = await import('../dist/index.mjs');
import { CatalogFacts } from '../web/src/eval/catalog-facts.mjs';
import { candidateIds, checkReasons, claimProblem, claimsOf, contextOf } from '../web/src/eval/check-reasons.mjs';

test('reasonSentences: one plain sentence per piece of evidence, in order', () => {
  const ev = [
    { kind: 'repeat', items: ['x'], bought: 2 },
    { kind: 'bought_together', items: ['h1'], title: 'Wide Tooth Comb', count: 12 },
    { kind: 'title_words', items: ['h2'], title: 'Curl Creme, 8 oz', words: ['Curl', 'Creme', 'Rich'] },
    { kind: 'brand', items: ['h2', 'h3'], brand: 'Bumble and Bumble' },
    { kind: 'category', items: ['h4'], title: 'Sea Salt Spray', path: ['Beauty', 'Hair Care', 'Styling'] },
    { kind: 'price', items: ['h2', 'h3'], price: 26, low: 9.5, high: 28 },
    { kind: 'popular', items: [], popularity: 50 },
    { kind: 'text_words', items: ['h5'], title: 'Night Cream', words: ['retinol'] },
  ];
  assert.deepEqual(reasonSentences(ev), [
    'You bought this 2 times before.',
    'Shoppers bought it together with your Wide Tooth Comb.',
    'Shares "Curl", "Creme" and "Rich" with your Curl Creme, 8 oz.',
    'From Bumble and Bumble, like 2 of your items.',
    'In Styling, like your Sea Salt Spray.',
    'Priced like your items, from 9.50 to 28.',
    'Popular with other shoppers.',
    'Mentions "retinol", like your Night Cream.',
  ]);
  assert.equal(renderReason({ evidence: ev }), 'You bought this 2 times before. Shoppers bought it together with your Wide Tooth Comb.');
  assert.equal(renderReason({ evidence: ev }, { sentences: 1 }), 'You bought this 2 times before.');
  // A shop's own price format for the range.
  const usd = (v) => `$${v.toFixed(2)}`;
  assert.equal(reasonSentences([ev[5]], { formatPrice: usd })[0], 'Priced like your items, from $9.50 to $28.00.');
  assert.equal(renderReason({ evidence: [ev[5], ev[6]] }, { formatPrice: (v) => `${v} €` }), 'Priced like your items, from 9.5 € to 28 €. Popular with other shoppers.');
  assert.equal(reasonSentences([{ kind: 'repeat', items: ['x'], bought: 1 }])[0], 'You bought this before.');
  assert.equal(reasonSentences([{ kind: 'repeat', items: ['x'], bought: 0 }])[0], 'You have seen this before.');
  // A brand or category resting on one item a sentence already named is not said again.
  const twice = [
    { kind: 'title_words', items: ['h1'], title: 'Curl Creme', words: ['Curl'] },
    { kind: 'brand', items: ['h1'], title: 'Curl Creme', brand: 'Acme' },
    { kind: 'category', items: ['h1', 'h2'], path: ['Beauty', 'Hair'] },
  ];
  assert.equal(renderReason({ evidence: twice }), 'Shares "Curl" with your Curl Creme. In Hair, like 2 of your items.');
  // No evidence, unknown kinds, junk: no sentence, no throw.
  assert.equal(renderReason({}), '');
  assert.equal(renderReason(null), '');
  assert.deepEqual(reasonSentences([{ kind: 'mystery', items: [] }, null, 7, 'x']), []);
  assert.deepEqual(reasonSentences('not a list'), []);
});

// Recommendations for the first n users of a data set (the catalog with popularity and
// bought-together lists counted from the histories, as arag eval gives it).
async function recommendAll(dir, { users = 80, k = 6, config = {} } = {}) {
  const arag = await createArag({ kind: 'emscripten' });
  const data = await loadDataset(dir);
  const items = withPopularity(data.items, popularityCounts(data.users), relatedCounts(data.users)).map((it) => JSON.parse(it.json));
  const rec = await createRecommender({ arag, catalog: items, config });
  const out = [];
  try {
    for (const u of data.users.slice(0, users)) {
      const history = u.history.map((e) => ({ id: e.item, ts: e.ts, kind: 'purchase' }));
      rec.history.clear();
      rec.history.add(history);
      out.push({ user: u.user, history, res: await rec.recommend({ k }) });
    }
  } finally {
    rec.free();
  }
  return { items, out };
}

test('the offline reason is renderReason of its evidence, in plain words', async () => {
  const { out } = await recommendAll(sampleDataSet());
  let withEvidence = 0;
  for (const { res } of out) {
    for (const it of res.items) {
      assert.ok(Array.isArray(it.evidence), `${it.id} carries evidence`);
      assert.equal(it.reason, renderReason(it), `${it.id}: the reason says its evidence`);
      if (it.evidence.length) withEvidence++;
      // No internal numbers or terms: no scores, overlaps or weights.
      assert.doesNotMatch(it.reason, /\b(score|overlap|weight)\b|\(0\.\d+\)|first \d+ words/i);
    }
  }
  assert.ok(withEvidence > out.length * 3, `most items have evidence (${withEvidence})`);
});

test('check-reasons: no false claim on the sample data set (every user)', async () => {
  const r = await checkReasons({ data: sampleDataSet(), dist: DIST, k: 6 });
  assert.ok(r.users >= 500 && r.claims > r.users * 6, `${r.users} users, ${r.claims} claims`);
  assert.equal(r.false_claims, 0, JSON.stringify(r.examples.slice(0, 3), null, 1));
  assert.equal(r.reasons_unlike_evidence, 0);
  for (const kind of ['brand', 'category', 'title_words', 'bought_together', 'price', 'popular']) {
    assert.ok(r.by_kind[kind] && r.by_kind[kind].claims > 0, `claims of kind ${kind}`);
  }
});

for (const name of ['amazon-beauty', 'amazon-office']) {
  test(`check-reasons: no false claim on ${name} (every user)`, needData(name), async () => {
    const r = await checkReasons({ data: dataSet(name), dist: DIST, k: 6 });
    assert.equal(r.users, 2000);
    assert.ok(r.claims > 30000, `${r.claims} claims`);
    assert.equal(r.false_claims, 0, JSON.stringify(r.examples.slice(0, 3), null, 1));
    assert.equal(r.reasons_unlike_evidence, 0);
  });
}

test('the checker catches a false claim of every kind', async () => {
  const dir = sampleDataSet();
  const { items, out } = await recommendAll(dir, { users: 60 });
  const facts = new CatalogFacts(items);
  const byKind = new Map();
  let ctxOf = null;
  for (const { history, res } of out) {
    const ctx = contextOf(res, history, facts);
    assert.ok(ctx.ok);
    for (const it of res.items)
      for (const c of claimsOf(it, ctx)) if (!byKind.has(c.kind)) byKind.set(c.kind, { c, it, ctx, res });
    ctxOf = ctxOf || ctx;
  }
  const check = (kind, change) => {
    const got = byKind.get(kind);
    assert.ok(got, `a claim of kind ${kind} to tamper with`);
    const { c, it, ctx, res } = got;
    assert.equal(claimProblem(c, it, ctx, facts, candidateIds(res)), null, `${kind} holds as written`);
    const bad = change(structuredClone(c), ctx);
    assert.notEqual(claimProblem(bad, it, ctx, facts, candidateIds(res)), null, `${kind}: ${JSON.stringify(bad)} caught`);
  };
  const other = (ctx, not) => ctx.events.map((e) => e.id).find((id) => !not.includes(id));
  check('brand', (c) => ({ ...c, brand: 'Nonesuch' }));
  check('brand', (c) => ({ ...c, items: [...c.items, c.items[0]] })); // an item counted twice
  check('brand', (c) => ({ ...c, items: c.items.slice(1).concat(['not-in-history']) }));
  check('category', (c) => ({ ...c, path: [...c.path.slice(0, -1), 'Somewhere Else'] }));
  check('category', (c, ctx) => ({ ...c, items: c.items.length > 1 ? c.items.slice(1) : [...c.items, other(ctx, c.items)] }));
  check('title_words', (c) => ({ ...c, words: [...c.words, 'zeppelin'] }));
  check('title_words', (c) => ({ ...c, title: 'A Title Nobody Wrote' }));
  check('bought_together', (c) => ({ ...c, count: c.count + 1 }));
  check('price', (c) => ({ ...c, low: c.low - 1 }));
  check('popular', (c) => ({ ...c, popularity: c.popularity + 1 }));
  // The reason text of the module before evidence: a category the item is not in.
  const { it, ctx } = byKind.get('category');
  const wrongPath = facts.byId.get(it.id).categories.slice(0, -1).concat(['Elsewhere']).join(' > ');
  const legacy = claimsOf({ id: it.id, reason: `matches your category ${wrongPath}` }, ctx);
  assert.equal(legacy.length, 1);
  assert.notEqual(claimProblem(legacy[0], it, ctx, facts, []), null);
  const unread = claimsOf({ id: it.id, reason: 'a shiny new sentence' }, ctx);
  assert.equal(unread[0].kind, 'unread');
});

test('arag check-reasons: the report, --json, exit 0 without a false claim', () => {
  const cli = join(ROOT, 'web', 'bin', 'arag.mjs');
  const json = join(ROOT, 'build', 'check-reasons-test.json');
  const r = spawnSync(process.execPath, [cli, 'check-reasons', '--data', sampleDataSet(), '--users', '40', '--quiet', '--json', json], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /40 users, 240 items \(k 6\), \d+ claims, 0 false \(0\.00%\)/);
  assert.match(r.stdout, /shelf: variant duplicates [\d.]+% of places, largest brand [\d.]+% of a shelf/);
  const bad = spawnSync(process.execPath, [cli, 'check-reasons', '--data', sampleDataSet(), '--k', '0'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--k: expected an integer >= 1/);
});
