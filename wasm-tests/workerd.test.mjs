// The host library in workerd (Miniflare): compiled-module imports for both builds, a
// search and a recommendation, offline and through the LLM test server over outbound
// fetch (OpenAI-compatible and a Workers AI stand-in).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { ROOT, DIST, requireFile, within } from './helpers/common.mjs';
import { startOpenAIServer } from './helpers/openai-test-server.mjs';
import { loadSlice } from './helpers/data.mjs';

requireFile(join(DIST, 'index.mjs'), 'run `make wasm` first');
const { createArag, createRecommender } = await import('../dist/index.mjs');

const slice = loadSlice({ users: 1, catalogSize: 120 });
const u = slice.users[0];
const docs = slice.items.slice(0, 80).map((it) => ({ id: it.id, text: `${it.title} ${(it.categories || []).join(' ')}` }));
const queries = ['hair conditioner for dry hair', 'curling iron', 'hand cream lotion', 'eyeliner pencil black'];

let mf;
let server;
before(async () => {
  server = await startOpenAIServer();
  mf = new Miniflare({
    modules: true,
    scriptPath: join(ROOT, 'wasm-tests', 'workers', 'worker.mjs'),
    modulesRoot: ROOT,
    modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
    compatibilityDate: '2024-09-23',
  });
  await within(60000, mf.ready, 'Miniflare start');
});
after(async () => {
  if (mf) await mf.dispose();
  if (server) await server.close();
});

async function post(path, body) {
  const r = await within(30000, mf.dispatchFetch(`http://worker${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }), path);
  const j = await r.json();
  return { status: r.status, body: j };
}

describe('workerd', { timeout: 120000 }, () => {
  for (const kind of ['emscripten', 'wasi']) {
    test(`search with the ${kind} module matches Node`, async () => {
      const { status, body } = await post('/search', { kind, docs, queries, k: 5 });
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.kind, kind);
      assert.equal(body.count, docs.length);
      const arag = await createArag({ kind });
      const ix = arag.createIndex({ dim: 256 });
      for (const d of docs) ix.add(d.id, arag.embed(d.text, 256));
      const want = queries.map((q) => ix.search(arag.embed(q, 256), 5));
      assert.deepEqual(body.results, want);
      assert.ok(body.results.every((r) => r.length === 5));
      ix.free();
    });
  }

  test('offline recommendation matches Node', async () => {
    const req = { kind: 'emscripten', items: slice.items, events: u.events, candidates: u.candidates, k: 6 };
    const { status, body } = await post('/recommend', req);
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.backend, 'offline');
    assert.equal(body.items.length, 6);
    const rec = await createRecommender({ catalog: slice.items });
    rec.history.add(u.events);
    const want = await rec.recommend({ candidates: u.candidates, k: 6 });
    assert.deepEqual(body.items, want.items);
    rec.free();
  });

  test('LLM recommendation through the test server (outbound fetch to 127.0.0.1)', async () => {
    server.reset();
    server.setFault(({ agent, agentSeq }) => (agent === 'nli' && agentSeq === 1 ? { status: 500 } : null));
    const { status, body } = await post('/recommend', {
      kind: 'wasi',
      items: slice.items,
      events: u.events,
      candidates: u.candidates,
      k: 20,
      llm: { baseURL: server.baseURL, model: 'edge-model' },
      config: { shelf: false }, // the model's order as it answered it
    });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.backend, 'host');
    assert.deepEqual(body.degraded, []);
    const log = server.chat();
    assert.ok(log.every((e) => e.model === 'edge-model'));
    assert.equal(log.filter((e) => e.agent === 'nli' && e.status === 500).length, 1, 'the 500 was retried');
    const ira = log.find((e) => e.agent === 'ira' && e.status === 200).answer.ranking.map((r) => r.id);
    assert.deepEqual(body.order, ira);
    assert.equal(body.progress.filter((e) => e.type === 'end').length, 5);
  });

  test('Workers AI adapter with a binding stand-in over HTTP', async () => {
    server.reset();
    const { status, body } = await post('/recommend', {
      kind: 'emscripten',
      items: slice.items,
      events: u.events,
      candidates: u.candidates,
      k: 5,
      llm: { aiURL: `${server.url}/ai/run`, model: '@cf/test/m' },
    });
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(body.degraded, []);
    assert.ok(server.chat().length === 5 && server.chat().every((e) => e.model === '@cf/test/m'));
    assert.ok(body.usage.prompt_tokens > 0);
  });

  test('the deadline in a Worker: 20 s by default; a hung provider is answered offline at the deadline', async () => {
    server.reset();
    server.setFault(() => ({ hang: true }));
    const { status, body } = await post('/recommend', {
      kind: 'emscripten',
      items: slice.items,
      events: u.events,
      candidates: u.candidates,
      k: 5,
      llm: { baseURL: server.baseURL, model: 'm', timeoutMs: 60000 },
      config: { deadline_ms: 400 },
    });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.items.length, 5);
    assert.ok(body.ms >= 390 && body.ms < 5000, `settled after ${body.ms} ms`);
    assert.equal(body.fallbacks.length, 5);
    assert.ok(body.fallbacks.every((f) => f.cause === 'deadline' && f.fallback === 'offline'), JSON.stringify(body.fallbacks));
    const dflt = await post('/recommend', { kind: 'wasi', items: slice.items, events: u.events, candidates: u.candidates, k: 3 });
    assert.equal(dflt.body.deadlineMs, 20000);
    server.setFault(null);
  });

  test('cancellation inside the worker rejects with AbortError', async () => {
    server.reset();
    server.setFault(({ agent }) => (agent === 'nli' ? { hang: true } : null));
    const { status, body } = await post('/recommend', {
      kind: 'emscripten',
      items: slice.items,
      events: u.events,
      candidates: u.candidates,
      llm: { baseURL: server.baseURL, model: 'm' },
      abortAfterMs: 300,
    });
    assert.equal(status, 500);
    assert.ok(['AbortError', 'TimeoutError'].includes(body.error.name), JSON.stringify(body.error));
    server.setFault(null);
  });
});
