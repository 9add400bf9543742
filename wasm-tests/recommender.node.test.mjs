// Offline recommendation end to end in Node on a slice of amazon-beauty: the built-in
// reasoner answers the four agents inside the module.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { DIST, ROOT, requireFile, rng } from './helpers/common.mjs';
import { loadSlice } from './helpers/data.mjs';

requireFile(join(DIST, 'index.mjs'), 'run `make wasm` first');
const { createArag, createRecommender, AragError } = await import('../dist/index.mjs');

const slice = loadSlice({ users: 4 });
const itemById = new Map(slice.items.map((it) => [it.id, it]));

function shuffle(a, seed) {
  const r = rng(seed);
  const b = a.slice();
  for (let i = b.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [b[i], b[j]] = [b[j], b[i]];
  }
  return b;
}

async function aragError(promiseOrFn, code) {
  const check = (e) => {
    assert.ok(e instanceof AragError, `expected AragError, got ${e && e.name}: ${e && e.message}`);
    if (code) assert.equal(e.code, code, e.message);
    assert.ok(e.message.length > 0);
    return true;
  };
  if (typeof promiseOrFn === 'function') assert.throws(promiseOrFn, check);
  else await assert.rejects(promiseOrFn, check);
}

const arags = {};
before(async () => {
  arags.emscripten = await createArag({ kind: 'emscripten' });
  arags.wasi = await createArag({ kind: 'wasi' });
});

async function recFor(u, kind = 'emscripten', config = {}) {
  const rec = await createRecommender({ arag: arags[kind], catalog: slice.items, config });
  rec.history.add(u.events);
  return rec;
}

describe('offline recommender', () => {
  test('items with reasons and a trace with all four agents', async () => {
    const u = slice.users[0];
    const rec = await recFor(u);
    assert.equal(rec.backend, 'offline');
    assert.equal(rec.catalog.count, slice.items.length);
    assert.equal(rec.history.count, u.events.length);
    const progress = [];
    const out = await rec.recommend({ candidates: u.candidates, k: 8 }, { onProgress: (e) => progress.push(e) });
    assert.equal(out.items.length, 8);
    assert.deepEqual(out.order, out.items.map((i) => i.id));
    assert.equal(new Set(out.order).size, 8);
    for (const it of out.items) {
      assert.ok(u.candidates.includes(it.id));
      assert.equal(typeof it.reason, 'string');
      assert.ok(it.reason.length > 5, it.reason);
      assert.ok(Number.isFinite(it.score));
    }
    const agents = new Set(out.trace.messages.map((m) => m.agent));
    assert.deepEqual([...agents].sort(), ['csa', 'ira', 'nli', 'uua']);
    assert.ok(out.trace.messages.every((m) => m.status === 200));
    assert.equal(typeof out.trace.s_user, 'string');
    assert.ok(out.trace.s_user.length > 0);
    assert.deepEqual(out.degraded, []);
    // The trace's context is the user's history, session = the last 5 events.
    assert.deepEqual(out.trace.context.session, u.events.slice(-5).map((e) => e.id));
    // Offline progress is reported from the trace: a start and an end per agent call.
    assert.equal(progress.filter((e) => e.type === 'start').length, out.trace.messages.length);
    assert.ok(progress.filter((e) => e.type === 'end').every((e) => e.status === 200));
    assert.equal(rec.sessions, 0);
    rec.free();
  });

  test('the result as the engine wrote it: the trace parsed when first read, in its place among the keys', async () => {
    // A module of its own: its result export is watched for the engine's JSON text.
    const arag = await createArag({ kind: 'emscripten' });
    const u = slice.users[1];
    // Titles and ids that hold the bytes of the trace's key (escaped in JSON strings).
    const key = ',"trace":';
    const odd = [
      { id: `odd${key}1`, title: `Rose balm${key}{"x":1}`, text: `balm ${key} rose`, brand: `B${key}` },
      { id: 'odd2', title: `${key}${key}`, categories: [`Beauty${key}`] },
    ];
    const rec = await createRecommender({ arag, catalog: [...slice.items, ...odd] });
    rec.history.add([...u.events, { id: odd[0].id, ts: 1e9, kind: 'view' }]);
    const raw = rec._raw;
    const fn = raw.fn;
    const texts = [];
    raw.fn = Object.create(fn, {
      arag_session_result: {
        value: (eng, session, outPtr, outLen) => {
          const st = fn.arag_session_result(eng, session, outPtr, outLen);
          if (st === 0) texts.push(raw.getString(raw.getU32(outPtr), raw.getU32(outLen)));
          return st;
        },
      },
    });
    try {
      for (const candidates of [[...u.candidates, odd[0].id, odd[1].id], undefined]) {
        const out = await rec.recommend({ candidates, k: 6 });
        const engine = JSON.parse(texts.at(-1));
        assert.ok(texts.at(-1).includes(key.slice(1)), 'the result names its trace');
        assert.deepEqual(Object.keys(out), ['items', 'order', 'trace', 'usage', 'degraded', 'fallbacks', 'ms']);
        assert.deepEqual(out.items, engine.items);
        assert.deepEqual(out.degraded, engine.degraded);
        assert.deepEqual(out.fallbacks, engine.fallbacks);
        assert.deepEqual(out.trace, engine.trace);
        assert.equal(out.trace, out.trace, 'parsed once');
        // Serialized, cloned or spread, the trace is there like any other member.
        assert.deepEqual(JSON.parse(JSON.stringify(out)).trace, engine.trace);
        assert.deepEqual(structuredClone(out).trace, engine.trace);
        assert.deepEqual({ ...out }.trace, engine.trace);
      }
      assert.ok(texts.some((t) => t.includes(JSON.stringify(odd[0].title).slice(1, -1))), 'an odd title reached the result');
      const out = await rec.recommend({ k: 3 });
      out.trace = null; // writable, as before
      assert.equal(out.trace, null);
    } finally {
      raw.fn = fn;
      rec.free();
    }
  });

  test('permutation invariant: candidate and event order do not change the result', async () => {
    for (const u of slice.users.slice(0, 3)) {
      const rec = await recFor(u);
      const a = await rec.recommend({ candidates: u.candidates, k: 10 });
      const b = await rec.recommend({ candidates: shuffle(u.candidates, 5), k: 10 });
      assert.deepEqual(b.items, a.items);
      const rec2 = await createRecommender({ arag: arags.emscripten, catalog: shuffle(slice.items, 9) });
      rec2.history.add(shuffle(u.events, 3)); // events carry timestamps
      const c = await rec2.recommend({ candidates: shuffle(u.candidates, 8), k: 10 });
      assert.deepEqual(c.items, a.items);
      rec.free();
      rec2.free();
    }
  });

  test('the Emscripten and WASI builds recommend identically', async () => {
    const u = slice.users[1];
    const e = await recFor(u, 'emscripten');
    const w = await recFor(u, 'wasi');
    const a = await e.recommend({ candidates: u.candidates, k: 10 });
    const b = await w.recommend({ candidates: u.candidates, k: 10 });
    assert.deepEqual(b.items, a.items);
    assert.equal(b.trace.s_user, a.trace.s_user);
    e.free();
    w.free();
  });

  test('history snapshot / restore round trip', async () => {
    const u = slice.users[2];
    const rec = await recFor(u);
    const want = await rec.recommend({ candidates: u.candidates });
    const bytes = rec.history.snapshot();
    assert.ok(bytes instanceof Uint8Array && bytes.length > 0);
    rec.history.clear();
    assert.equal(rec.history.count, 0);
    rec.history.restore(bytes);
    assert.equal(rec.history.count, u.events.length);
    assert.deepEqual((await rec.recommend({ candidates: u.candidates })).items, want.items);
    // Into another recommender (another module build, even).
    const other = await createRecommender({ arag: arags.wasi, catalog: slice.items });
    other.history.restore(bytes);
    assert.deepEqual((await other.recommend({ candidates: u.candidates })).items, want.items);
    // Corrupt bytes: AragError, history unchanged.
    const bad = bytes.slice();
    bad[bad.length >> 1] ^= 0xff;
    await aragError(() => other.history.restore(bad), 'ARAG_E_CORRUPT');
    await aragError(() => other.history.restore(bytes.subarray(0, 10)), 'ARAG_E_CORRUPT');
    assert.equal(other.history.count, u.events.length);
    rec.free();
    other.free();
  });

  test('candidates as item objects, no catalog needed', async () => {
    const u = slice.users[0];
    const rec = await createRecommender({ arag: arags.emscripten });
    rec.history.add(u.events.map((e) => ({ ...e, ...itemById.get(e.id) })));
    const out = await rec.recommend({ candidates: u.candidates.map((id) => itemById.get(id)), k: 5 });
    assert.equal(out.items.length, 5);
    assert.ok(out.items.every((i) => u.candidates.includes(i.id)));
    rec.free();
  });

  test('catalog mode: without candidates, the top_k of the catalog', async () => {
    const u = slice.users[3];
    const rec = await recFor(u);
    const out = await rec.recommend({ topK: 30, k: 6 });
    assert.equal(out.items.length, 6);
    assert.ok(out.items.every((i) => rec.catalog.has(i.id)));
    assert.equal(out.trace.i0.length, 30);
    rec.free();
  });

  test('contextVector: searching the catalog with it gives catalog mode\'s candidates, in order', async () => {
    for (const kind of ['emscripten', 'wasi']) {
      const u = slice.users[3];
      const rec = await recFor(u, kind);
      const v = rec.contextVector();
      assert.ok(v instanceof Float32Array && v.length === 512);
      assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-4);
      const seen = new Set(u.events.map((e) => e.id));
      const found = rec.catalog.index.search(v, 30 + seen.size).map((m) => m.id).filter((id) => !seen.has(id)).slice(0, 30);
      const out = await rec.recommend({ topK: 30, k: 6 });
      assert.deepEqual(found, out.trace.i0.map((c) => c.id));
      rec.history.clear();
      assert.equal(rec.contextVector(), null, 'no history: no context');
      rec.free();
    }
  });

  test('sharedCatalog: one catalog, many recommenders, not freed with them', async () => {
    const arag = arags.emscripten;
    const catalog = arag.createCatalog({ dtype: 'int8' });
    catalog.add(slice.items);
    const own = await createRecommender({ arag, catalog: slice.items, catalogDtype: 'int8' });
    const recs = await Promise.all(slice.users.map(() => createRecommender({ arag, sharedCatalog: catalog })));
    for (const [i, u] of slice.users.entries()) {
      recs[i].history.add(u.events);
      own.history.clear();
      own.history.add(u.events);
      const [a, b] = await Promise.all([recs[i].recommend({ topK: 20, k: 5 }), own.recommend({ topK: 20, k: 5 })]);
      assert.deepEqual(a.order, b.order);
      assert.equal(recs[i].catalog.handle, catalog);
    }
    for (const r of recs) r.free();
    assert.equal(catalog.freed, false);
    assert.equal(catalog.count, slice.items.length);
    await aragError(createRecommender({ arag, sharedCatalog: catalog, catalogSnapshot: catalog.snapshot() }), 'ARAG_E_INVALID');
    await aragError(createRecommender({ arag: arags.wasi, sharedCatalog: catalog }), 'ARAG_E_INVALID');
    await aragError(createRecommender({ arag, sharedCatalog: {} }), 'ARAG_E_INVALID');
    const late = await createRecommender({ arag, sharedCatalog: catalog });
    catalog.free();
    await aragError(late.recommend({ topK: 5, k: 2 }), 'ARAG_E_STATE');
    late.free();
    await aragError(createRecommender({ arag, sharedCatalog: catalog }), 'ARAG_E_STATE');
    own.free();
  });

  test('an int8 catalog: smaller index, the same kind of answer, in both builds', async () => {
    const u = slice.users[3];
    for (const kind of ['emscripten', 'wasi']) {
      const f32 = await recFor(u, kind);
      const i8 = await createRecommender({ arag: arags[kind], catalog: slice.items, catalogDtype: 'int8' });
      i8.history.add(u.events);
      const idx8 = i8.catalog.index, idx32 = f32.catalog.index;
      assert.equal(idx8.count, idx32.count);
      assert.ok(idx8.memoryBytes < idx32.memoryBytes / 2, `${idx8.memoryBytes} vs ${idx32.memoryBytes}`);
      const a = await f32.recommend({ candidates: u.candidates, k: 10 });
      const b = await i8.recommend({ candidates: u.candidates, k: 10 });
      assert.equal(b.items.length, 10);
      assert.ok(b.items.every((i) => u.candidates.includes(i.id)));
      // Quantization moves scores a little, not the profile; most of the top 10 stays.
      assert.equal(b.trace.s_user, a.trace.s_user);
      const same = b.items.filter((i) => a.items.some((j) => j.id === i.id)).length;
      assert.ok(same >= 7, `${same} of 10 shared`);
      const top = await i8.recommend({ topK: 20, k: 5 });
      assert.equal(top.items.length, 5);
      f32.free();
      i8.free();
    }
    await aragError(() => arags.emscripten.createCatalog({ dtype: 'f16' }), 'ARAG_E_INVALID');
  });

  test('ablations switch agents off', async () => {
    const u = slice.users[0];
    const rec = await recFor(u, 'emscripten', { agents: { nli: false, csa: false } });
    const out = await rec.recommend({ candidates: u.candidates });
    const agents = new Set(out.trace.messages.map((m) => m.agent));
    assert.deepEqual([...agents].sort(), ['ira', 'uua']);
    const out2 = await rec.recommend({ candidates: u.candidates, config: { agents: { nli: true, csa: true, uua: false } } });
    assert.deepEqual([...new Set(out2.trace.messages.map((m) => m.agent))].sort(), ['csa', 'ira', 'nli']);
    rec.free();
  });

  test('offline reasoner weights are config: engine-wide, per request, validated', async () => {
    const catalog = [
      { id: 'a', title: 'Essie Nail Polish Pink' },
      { id: 'b', title: 'Essie Gel Couture Pink' },
      { id: 'c', title: 'Garden Hose Nozzle' },
    ];
    const rec = await createRecommender({ arag: arags.emscripten, catalog, config: { reasoner: { nli_rep: 4 } } });
    rec.history.add([{ id: 'a', ts: 1 }]);
    assert.equal(rec.config.reasoner.nli_rep, 4);
    assert.equal(rec.config.reasoner.nli_isim, 9, 'unset weights keep their defaults');
    // The TypeScript type names exactly the module's parameters.
    const dts = readFileSync(join(DIST, 'index.d.ts'), 'utf8');
    const union = /export type ReasonerParam =([^;]*);/.exec(dts)[1];
    const typed = [...union.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]).sort();
    assert.deepEqual(typed, Object.keys(rec.config.reasoner).sort());
    const nliScore = (out, id) => out.trace.nli.find((n) => n.id === id).score;
    const base = await rec.recommend({ candidates: ['b', 'c'] });
    assert.ok(nliScore(base, 'b') > nliScore(base, 'c'), 'shared title words count by default');
    // With every item-level weight at 0, NLI scores are the bias alone: the same for both.
    const off = { nli_isim: 0, nli_cat: 0, nli_line: 0, nli_rel: 0, nli_rep: 0, nli_price: 0 };
    const flat = await rec.recommend({ candidates: ['b', 'c'], config: { reasoner: off } });
    assert.equal(nliScore(flat, 'b'), nliScore(flat, 'c'));
    assert.equal(flat.trace.config.reasoner.nli_isim, 0);
    // A bad weight names itself and changes nothing.
    await assert.rejects(createRecommender({ arag: arags.emscripten, config: { reasoner: { nli_isimm: 1 } } }), (e) =>
      e.code === 'ARAG_E_INVALID' && /reasoner\.nli_isimm.*unknown parameter/.test(e.message));
    await assert.rejects(rec.recommend({ candidates: ['b', 'c'], config: { reasoner: { decay: 2 } } }), (e) =>
      e.code === 'ARAG_E_INVALID' && /reasoner\.decay.*\[0, 1\]/.test(e.message));
    await assert.rejects(rec.recommend({ candidates: ['b', 'c'], config: { reasoner: { sim_window: 'ten' } } }), (e) => e.code === 'ARAG_E_INVALID');
    const again = await rec.recommend({ candidates: ['b', 'c'] });
    assert.deepEqual(again.trace.nli, base.trace.nli);
    rec.free();
  });

  test('reasoner.ira_div: variants of one product stop filling the top, scores in [0, 1] and falling', async () => {
    // The demo's catalog and the demo's shopper: a serum, a perfume oil and a tinted sun
    // fluid bought. Variants share a title up to ", <shade>".
    const items = JSON.parse(readFileSync(join(ROOT, 'web', 'demo', 'catalog.json'), 'utf8')).items;
    const title = new Map(items.map((it) => [it.id, it.title]));
    const base = (id) => title.get(id).replace(/, [^,]*$/, '');
    const top = {};
    for (const div of [0, 1]) {
      // The shelf's rules off: this is IRA's own diversity step.
      const rec = await createRecommender({ arag: arags.emscripten, catalog: items, config: { top_k: 30, reasoner: { ira_div: div }, shelf: false } });
      rec.history.add([0, 3, 8].map((i, ts) => ({ id: items[i].id, ts, kind: 'purchase' })));
      const out = await rec.recommend({ k: 6 });
      assert.equal(out.trace.config.reasoner.ira_div, div);
      assert.equal(out.items.length, 6);
      out.items.forEach((it, i) => {
        assert.ok(it.score >= 0 && it.score <= 1, `${it.id}: ${it.score}`);
        if (i) assert.ok(it.score <= out.items[i - 1].score, 'scores fall down the list');
      });
      assert.ok(out.trace.messages.every((m) => !(m.repairs || []).length), 'the reasoner answers need no repair');
      top[div] = out.items.map((it) => it.id);
      rec.free();
    }
    const variantPairs = (ids) => ids.length - new Set(ids.map(base)).size;
    assert.ok(variantPairs(top[0]) >= 1, `without diversity two variants rank together: ${top[0].map((id) => title.get(id)).join(' | ')}`);
    assert.equal(variantPairs(top[1]), 0, top[1].map((id) => title.get(id)).join(' | '));
    assert.equal(top[1][0], top[0][0], 'the best item stays first');
    // The storefront shelf's defaults (no ira_div): no two variants either.
    const rec = await createRecommender({ arag: arags.emscripten, catalog: items, config: { top_k: 30 } });
    rec.history.add([0, 3, 8].map((i, ts) => ({ id: items[i].id, ts, kind: 'purchase' })));
    const shelf = (await rec.recommend({ k: 6 })).items.map((it) => it.id);
    rec.free();
    assert.equal(variantPairs(shelf), 0, shelf.map((id) => title.get(id)).join(' | '));
  });

  test('errors surface as AragError and change nothing', async () => {
    const u = slice.users[0];
    const rec = await recFor(u);
    await aragError(createRecommender({ arag: arags.emscripten, config: { theta: 'high' } }));
    // A refused engine config names the key, not only the status.
    await assert.rejects(createRecommender({ arag: arags.emscripten, config: { thetaa: 0.2 } }), (e) =>
      e.code === 'ARAG_E_INVALID' && /unknown config key "thetaa"/.test(e.message));
    await aragError(createRecommender({ arag: arags.emscripten, config: { backend: 'host' } }), 'ARAG_E_INVALID');
    await aragError(createRecommender({ arag: arags.emscripten, llm: 'gpt' }), 'ARAG_E_INVALID');
    await aragError(rec.recommend({ candidates: [42] }));
    await aragError(rec.recommend({ candidates: 'B0001' }), 'ARAG_E_INVALID');
    await aragError(rec.recommend({ candidates: u.candidates, k: 0 }), 'ARAG_E_INVALID');
    await aragError(rec.recommend({ candidates: u.candidates, config: { theta: 7 } }));
    const n = rec.catalog.count;
    await aragError(() => rec.catalog.add([{ id: 'ok-1', title: 'fine' }, { id: 'bad' }]));
    await aragError(() => rec.catalog.add('{"id": "x", "title": '), 'ARAG_E_JSON');
    assert.equal(rec.catalog.count, n, 'all or nothing');
    const h = rec.history.count;
    await aragError(() => rec.history.add([{ id: 'x', ts: 1 }, { id: 'y', ts: 'yesterday' }]));
    await aragError(() => rec.history.add('not json'), 'ARAG_E_JSON');
    await aragError(() => rec.history.add({ id: 'z', ts: 1, kind: 'stare' }));
    assert.equal(rec.history.count, h);
    assert.equal(rec.sessions, 0);
    // Still works after all that.
    assert.equal((await rec.recommend({ candidates: u.candidates })).items.length, 10);
    rec.free();
    await aragError(rec.recommend({ candidates: u.candidates }), 'ARAG_E_STATE');
    rec.free();
  });
});
