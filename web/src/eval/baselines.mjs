// Baselines over item vectors (the catalog's vectors, built-in embedder at dim 512):
//   recency:    sum over the last 5 history items h_a (a = 0 most recent) of 0.5^a cos(c, h_a)
//   rag:        cos(c, mean of all history item vectors) (normalizing the mean does not
//               change a cosine, so it is left out: fewer roundings)
//   popularity: occurrences in all eligible users' histories (never targets), each
//               weighted 0.7^k, k the number of that user's later history items, so
//               what shoppers bought lately counts more (the data carry no dates)
// Arithmetic is in double precision, accumulated in index order; a zero vector has
// cosine 0 with everything. Ties are broken by candidate list order (see metrics.mjs).

export function dot(a, b) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function norm(a) {
  return Math.sqrt(dot(a, a));
}

// Cosine in double precision: one pass, the three sums in index order (the same
// arithmetic as the native eval tool, so both give bit-identical scores).
export function cosine(a, b) {
  let s = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    s += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  if (na === 0 || nb === 0) return 0;
  return s / (Math.sqrt(na) * Math.sqrt(nb));
}

// history: vectors oldest first. Returns one score per candidate vector.
export function recencyScores(candVecs, historyVecs, window = 5) {
  const last = historyVecs.slice(-window).reverse(); // a = 0 is the most recent
  return candVecs.map((c) => {
    let s = 0;
    for (let a = 0; a < last.length; a++) s += Math.pow(0.5, a) * cosine(c, last[a]);
    return s;
  });
}

// Mean of the vectors in double precision (summed oldest first).
export function meanVector(vecs) {
  const dim = vecs.length ? vecs[0].length : 0;
  const m = new Float64Array(dim);
  for (const v of vecs) for (let i = 0; i < dim; i++) m[i] += v[i];
  for (let i = 0; i < dim; i++) m[i] /= vecs.length;
  return m;
}

export function ragScores(candVecs, historyVecs) {
  const q = meanVector(historyVecs);
  return candVecs.map((c) => cosine(c, q));
}

// users: [{ history: [{ item }] }] (all eligible users, whatever --users says).
// Returns Map id -> recency-weighted count.
export const POPULARITY_DECAY = 0.7;

export function popularityCounts(users, decay = POPULARITY_DECAY) {
  const counts = new Map();
  for (const u of users) {
    const h = u.history;
    // Powers by repeated multiplication from the end: the native eval tool does the same.
    let w = 1;
    for (let i = h.length - 1; i >= 0; i--, w *= decay) counts.set(h[i].item, (counts.get(h[i].item) || 0) + w);
  }
  return counts;
}

// Co-occurrence ("bought together") from the histories only (never targets): over each
// user's history, every pair of different items at most `window` positions apart counts
// once for both items; each item keeps its `top` partners by count (ties: id string
// order), by default as many as a catalog item may carry (ARAG_ITEM_MAX_RELATED).
// Returns Map id -> [[partner id, count], ...], best first. The native eval tool
// computes the same lists.
export function relatedCounts(users, window = 3, top = 64) {
  const pairs = new Map();
  const add = (a, b) => {
    let m = pairs.get(a);
    if (!m) pairs.set(a, (m = new Map()));
    m.set(b, (m.get(b) || 0) + 1);
  };
  for (const u of users) {
    const h = u.history;
    for (let i = 0; i < h.length; i++)
      for (let j = i + 1; j < h.length && j - i <= window; j++) {
        const a = h[i].item;
        const b = h[j].item;
        if (a === b) continue;
        add(a, b);
        add(b, a);
      }
  }
  const out = new Map();
  for (const [id, m] of pairs) {
    const list = [...m.entries()].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
    out.set(id, list.slice(0, top));
  }
  return out;
}

// Repeat purchases: the items some history (never a target) holds twice. The storefront
// shelf shows variants of a just-bought item only for items so marked, as a shop marks
// what its shoppers buy again (the data sets carry no such mark). The native eval tool
// marks the same items.
export function repeatPurchases(users) {
  const out = new Set();
  for (const u of users) {
    const seen = new Set();
    for (const e of u.history) {
      if (seen.has(e.item)) out.add(e.item);
      seen.add(e.item);
    }
  }
  return out;
}

// The catalog lines the pipeline gets: each item with "popularity" set to its history
// count (replacing any given value), and, when `related` (from relatedCounts) is given,
// "related" set to its co-occurrence list (replacing any given one; absent when the item
// has none), and when `repeats` (from repeatPurchases) is given, "repeat_purchase" for
// those items (replacing any given value), so the reasoner sees only history statistics.
export function withPopularity(items, counts, related = null, repeats = null) {
  return items.map((it) => {
    const o = JSON.parse(it.json);
    delete o.popularity;
    o.popularity = counts.get(it.id) || 0;
    if (related) {
      delete o.related;
      const list = related.get(it.id);
      if (list && list.length) o.related = Object.fromEntries(list);
    }
    if (repeats) {
      delete o.repeat_purchase;
      if (repeats.has(it.id)) o.repeat_purchase = true;
    }
    return { ...it, json: JSON.stringify(o) };
  });
}

export function popularityScores(candidateIds, counts) {
  return candidateIds.map((id) => counts.get(id) || 0);
}
