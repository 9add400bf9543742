// Baselines over item vectors (the catalog's vectors, built-in embedder at dim 512):
//   recency:    sum over the last 5 history items h_a (a = 0 most recent) of 0.5^a cos(c, h_a)
//   rag:        cos(c, mean of all history item vectors) (normalizing the mean does not
//               change a cosine, so it is left out: fewer roundings)
//   popularity: occurrences in all eligible users' histories (never targets)
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
// Returns Map id -> count.
export function popularityCounts(users) {
  const counts = new Map();
  for (const u of users) for (const e of u.history) counts.set(e.item, (counts.get(e.item) || 0) + 1);
  return counts;
}

// The catalog lines the pipeline gets: each item with "popularity" set to its history
// count (replacing any given value), so the reasoner sees only history statistics.
export function withPopularity(items, counts) {
  return items.map((it) => {
    const o = JSON.parse(it.json);
    delete o.popularity;
    o.popularity = counts.get(it.id) || 0;
    return { ...it, json: JSON.stringify(o) };
  });
}

export function popularityScores(candidateIds, counts) {
  return candidateIds.map((id) => counts.get(id) || 0);
}
