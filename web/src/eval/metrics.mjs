// Ranking metrics for one held-out target. Rank r is 1-based; Infinity (or 0/undefined)
// means the target was not ranked at all, which scores 0 everywhere.

function valid(r) {
  return Number.isInteger(r) && r >= 1;
}

export function ndcgAt(rank, k) {
  return valid(rank) && rank <= k ? 1 / Math.log2(rank + 1) : 0;
}

export function hitAt(rank, k) {
  return valid(rank) && rank <= k ? 1 : 0;
}

export function mrr(rank) {
  return valid(rank) ? 1 / rank : 0;
}

export const METRICS = ['ndcg@5', 'hit@5', 'ndcg@10', 'hit@10', 'mrr'];

// All metrics of one rank, in METRICS order.
export function metricsOfRank(rank) {
  return [ndcgAt(rank, 5), hitAt(rank, 5), ndcgAt(rank, 10), hitAt(rank, 10), mrr(rank)];
}

// Rank of candidate targetIndex when the candidates are sorted by descending score and
// ties are broken by candidate list order (earlier first). NaN scores sort last.
export function rankFromScores(scores, targetIndex) {
  const t = scores[targetIndex];
  if (Number.isNaN(t)) {
    // The target sorts after every non-NaN score and after earlier NaNs.
    let r = 1;
    for (let i = 0; i < scores.length; i++) {
      if (!Number.isNaN(scores[i]) || i < targetIndex) r++;
    }
    return r;
  }
  let r = 1;
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i];
    if (s > t || (s === t && i < targetIndex)) r++;
  }
  return r;
}

// Rank of the target id in an ordered list of ids (1-based); Infinity when absent.
export function rankInOrder(order, target) {
  const i = order.indexOf(target);
  return i < 0 ? Infinity : i + 1;
}

// Mean of each metric over a list of ranks.
export function meanMetrics(ranks) {
  const sums = new Array(METRICS.length).fill(0);
  for (const r of ranks) {
    const m = metricsOfRank(r);
    for (let j = 0; j < m.length; j++) sums[j] += m[j];
  }
  const out = {};
  METRICS.forEach((name, j) => {
    out[name] = ranks.length ? sums[j] / ranks.length : 0;
  });
  return out;
}
