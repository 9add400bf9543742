// Fault injection in the wasm builds: seeded recommendations against providers that
// answer slowly, time out, return 429/500, truncated or off-schema JSON, completions
// without choices, unknown or duplicate ids, or drop the connection; in process (a
// function adapter) and over HTTP (openAIChat against a local faulty server).
// Every call resolves, with a permutation of the candidates; each failed agent call is
// named in `degraded`; no session is left and the module's memory stays flat.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DIST, requireFile } from './helpers/common.mjs';
import { loadSlice } from './helpers/data.mjs';
import { faultSchedule, faultyFunction, startFaultServer, FAULTS } from './helpers/faults.mjs';

requireFile(join(DIST, 'index.mjs'), 'run `make wasm` first');
const { createArag, createRecommender, fromFunction, openAIChat } = await import('../dist/index.mjs');

const slice = loadSlice({ users: 8, negatives: 19 });
const STEP = /^(uua|csa|ira|nli_batch_\d+):/;
const CAUSES = ['network', 'timeout', 'budget', 'deadline', 'cancelled', 'refusal'];

/** Asserts the invariants of one result; returns the number of failed agent calls. */
function checkResult(out, candidates, k) {
  assert.equal(out.order.length, candidates.length, 'order holds every candidate');
  assert.deepEqual([...out.order].sort(), [...candidates].sort(), 'order is a permutation of the candidates');
  assert.deepEqual(out.items.map((i) => i.id), out.order.slice(0, k));
  for (const d of out.degraded) assert.match(d, STEP, `degradation named by its step: ${d}`);
  let failed = 0;
  for (const m of out.trace.messages) {
    if (m.status === 200) continue;
    failed++;
    // Statuses below 100 name why no answer came (arag_fetch_status); the rest are HTTP's.
    const want = m.status < 100 ? `:${CAUSES[m.status]}` : `:http_${m.status}`;
    assert.ok(m.degraded.some((d) => d.endsWith(want)), `message ${m.request_id} (${m.status}) names ${want}: ${JSON.stringify(m.degraded)}`);
    assert.ok(out.degraded.some((d) => d.endsWith(want)));
    // The offline reasoner answered in its place, and the result says why.
    assert.equal(m.fallback, 'offline', `message ${m.request_id}: answered offline`);
    assert.equal(m.cause, m.status < 100 ? CAUSES[m.status] : 'status');
    assert.ok(out.fallbacks.some((f) => f.cause === m.cause && f.fallback === 'offline'));
  }
  return failed;
}

/** Memory stays flat after warm-up: linear memory does not grow, and a 1 MiB probe block
 * lands no higher in the second half of the run than it did by the end of the first half
 * (warm-up included). Without a leak the probe may move between a few places, as which
 * blocks are live at a checkpoint varies with the user and the faults just served (seen:
 * two addresses 10 KB apart, alternating). This catches what outgrows the heap's free
 * space, such as sessions never freed; a small leak (1 KiB per recommendation, tried) is
 * carved from free space and leaves the probe where it was: LeakSanitizer finds those in
 * the native fault test (tests/test_faults.c). With `everyPoint`, every point of the
 * second half is checked, not only the end (over HTTP one point has been seen 200 KB
 * higher and back at the next, so there only the end is checked). */
function assertFlat({ warm, end, curve }, { everyPoint = false } = {}) {
  assert.equal(end.bytes, warm.bytes, `linear memory grew: ${JSON.stringify(curve)}`);
  const half = Math.floor(curve.length / 2);
  const early = Math.max(warm.probe, ...curve.slice(0, half).map(([, , probe]) => probe));
  const points = everyPoint ? curve.slice(half) : [];
  for (const [i, , probe] of points) assert.ok(probe <= early, `heap probe rose after ${i} recommendations (a leak): ${JSON.stringify(curve)}`);
  assert.ok(end.probe <= early, `heap probe rose (a leak): ${JSON.stringify(curve)}`);
}

function heap(arag) {
  const raw = arag.raw;
  const p = raw.malloc(1 << 20);
  raw.free(p);
  return { bytes: raw.u8().length, probe: p };
}

async function runMany(arag, llm, log, n) {
  const base = heap(arag);
  const rec = await createRecommender({ arag, catalog: slice.items, llm });
  const stats = { recs: 0, degradedRecs: 0, failedCalls: 0, cleanRecs: 0 };
  let warm = null;
  const curve = [];
  for (let i = 0; i < n; i++) {
    const u = slice.users[i % slice.users.length];
    rec.history.clear();
    rec.history.add(u.events);
    const before = log.length;
    // k = every candidate: the host library's order is the top k, so this checks the whole order
    const k = u.candidates.length;
    const out = await rec.recommend({ candidates: u.candidates, k });
    const mine = log.slice(before);
    stats.failedCalls += checkResult(out, u.candidates, k);
    if (mine.every((e) => e.kind === 'ok' || e.kind === 'slow')) {
      assert.deepEqual(out.degraded, [], 'no fault, no degradation');
      stats.cleanRecs++;
    }
    if (out.degraded.length) stats.degradedRecs++;
    assert.equal(rec.sessions, 0, 'no session left after a recommendation');
    stats.recs++;
    if (i === Math.min(50, n - 1)) warm = heap(arag);
    if ((i + 1) % Math.ceil(n / 10) === 0) {
      const h = heap(arag);
      curve.push([i + 1, h.bytes, h.probe]);
    }
  }
  const end = heap(arag);
  rec.free();
  const freed = heap(arag);
  return { stats, warm, end, curve, base, freed };
}

describe('fault injection, in process', { timeout: 180000 }, () => {
  const arags = {};
  before(async () => {
    arags.emscripten = await createArag({ kind: 'emscripten' });
    arags.wasi = await createArag({ kind: 'wasi' });
  });

  for (const [kind, n] of [['emscripten', 1200], ['wasi', 300]]) {
    test(`${kind}: ${n} seeded recommendations with every fault kind`, async () => {
      const schedule = faultSchedule({ seed: kind === 'wasi' ? 11 : 7, rate: 0.35, delayMs: 3 });
      const log = [];
      const llm = fromFunction(faultyFunction(schedule, log), { timeoutMs: 25, retries: 1, backoffMs: 1, maxBackoffMs: 2 });
      const run = await runMany(arags[kind], llm, log, n);
      const { stats, end, curve, base, freed } = run;
      for (const f of FAULTS) assert.ok(schedule.counts[f] > 0, `schedule injected ${f}`);
      assert.ok(stats.failedCalls > 0, 'some calls failed even after retries');
      assert.ok(stats.degradedRecs > 0 && stats.cleanRecs > 0);
      assertFlat(run, { everyPoint: true });
      assert.equal(freed.probe, base.probe, 'freeing the recommender returns the heap to where it was');
      console.log(`faults ${kind}: ${JSON.stringify({ ...stats, calls: schedule.total, injected: schedule.faults, counts: schedule.counts, memoryBytes: end.bytes, curve })}`);
    });
  }

  test('a cancelled recommendation leaves nothing behind', async () => {
    const arag = arags.emscripten;
    const schedule = faultSchedule({ seed: 3, rate: 1, kinds: ['timeout'] });
    const llm = fromFunction(faultyFunction(schedule), { timeoutMs: 60000, retries: 0 });
    const rec = await createRecommender({ arag, catalog: slice.items, llm });
    const before = heap(arag);
    for (let i = 0; i < 20; i++) {
      const u = slice.users[i % slice.users.length];
      rec.history.clear();
      rec.history.add(u.events);
      const ctrl = new AbortController();
      const p = rec.recommend({ candidates: u.candidates }, { signal: ctrl.signal });
      setTimeout(() => ctrl.abort(), 2);
      await assert.rejects(p, (e) => e.name === 'AbortError');
      assert.equal(rec.sessions, 0);
    }
    // As before the loop: no history (where the last one's events sit moves the probe).
    rec.history.clear();
    assert.deepEqual(heap(arag), before);
    rec.free();
  });
});

describe('fault injection over HTTP (openAIChat)', { timeout: 120000 }, () => {
  let server;
  let arag;
  before(async () => {
    arag = await createArag();
    server = await startFaultServer(faultSchedule({ seed: 5, rate: 0.35, delayMs: 5 }));
  });
  after(async () => {
    if (server) await server.close();
  });

  test('150 recommendations: drops, empty choices, 429/500, time-outs and bad JSON all end in a ranking', async () => {
    const llm = openAIChat({ baseURL: server.baseURL, model: 'faulty', timeoutMs: 250, retries: 1, backoffMs: 1, maxBackoffMs: 2 });
    const run = await runMany(arag, llm, server.log, 150);
    const { stats, base, freed } = run;
    for (const f of FAULTS) assert.ok(server.schedule.counts[f] > 0, `server injected ${f}`);
    assert.ok(server.log.some((e) => e.kind === 'drop'));
    assert.ok(stats.failedCalls > 0);
    assertFlat(run);
    assert.equal(freed.probe, base.probe);
    console.log(`faults http: ${JSON.stringify({ ...stats, calls: server.schedule.total, injected: server.schedule.faults, counts: server.schedule.counts })}`);
  });
});
