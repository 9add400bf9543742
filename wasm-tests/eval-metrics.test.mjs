// Unit tests of the evaluation harness's pure parts: metrics, the protocol's sampler,
// bootstrap, baselines, data loading errors, reports, and checkpoint/resume of the
// orchestration over a stand-in engine. The wasm end-to-end runs are in eval.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ndcgAt, hitAt, mrr, rankFromScores, rankInOrder, meanMetrics } from '../web/src/eval/metrics.mjs';
import { fnv1a64, SplitMix64, sampleCandidates } from '../web/src/eval/sampler.mjs';
import { bootstrapCI, pairedGain, resampleIndices, quantile } from '../web/src/eval/bootstrap.mjs';
import { recencyScores, ragScores, popularityCounts, popularityScores, cosine } from '../web/src/eval/baselines.mjs';
import { sampleDataSet } from './helpers/data.mjs';
import { loadDataset, parseItems, parseInteractions, DataError, SPLITS } from '../web/src/eval/data.mjs';
import { toMarkdown, toSVG, toJSON } from '../web/src/eval/report.mjs';
import { runEval, parseMethods, readCheckpoint, Progress, targetBreakdown } from '../web/src/eval/run.mjs';

const here = dirname(fileURLToPath(import.meta.url));
// The hand-made tiny data set is kept as one JSON file (file name -> text) and laid out
// as a data folder for the tests.
const tiny = mkdtempSync(join(tmpdir(), 'arag-eval-tiny-'));
for (const [name, text] of Object.entries(JSON.parse(readFileSync(join(here, 'fixtures', 'eval-tiny.json'), 'utf8'))))
  writeFileSync(join(tiny, name), text);
process.on('exit', () => rmSync(tiny, { recursive: true, force: true }));
const close = (a, b, eps = 1e-12) => assert.ok(Math.abs(a - b) <= eps, `${a} != ${b}`);

test('metrics: rank 1, rank 5, rank 6, rank 10, rank 11, missing', () => {
  close(ndcgAt(1, 5), 1);
  assert.equal(hitAt(1, 5), 1);
  close(mrr(1), 1);
  // rank 5: 1/log2(6) = ln 2 / ln 6
  close(ndcgAt(5, 5), Math.LN2 / Math.log(6));
  close(ndcgAt(5, 5), 0.38685280723454163);
  assert.equal(hitAt(5, 5), 1);
  close(mrr(5), 0.2);
  // rank 6: out of the top 5, in the top 10
  assert.equal(ndcgAt(6, 5), 0);
  assert.equal(hitAt(6, 5), 0);
  close(ndcgAt(6, 10), 0.35620718710802218);
  assert.equal(hitAt(6, 10), 1);
  close(mrr(6), 1 / 6);
  assert.equal(hitAt(10, 10), 1);
  assert.equal(hitAt(11, 10), 0);
  assert.equal(ndcgAt(11, 10), 0);
  for (const r of [Infinity, 0, null, undefined, 2.5]) {
    assert.equal(ndcgAt(r, 5), 0);
    assert.equal(hitAt(r, 10), 0);
    assert.equal(mrr(r), 0);
  }
});

test('metrics: ties are broken by candidate list order', () => {
  assert.equal(rankFromScores([0.5, 0.9, 0.5, 0.5], 2), 3); // 0.9 and the earlier 0.5 ahead
  assert.equal(rankFromScores([0.5, 0.9, 0.5, 0.5], 0), 2);
  assert.equal(rankFromScores([0.5, 0.9, 0.5, 0.5], 3), 4);
  assert.equal(rankFromScores([1, 1, 1], 0), 1);
  assert.equal(rankFromScores([0.1, 0.2, 0.3], 2), 1);
  assert.equal(rankFromScores([NaN, 0.2, 0.3], 1), 2); // NaN sorts last
  assert.equal(rankFromScores([NaN, 0.2, NaN], 2), 3);
  assert.equal(rankInOrder(['a', 'b', 'c'], 'c'), 3);
  assert.equal(rankInOrder(['a', 'b'], 'z'), Infinity);
  const m = meanMetrics([1, 6]);
  close(m['hit@5'], 0.5);
  close(m['hit@10'], 1);
  close(m.mrr, (1 + 1 / 6) / 2);
});

test('sampler: generator matches published FNV-1a and splitmix64 vectors', () => {
  assert.equal(fnv1a64(''), 0xcbf29ce484222325n);
  assert.equal(fnv1a64('a'), 0xaf63dc4c8601ec8cn);
  assert.equal(fnv1a64('foobar'), 0x85944171f73967e8n);
  const g = new SplitMix64(0n);
  assert.equal(g.next(), 0xe220a8397b1dcdafn);
  assert.equal(g.next(), 0x6e789e6aa1b965f4n);
  assert.equal(g.next(), 0x06c45d188009454fn);
});

test('sampler: the tiny data set gives the lists a separate reference implementation gives', async () => {
  // Expected lists were computed by an independent Python implementation of the
  // protocol text (FNV-1a + splitmix64 + partial Fisher-Yates + shuffle).
  const data = await loadDataset(tiny);
  assert.deepEqual(data.users.map((u) => u.user), ['u1', 'u3']); // u2 has 3 interactions
  const u3 = data.users[1];
  assert.equal(u3.target.item, 'i9'); // ts tie at 5: later in the file wins
  assert.deepEqual(u3.history.map((e) => e.item), ['i2', 'i3', 'i6', 'i7', 'i8']);
  const ids = data.items.map((i) => i.id);
  const hist = (u) => u.history.map((e) => e.item);
  const s = (u, negatives, seed) => sampleCandidates(ids, hist(u), u.target.item, { negatives, seed, user: u.user });
  assert.deepEqual(s(data.users[0], 3, 1).candidates, ['i5', 'i8', 'i10', 'i9']);
  assert.deepEqual(s(data.users[0], 3, 2).candidates, ['i8', 'i9', 'i5', 'i10']);
  assert.deepEqual(s(u3, 3, 1).candidates, ['i5', 'i1', 'i9', 'i4']);
  // Pool smaller than N: every untouched item, plus the target.
  const all = s(u3, 49, 1);
  assert.deepEqual(all.candidates, ['i9', 'i5', 'i10', 'i1', 'i4']);
  assert.equal(all.negatives, 4);
  assert.equal(all.targetIndex, 0);
});

test('sampler: never draws history items or the target as negatives, stable across runs', () => {
  const ids = Array.from({ length: 300 }, (_, i) => `item-${i}`);
  for (let u = 0; u < 40; u++) {
    const history = ids.filter((_, i) => (i * 7 + u) % 13 === 0);
    const target = ids[(u * 31) % 300];
    const hist = history.filter((h) => h !== target);
    const a = sampleCandidates(ids, hist, target, { negatives: 49, seed: 7, user: `user${u}` });
    const b = sampleCandidates(ids, hist, target, { negatives: 49, seed: 7, user: `user${u}` });
    assert.deepEqual(a, b);
    assert.equal(a.candidates.length, 50);
    assert.equal(new Set(a.candidates).size, 50);
    assert.equal(a.candidates[a.targetIndex], target);
    assert.equal(a.candidates.filter((c) => c === target).length, 1);
    for (const c of a.candidates) if (c !== target) assert.ok(!hist.includes(c), `${c} is in the history`);
    const other = sampleCandidates(ids, hist, target, { negatives: 49, seed: 8, user: `user${u}` });
    assert.notDeepEqual(other.candidates, a.candidates);
  }
});

test('bootstrap: seeded, paired, intervals bracket the mean', () => {
  const vals = Float64Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? 1 : 0));
  const idx = resampleIndices(200, 500, 1);
  assert.deepEqual(idx, resampleIndices(200, 500, 1));
  assert.notDeepEqual(idx, resampleIndices(200, 500, 2));
  assert.ok(idx.every((i) => i < 200));
  const [lo, hi] = bootstrapCI(vals, idx, 500);
  const mean = vals.reduce((a, b) => a + b) / vals.length;
  assert.ok(lo < mean && mean < hi, `${lo} < ${mean} < ${hi}`);
  assert.ok(hi - lo > 0.05 && hi - lo < 0.3);
  const constant = new Float64Array(200).fill(0.25);
  assert.deepEqual(bootstrapCI(constant, idx, 500), [0.25, 0.25]);
  const same = pairedGain(vals, vals, idx, 500);
  assert.equal(same.gain, 0);
  assert.deepEqual(same.ci, [0, 0]);
  assert.equal(same.p_not_better, 1);
  const twice = pairedGain(vals.map((v) => 2 * v), vals, idx, 500);
  close(twice.gain, 1);
  close(twice.ci[0], 1);
  close(twice.ci[1], 1);
  assert.equal(twice.p_not_better, 0);
  close(quantile([0, 10], 0.25), 2.5);
  close(quantile([1, 2, 3, 4, 5], 0.5), 3);
});

test('baselines: recency decays by 0.5 per step, rag uses the mean direction, popularity counts history only', () => {
  const x = [1, 0];
  const y = [0, 1];
  const d = [Math.SQRT1_2, Math.SQRT1_2];
  const r = recencyScores([x, y, d, [0, 0]], [x, y]); // y is the most recent
  close(r[0], 0.5);
  close(r[1], 1);
  close(r[2], 1.5 * Math.SQRT1_2);
  assert.equal(r[3], 0); // zero vector: cosine 0
  // Only the last 5 count: the 6th most recent (x) adds nothing.
  const r6 = recencyScores([x], [x, y, y, y, y, y]);
  close(r6[0], 0);
  const g = ragScores([x, y, d], [x, x, y]);
  close(g[0], 2 / Math.sqrt(5));
  close(g[1], 1 / Math.sqrt(5));
  close(cosine([3, 4], [6, 8]), 1);
  const users = [
    { history: [{ item: 'a' }, { item: 'b' }], target: { item: 'z' } },
    { history: [{ item: 'a' }], target: { item: 'z' } },
  ];
  // Plain counts (decay 1), then the default: 0.7 per later item of the same history.
  assert.deepEqual(popularityScores(['a', 'b', 'z'], popularityCounts(users, 1)), [2, 1, 0]);
  const decayed = popularityScores(['a', 'b', 'z'], popularityCounts(users));
  close(decayed[0], 0.7 + 1);
  close(decayed[1], 1);
  assert.equal(decayed[2], 0);
});

test('data: malformed lines are reported with file and line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'arag-eval-'));
  try {
    const items = readFileSync(join(tiny, 'items.jsonl'), 'utf8').split('\n');
    const inter = readFileSync(join(tiny, 'interactions.jsonl'), 'utf8');
    const bad = [...items];
    bad[2] = '{"id":"i3","title": oops}';
    writeFileSync(join(dir, 'items.jsonl'), bad.join('\n'));
    writeFileSync(join(dir, 'interactions.jsonl'), inter);
    await assert.rejects(loadDataset(dir), (e) => e instanceof DataError && /items\.jsonl:3: malformed JSON/.test(e.message) && e.line === 3);
    writeFileSync(join(dir, 'items.jsonl'), items.join('\n'));
    const lines = inter.split('\n');
    lines[6] = '{"user":"u2","item":"i404","ts":1}';
    writeFileSync(join(dir, 'interactions.jsonl'), lines.join('\n'));
    await assert.rejects(loadDataset(dir), /interactions\.jsonl:7: unknown item "i404"/);
    lines[6] = '{"user":"u2","item":"i2"}';
    writeFileSync(join(dir, 'interactions.jsonl'), lines.join('\n'));
    await assert.rejects(loadDataset(dir), /interactions\.jsonl:7: "ts" must be a finite number/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.throws(() => parseItems('{"id":"a","title":"x"}\n\n{"id":"a","title":"y"}\n', 'f'), /f:3: duplicate item id "a" \(first on line 1\)/);
  assert.throws(() => parseItems('{"id":"","title":"x"}', 'f'), /f:1: "id"/);
  assert.throws(() => parseItems('[1]', 'f'), /f:1: expected a JSON object/);
  // A byte order mark and CRLF line ends are not errors.
  assert.deepEqual(parseItems('\ufeff{"id":"a","title":"x"}\r\n{"id":"b","title":"y"}\r\n', 'f').items.map((i) => [i.id, i.line]), [['a', 1], ['b', 2]]);
  assert.throws(() => parseInteractions('{"user":"u","item":"a","ts":"1"}', new Map([['a', 0]]), 'g'), /g:1: "ts"/);
});

test('the valid split holds out the next-to-last interaction and drops the last', async () => {
  const byId = new Map(['a', 'b', 'c', 'd', 'e', 'f'].map((id, i) => [id, i]));
  // u4 has 4 interactions, u5 5, u6 6 (given out of order: ts decides).
  const lines = [];
  for (const [user, n] of [['u4', 4], ['u5', 5], ['u6', 6]])
    for (let t = n - 1; t >= 0; t--) lines.push(JSON.stringify({ user, item: 'abcdef'[t], ts: t }));
  const text = lines.join('\n');
  const test = parseInteractions(text, byId, 'g', 5, SPLITS.test);
  assert.deepEqual(test.users.map((u) => [u.user, u.history.map((e) => e.item).join(''), u.target.item]), [
    ['u5', 'abcd', 'e'],
    ['u6', 'abcde', 'f'],
  ]);
  const valid = parseInteractions(text, byId, 'g', 5, SPLITS.valid);
  // u5 keeps 4 interactions: too few. u6's last ("f") is in neither history nor target.
  assert.deepEqual(valid.users.map((u) => [u.user, u.history.map((e) => e.item).join(''), u.target.item]), [['u6', 'abcd', 'e']]);
  assert.equal(valid.interactions, test.interactions, 'the file is counted whole either way');
  const dir = mkdtempSync(join(tmpdir(), 'arag-split-'));
  try {
    writeFileSync(join(dir, 'items.jsonl'), [...byId.keys()].map((id) => JSON.stringify({ id, title: id })).join('\n'));
    writeFileSync(join(dir, 'interactions.jsonl'), text);
    assert.equal((await loadDataset(dir)).split, 'test');
    assert.equal((await loadDataset(dir, { split: 'valid' })).users.length, 1);
    await assert.rejects(loadDataset(dir, { split: 'train' }), /unknown split "train"/);
    writeFileSync(join(dir, 'interactions.jsonl'), lines.filter((l) => !l.includes('u6')).join('\n'));
    await assert.rejects(loadDataset(dir, { split: 'valid' }), /no user has >= 6 interactions/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('methods list: unknown and repeated names are refused', () => {
  assert.deepEqual(parseMethods('recency, rag,arag-no-nli'), ['recency', 'rag', 'arag-no-nli']);
  assert.throws(() => parseMethods('recency,bm25'), /unknown method "bm25"/);
  assert.throws(() => parseMethods('rag,rag'), /given twice/);
});

// A stand-in engine: 8-d vectors hashed from the item id, and a "pipeline" that orders
// candidates by a per-config hash. Counts its calls so resumes can be checked.
function fakeEngine() {
  const calls = { arag: 0 };
  const vec = (id) => {
    const h = fnv1a64(id);
    return Float32Array.from({ length: 8 }, (_, i) => Number((h >> BigInt(i * 8)) & 0xffn) - 127.5);
  };
  return {
    calls,
    vectors: (ids) => ids.map(vec),
    createWorker: () => ({
      async rankArag(history, candidates, agents) {
        calls.arag++;
        await new Promise((r) => setImmediate(r));
        const key = JSON.stringify(agents) + history.map((e) => e.item).join(',');
        const order = [...candidates].sort((a, b) => (fnv1a64(key + a) < fnv1a64(key + b) ? -1 : 1));
        return { order, usage: { calls: 4, prompt_tokens: 10, completion_tokens: 5 }, degraded: agents.nli ? [] : ['nli:off'] };
      },
      free() {},
    }),
  };
}

test('run: deterministic, and checkpoint/resume gives the uninterrupted result', async () => {
  const ds = await loadDataset(sampleDataSet());
  const methods = ['recency', 'rag', 'popularity', 'arag', 'arag-no-nli'];
  const opts = { negatives: 49, seed: 3, users: 60, methods, resamples: 200, progress: null, concurrency: 3 };
  const e1 = fakeEngine();
  const full = await runEval(ds, e1, opts);
  const again = await runEval(ds, fakeEngine(), { ...opts, concurrency: 1 });
  assert.equal(toJSON(full.result), toJSON(again.result));
  const n = full.result.users;
  assert.equal(e1.calls.arag, 2 * n);
  assert.equal(full.result.usage.arag.calls, 4 * n);
  assert.equal(full.result.usage['arag-no-nli'].degraded_users, n);
  for (const m of methods) {
    const r = full.result.methods[m];
    assert.ok(r['hit@5'] <= r['hit@10'] && r['ndcg@5'] <= r['ndcg@10'] && r.mrr > 0);
    assert.ok(r.ci['ndcg@5'][0] <= r['ndcg@5'] && r['ndcg@5'] <= r.ci['ndcg@5'][1]);
  }
  assert.ok(['recency', 'rag'].includes(full.result.best_baseline['ndcg@5']));
  assert.equal(full.result.gain_over_best_baseline[full.result.best_baseline['hit@5']]['hit@5'], 0);
  // The breakdown splits the same users: its groups' means average back to the whole.
  const bt = full.result.by_target;
  assert.equal(bt.in_history.users + bt.in_no_history.users, n);
  assert.ok(bt.in_no_history.users > 0, 'the sample data set holds targets no history holds');
  for (const m of methods) {
    const whole = (bt.in_history.users * (bt.in_history.methods[m]['ndcg@5'] ?? 0) + bt.in_no_history.users * (bt.in_no_history.methods[m]['ndcg@5'] ?? 0)) / n;
    close(whole, full.result.methods[m]['ndcg@5'], 2e-6);
  }
  assert.equal(bt.in_no_history.users ? bt.in_no_history.methods.popularity['ndcg@5'] : 0, 0);
  if (bt.in_no_history.users) {
    const md = toMarkdown(full.result);
    assert.match(md, new RegExp(`^By target: ${bt.in_history.users} users' targets are in some history, ${bt.in_no_history.users} are in none`, 'm'));
    assert.match(md, /^\| arag-no-nli \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \|$/m);
  }

  const dir = mkdtempSync(join(tmpdir(), 'arag-eval-ck-'));
  try {
    const ck = join(dir, 'run.checkpoint.jsonl');
    let seen = 0;
    const e2 = fakeEngine();
    await assert.rejects(
      runEval(ds, e2, {
        ...opts,
        checkpoint: ck,
        onUser: () => {
          if (++seen === Math.floor(n / 2)) throw new Error('interrupted');
        },
      }),
      /interrupted/,
    );
    assert.ok(existsSync(ck));
    // Simulate a write torn by the interruption.
    writeFileSync(ck, readFileSync(ck, 'utf8') + '{"i":9999,"user":"x","ran');
    const header = JSON.parse(readFileSync(ck, 'utf8').split('\n')[0]).header;
    const finished = readCheckpoint(ck, header).size;
    assert.ok(finished >= Math.floor(n / 2) - 3 && finished < n, `finished ${finished}`);
    // A checkpoint of another run is refused, not silently mixed in.
    await assert.rejects(runEval(ds, fakeEngine(), { ...opts, seed: 4, checkpoint: ck }), /different run \(differs in: seed\)/);
    const e3 = fakeEngine();
    const resumed = await runEval(ds, e3, { ...opts, checkpoint: ck });
    assert.equal(e3.calls.arag, 2 * (n - finished)); // finished users are not redone
    assert.equal(toJSON(resumed.result), toJSON(full.result));
    assert.ok(!existsSync(ck), 'checkpoint removed after a complete run');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('reports: Markdown rows per method, self-contained SVG', async () => {
  const ds = await loadDataset(tiny);
  const { result } = await runEval(ds, fakeEngine(), {
    negatives: 3,
    seed: 1,
    methods: ['recency', 'rag', 'arag'],
    resamples: 50,
    progress: null,
  });
  const md = toMarkdown(result);
  for (const m of ['recency', 'rag', 'arag']) assert.match(md, new RegExp(`^\\| ${m} \\| `, 'm'));
  assert.match(md, /\| Method \| NDCG@5 \| Hit@5 \| NDCG@10 \| Hit@10 \| MRR \| Gain NDCG@5 \| Gain Hit@5 \|/);
  const svg = toSVG(result);
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  assert.doesNotMatch(svg, /href|url\(|@import|@font-face|<script/);
  assert.equal((svg.match(/<rect [^>]*fill="#3b6fb6"><title>/g) || []).length, 3);
  assert.equal((svg.match(/<rect [^>]*fill="#e08a2c"><title>/g) || []).length, 3);
});

test('by target: each method scored apart on targets some history holds and on new items', () => {
  const rec = (target, a, b) => ({ target, ranks: { rag: a, arag: b } });
  // x and y are in some history, n is not; arag's null is a failed call (a miss).
  const records = [rec('x', 1, 2), rec('y', 6, 1), rec('n', 3, 9), rec('n', 1, null)];
  const bt = targetBreakdown(records, ['rag', 'arag'], (id) => id !== 'n');
  assert.equal(bt.in_history.users, 2);
  assert.equal(bt.in_no_history.users, 2);
  close(bt.in_history.methods.rag['ndcg@5'], 0.5, 1e-6); // (1 + 0) / 2
  close(bt.in_history.methods.arag['ndcg@5'], (1 / Math.log2(3) + 1) / 2, 1e-6);
  assert.equal(bt.in_history.methods.rag['hit@5'], 0.5);
  close(bt.in_no_history.methods.rag['ndcg@5'], (0.5 + 1) / 2, 1e-6);
  assert.equal(bt.in_no_history.methods.arag['ndcg@5'], 0);
  assert.equal(bt.in_no_history.methods.arag['hit@5'], 0);
  // A group without users has no scores, and the report leaves the table out.
  const none = targetBreakdown(records, ['rag'], () => true);
  assert.equal(none.in_no_history.users, 0);
  assert.equal(none.in_no_history.methods.rag['ndcg@5'], null);
});

test('progress: users done, rate and ETA; a line per 10% in logs, redrawn in place on a terminal', () => {
  let t = 0;
  const lines = [];
  const log = { isTTY: false, write: (x) => lines.push(x) };
  const p = new Progress(200, { stream: log, now: () => t });
  p.skip(50); // resumed: 50 from a checkpoint
  for (let i = 0; i < 150; i++) {
    t += 100; // 10 users per second
    p.tick();
  }
  p.finish();
  assert.equal(lines.length, 9, lines.join('')); // the first tick, then deciles 3..10
  assert.ok(lines.every((l) => l.endsWith('\n')));
  assert.match(lines[0], /^\[#+\.+\] 51\/200 users {2}10\.0 users\/s {2}ETA 15s\n$/);
  assert.match(lines[1], /^\[#+\.+\] 60\/200 users {2}10\.0 users\/s {2}ETA 14s\n$/);
  assert.match(lines.at(-1), /^\[#{24}\] 200\/200 users {2}10\.0 users\/s {2}ETA 0s\n$/);
  const tty = [];
  const term = { isTTY: true, write: (x) => tty.push(x) };
  t = 0;
  const q = new Progress(1000, { stream: term, now: () => t });
  for (let i = 0; i < 1000; i++) {
    t += 1;
    q.tick();
  }
  q.finish();
  assert.ok(tty.length >= 10 && tty.length < 30, `${tty.length} redraws`); // throttled to 10/s
  assert.ok(tty.slice(0, -1).every((x) => x.startsWith('\r') && x.endsWith('\x1b[K')));
  assert.equal(tty.at(-1), '\n');
  assert.match(tty.at(-2), /1000\/1000 users {2}1000\.0 users\/s {2}ETA 0s/);
});
