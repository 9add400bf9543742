// Seeded bootstrap over users: percentile confidence intervals of a mean, and a paired
// bootstrap of the relative gain of one method over another (the same resampled users
// for both). Deterministic: a fixed generator, fixed summation order.
import { fnv1a64 } from './sampler.mjs';

// mulberry32: a small 32-bit generator, plenty for resampling indices.
export function mulberry32(seed32) {
  let a = seed32 >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

// Uniform integer in [0, n) without modulo bias (rejection sampling).
function uniformBelow(next, n) {
  const limit = Math.floor(0x100000000 / n) * n;
  for (;;) {
    const x = next();
    if (x < limit) return x % n;
  }
}

// resamples x n user indices, drawn with replacement; the same matrix serves every
// method (that is what makes the gain bootstrap paired).
export function resampleIndices(n, resamples, seed) {
  const s = Number(fnv1a64(`${seed}:bootstrap`) & 0xffffffffn);
  const next = mulberry32(s);
  const idx = new Uint32Array(n * resamples);
  for (let i = 0; i < idx.length; i++) idx[i] = uniformBelow(next, n);
  return idx;
}

// Quantile of a sorted array, linear interpolation between closest ranks (type 7).
export function quantile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

function resampledMeans(values, idx, n, resamples) {
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let s = 0;
    const base = b * n;
    for (let i = 0; i < n; i++) s += values[idx[base + i]];
    means[b] = s / n;
  }
  return means;
}

// Percentile interval of the mean of values (per-user metric values).
export function bootstrapCI(values, idx, resamples, level = 0.95) {
  const n = values.length;
  const means = resampledMeans(values, idx, n, resamples);
  means.sort();
  const a = (1 - level) / 2;
  return [quantile(means, a), quantile(means, 1 - a)];
}

// Relative gain mean(a)/mean(b) - 1 with a paired percentile interval, and the share of
// resamples where the gain is <= 0 (a one-sided bootstrap p-value for "a beats b").
// Resamples where mean(b) is 0 are left out of the interval.
export function pairedGain(a, b, idx, resamples, level = 0.95) {
  const n = a.length;
  if (b.length !== n) throw new Error('pairedGain: different user counts');
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  const gain = mb > 0 ? ma / mb - 1 : null;
  const meansA = resampledMeans(a, idx, n, resamples);
  const meansB = resampledMeans(b, idx, n, resamples);
  const gains = [];
  let notBetter = 0;
  for (let i = 0; i < resamples; i++) {
    if (meansB[i] > 0) gains.push(meansA[i] / meansB[i] - 1);
    if (meansA[i] <= meansB[i]) notBetter++;
  }
  const g = Float64Array.from(gains).sort();
  const al = (1 - level) / 2;
  return {
    gain,
    ci: g.length ? [quantile(g, al), quantile(g, 1 - al)] : [null, null],
    p_not_better: notBetter / resamples,
  };
}
