// Baselines over item vectors (the catalog's vectors, built-in embedder at dim 512):
//   recency:    sum over the last 5 history items h_a (a = 0 most recent) of 0.5^a cos(c, h_a)
//   rag:        cos(c, normalize(mean of all history item vectors))
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

export function cosine(a, b) {
  const na = norm(a);
  const nb = norm(b);
  if (na === 0 || nb === 0) return 0;
  return dot(a, b) / (na * nb);
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

export function meanVector(vecs) {
  const dim = vecs.length ? vecs[0].length : 0;
  const m = new Float64Array(dim);
  for (const v of vecs) for (let i = 0; i < dim; i++) m[i] += v[i];
  for (let i = 0; i < dim; i++) m[i] /= vecs.length;
  const n = norm(m);
  if (n > 0) for (let i = 0; i < dim; i++) m[i] /= n;
  return m;
}

export function ragScores(candVecs, historyVecs) {
  const q = meanVector(historyVecs);
  return candVecs.map((c) => cosine(c, q));
}

// users: [{ history: [{ item }] }] (all eligible users). Returns Map id -> count.
export function popularityCounts(users) {
  const counts = new Map();
  for (const u of users) for (const e of u.history) counts.set(e.item, (counts.get(e.item) || 0) + 1);
  return counts;
}

export function popularityScores(candidateIds, counts) {
  return candidateIds.map((id) => counts.get(id) || 0);
}
