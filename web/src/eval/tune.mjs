// Fits the offline reasoner's weights to one catalog: coordinate ascent on NDCG@5 of the
// validation split (each user's next-to-last interaction held out), then the start and the
// tuned weights scored side by side on the test split, which the search never reads.
// What `arag tune` runs.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadDataset } from './data.mjs';
import { evaluate } from './index.mjs';

// Shares in [0, 1] and windows (event counts); every other weight is free (the engine
// refuses values past +-1000).
const RATES = new Set(['decay', 'sim_decay', 'rel_decay', 'ira_idf', 'ira_div', 'shift']);
const WINDOWS = new Set(['sim_window', 'rel_window']);
const MAX_MOVES = 6;

// The moves tried for one weight at a step: v * (1 -+ step) for a non-zero weight (a
// window moves by at least one event, a share stays in [0, 1]), -+ step for a zero one.
export function moves(name, v, step) {
  let out = v === 0 ? [-step, step] : [v * (1 - step), v * (1 + step)];
  if (WINDOWS.has(name)) {
    out = out.map((x, i) => Math.max(1, Math.round(x) === v ? v + (i ? 1 : -1) : Math.round(x)));
  } else if (RATES.has(name)) {
    out = out.map((x) => Math.min(1, Math.max(0, x)));
  }
  // Round away float noise (0.7 * 1.25 = 0.875, not 0.8749999999999999).
  out = out.map((x) => Number(x.toPrecision(6)));
  return [...new Set(out)].filter((x) => x !== v);
}

// The reasoner weights the engine applies for a config: defaults under the config's.
async function reasonerOf(dist, config) {
  const lib = await import(pathToFileURL(join(dist, 'index.mjs')).href);
  const r = await lib.createRecommender({ config });
  try {
    return { ...r.config.reasoner };
  } finally {
    r.free();
  }
}

/**
 * opts: { data: folder, dist, kind, config (start config), params (names; default: every
 * non-zero weight), rounds (default 2), step (default 0.5, halved each round), minGain
 * (default 0.0005: smaller gains are noise on a few thousand users), negatives, seed,
 * users, log (function of a line) }.
 * Returns { start (all weights), tuned (the changed ones), config (the start config with
 * them), trials, valid: NDCG@5 before and after, test: both scored with the baselines }.
 */
export async function tune(opts) {
  const { dist, kind = 'emscripten', config = {}, rounds = 2, step = 0.5, minGain = 0.0005, negatives = 49, seed = 1, users = 0 } = opts;
  const log = opts.log || (() => {});
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`rounds: expected an integer >= 1, got ${rounds}`);
  if (!(step > 0 && step < 1)) throw new Error(`step: expected a number in (0, 1), got ${step}`);
  if (!(minGain >= 0 && minGain < 1)) throw new Error(`minGain: expected a number in [0, 1), got ${minGain}`);
  const start = await reasonerOf(dist, config);
  const params = opts.params ?? Object.keys(start).filter((k) => start[k] !== 0);
  for (const p of params) {
    if (!Object.hasOwn(start, p)) throw new Error(`unknown reasoner weight "${p}" (known: ${Object.keys(start).join(', ')})`);
  }
  const [valid, test] = await Promise.all([loadDataset(opts.data, { split: 'valid' }), loadDataset(opts.data, { split: 'test' })]);
  const common = { dist, kind, negatives, seed, users, progress: null };
  const withWeights = (w) => ({ ...config, reasoner: { ...(config.reasoner || {}), ...w } });
  const score = async (w, data = valid, methods = ['arag'], resamples = 10) => {
    const { result, failures } = await evaluate({ ...common, data, methods, resamples, config: withWeights(w) });
    if (failures.length) throw new Error(`${failures.length} users failed; first: ${failures[0].user}: ${failures[0].error}`);
    return result;
  };

  const cur = { ...start };
  const first = await score(cur);
  let best = first.methods.arag['ndcg@5'];
  const validStart = best;
  log(`start: NDCG@5 ${best.toFixed(4)} on the validation split (${first.users} users)`);
  const trials = [];
  for (let round = 0, s = step; round < rounds; round++, s /= 2) {
    let changed = false;
    for (const p of params) {
      // Moves from the current value until none gains (at most MAX_MOVES kept per round).
      for (let kept = 0, again = true; again && kept < MAX_MOVES; ) {
        again = false;
        for (const v of moves(p, cur[p], s)) {
          const ndcg = (await score({ ...cur, [p]: v })).methods.arag['ndcg@5'];
          const accepted = ndcg > best + minGain;
          trials.push({ round: round + 1, param: p, value: v, ndcg5: ndcg, accepted });
          log(`round ${round + 1}: ${p} ${cur[p]} -> ${v}: ${ndcg.toFixed(4)}${accepted ? ' (kept)' : ''}`);
          if (accepted) {
            cur[p] = v;
            best = ndcg;
            changed = again = true;
            kept++;
            break;
          }
        }
      }
    }
    if (!changed) log(`round ${round + 1}: no move kept`);
  }
  const tuned = Object.fromEntries(Object.keys(cur).filter((k) => cur[k] !== start[k]).map((k) => [k, cur[k]]));

  // The test split, which the search did not read: baselines, start and tuned weights.
  const side = async (w) => {
    const r = await score(w, test, ['recency', 'rag', 'arag'], 1000);
    const a = r.methods.arag;
    const g = r.gain_over_best_baseline.arag;
    return {
      users: r.users,
      'ndcg@5': a['ndcg@5'],
      'hit@5': a['hit@5'],
      ci: a.ci['ndcg@5'],
      best_baseline: { name: r.best_baseline['ndcg@5'], 'ndcg@5': r.methods[r.best_baseline['ndcg@5']]['ndcg@5'] },
      gain: g['ndcg@5'],
      gain_ci: g.ci['ndcg@5'],
    };
  };
  const testStart = await side(start);
  const testTuned = Object.keys(tuned).length ? await side(cur) : testStart;
  return {
    dataset: valid.name,
    users: { valid: first.users, test: testStart.users },
    negatives,
    seed,
    params,
    rounds,
    start,
    tuned,
    // What to pass on (arag eval --config, createRecommender({ config })).
    config: withWeights(tuned),
    trials,
    valid: { start: validStart, tuned: best },
    test: { start: testStart, tuned: testTuned },
  };
}
