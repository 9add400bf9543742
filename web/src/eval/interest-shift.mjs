// Interest-shift scenarios: a shopper looks at 10 products of one category, then at 3 of
// another; how much of the shelf follows the new interest? For every ordered pair of
// categories (the level below the one every catalog item shares, with at least 13
// items each), `draws` shoppers with products drawn at random (seeded) from the two;
// each gets a shelf of k from the whole catalog with the given engine config (the
// storefront defaults when none), and the share of its items in the second category is
// counted.
//
//   const r = await shiftScenarios({ data: 'build/data/sample-shop', dist: 'dist' });
//   r.share_new          mean share of the shelf in the new category
//   r.half_new           share of shelves with at least half in it
//   r.share_old          mean share in the first category
//   r.scenarios          shoppers
const FIRST = 10;
const THEN = 3;

function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/** The level below the category levels every item with a path shares (0-based count). */
export function topicLevel(items) {
  const paths = items.map((it) => (Array.isArray(it.categories) ? it.categories : [])).filter((p) => p.length);
  if (!paths.length) return 0;
  let common = paths[0].length;
  for (const p of paths) {
    let d = 0;
    while (d < common && d < p.length && p[d] === paths[0][d]) d++;
    common = d;
  }
  return common + 1;
}

/** The scripted shoppers: [{ from, to, events: [{ id, ts, kind }] }], deterministic. */
export function shiftShoppers(items, { draws = 2, seed = 1, minItems = FIRST + THEN } = {}) {
  const level = topicLevel(items);
  if (!level) return { level, shoppers: [] };
  const topic = (it) => (Array.isArray(it.categories) && it.categories.length >= level ? it.categories.slice(0, level).join(' > ') : null);
  const by = new Map();
  for (const it of items) {
    const t = topic(it);
    if (!t) continue;
    if (!by.has(t)) by.set(t, []);
    by.get(t).push(it.id);
  }
  const topics = [...by.keys()].filter((t) => by.get(t).length >= minItems).sort();
  const r = rng(seed);
  const pick = (ids, n) => {
    const left = ids.slice();
    const out = [];
    while (out.length < n) out.push(left.splice(Math.floor(r() * left.length), 1)[0]);
    return out;
  };
  const shoppers = [];
  for (const from of topics)
    for (const to of topics) {
      if (from === to) continue;
      for (let d = 0; d < draws; d++) {
        const ids = [...pick(by.get(from), FIRST), ...pick(by.get(to), THEN)];
        shoppers.push({ from, to, events: ids.map((id, i) => ({ id, ts: i + 1, kind: 'view' })) });
      }
    }
  return { level, topic, shoppers };
}

/**
 * Runs the scenarios. opts: { data (folder with items.jsonl), dist, kind, config, k = 6,
 * draws = 2, seed = 1 }. Returns { dataset, level, scenarios, k, config, share_new,
 * half_new, share_old }.
 */
export async function shiftScenarios(opts) {
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const { pathToFileURL } = await import('node:url');
  const { dist, kind = 'emscripten', config = {}, k = 6, draws = 2, seed = 1 } = opts;
  const { loadDataset } = await import('./data.mjs');
  const { popularityCounts, relatedCounts, repeatPurchases, withPopularity } = await import('./baselines.mjs');
  // The catalog as the evaluation and the reason checker build it: popularity and
  // bought-together counts from the data set's shoppers.
  const data = await loadDataset(opts.data);
  const lines = withPopularity(data.items, popularityCounts(data.users), relatedCounts(data.users), repeatPurchases(data.users));
  const items = lines.map((it) => JSON.parse(it.json));
  const { level, topic, shoppers } = shiftShoppers(items, { draws, seed });
  const byId = new Map(items.map((it) => [it.id, it]));
  const lib = await import(pathToFileURL(join(dist, 'index.mjs')).href);
  const wasm = await WebAssembly.compile(await readFile(join(dist, kind === 'wasi' ? 'arag-wasi.wasm' : 'arag.wasm')));
  const arag = await lib.createArag({ wasm, kind });
  const rec = await lib.createRecommender({ arag, config });
  let sumNew = 0;
  let sumOld = 0;
  let half = 0;
  try {
    rec.catalog.add(lines.map((it) => it.json).join('\n'));
    for (const s of shoppers) {
      rec.history.clear();
      rec.history.add(s.events);
      const res = await rec.recommend({ k });
      const ids = res.items.map((i) => i.id);
      const inNew = ids.filter((id) => topic(byId.get(id)) === s.to).length;
      const inOld = ids.filter((id) => topic(byId.get(id)) === s.from).length;
      const n = ids.length || 1;
      sumNew += inNew / n;
      sumOld += inOld / n;
      if (2 * inNew >= ids.length) half++;
    }
  } finally {
    rec.free();
  }
  const n = shoppers.length || 1;
  const r4 = (x) => Math.round(x * 1e4) / 1e4;
  return {
    dataset: data.name,
    level,
    scenarios: shoppers.length,
    k,
    config,
    share_new: r4(sumNew / n),
    half_new: r4(half / n),
    share_old: r4(sumOld / n),
  };
}
