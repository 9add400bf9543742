// The host library in headless Chromium: the page loads /dist/ from a static server,
// runs index searches and recommendations (offline, and through the LLM test server on
// another origin: CORS), and the results are read back and compared with Node's.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT, DIST, requireFile, within } from './helpers/common.mjs';
import { startStaticServer } from './helpers/static-server.mjs';
import { launchChromium } from './helpers/chromium.mjs';
import { startOpenAIServer } from './helpers/openai-test-server.mjs';
import { loadSlice } from './helpers/data.mjs';

requireFile(join(DIST, 'index.mjs'), 'run `make wasm` first');
const { createArag, createRecommender } = await import('../dist/index.mjs');

const slice = loadSlice({ users: 1, catalogSize: 120 });
const u = slice.users[0];
const docs = slice.items.slice(0, 60).map((it) => ({ id: it.id, text: `${it.title} ${(it.categories || []).join(' ')}` }));
const queries = ['conditioner for dry hair', 'curling iron', 'hand cream'];

let web;
let llmServer;
let browser;
before(async () => {
  web = await startStaticServer(ROOT, ['/dist/', '/wasm-tests/pages/']);
  llmServer = await startOpenAIServer();
  browser = await within(60000, launchChromium(), 'Chromium launch');
  await browser.page.goto(`${web.url}/wasm-tests/pages/index.html`);
  await browser.page.waitForFunction(() => window.aragTest !== undefined, null, { timeout: 30000 });
});
after(async () => {
  if (browser) await browser.close();
  if (web) await web.close();
  if (llmServer) await llmServer.close();
});

const run = (fn, arg) => within(30000, browser.page.evaluate(([f, a]) => window.aragTest[f](a), [fn, arg]), fn);

async function nodeSearch(kind) {
  const arag = await createArag({ kind });
  const ix = arag.createIndex({ dim: 256 });
  for (const d of docs) ix.add(d.id, arag.embed(d.text, 256));
  const out = queries.map((q) => ix.search(arag.embed(q, 256), 5));
  ix.free();
  return out;
}

describe('chromium', { timeout: 120000 }, () => {
  for (const [kind, source] of [
    ['emscripten', 'default'],
    ['wasi', 'default'],
    ['emscripten', 'bytes'],
    ['wasi', 'module'],
  ]) {
    test(`index search, ${kind} module from ${source === 'default' ? 'its default URL' : source}`, async () => {
      const got = await run('search', { kind, source, docs, queries, k: 5 });
      assert.equal(got.kind, kind);
      const want = await nodeSearch(kind);
      assert.deepEqual(got.results, want);
      assert.deepEqual(got.restored, want);
      assert.deepEqual(got.error && [got.error.isAragError, got.error.code], [true, 'ARAG_E_DIM']);
    });
  }

  test('the .wasm files were served as application/wasm from dist/', () => {
    assert.ok(web.requests.includes('/dist/arag.wasm'));
    assert.ok(web.requests.includes('/dist/arag-wasi.wasm'));
  });

  test('offline recommendation read back from the page matches Node', async () => {
    const got = await run('recommend', { items: slice.items, events: u.events, candidates: u.candidates, k: 6 });
    assert.ok(got.ok, got.message);
    const rec = await createRecommender({ catalog: slice.items });
    rec.history.add(u.events);
    const want = await rec.recommend({ candidates: u.candidates, k: 6 });
    rec.free();
    assert.deepEqual(got.items, want.items);
    assert.deepEqual([...new Set(got.agents)].sort(), ['csa', 'ira', 'nli', 'uua']);
  });

  test('LLM recommendation from the page through the test server (CORS)', async () => {
    llmServer.reset();
    llmServer.setFault(({ agent, agentSeq }) => (agent === 'uua' && agentSeq === 1 ? { status: 429, retryAfterMs: 50 } : null));
    const got = await run('recommend', {
      items: slice.items,
      events: u.events,
      candidates: u.candidates,
      k: 20,
      llm: { baseURL: llmServer.baseURL, model: 'browser-model' },
      config: { shelf: false }, // the model's order as it answered it
    });
    assert.ok(got.ok, got.message);
    assert.deepEqual(got.degraded, []);
    const log = llmServer.chat();
    assert.equal(log.filter((e) => e.status === 200).length, 5);
    assert.ok(log.every((e) => e.model === 'browser-model' && e.headers.authorization === null), 'no key leaves the browser');
    assert.deepEqual(got.order, log.find((e) => e.agent === 'ira').answer.ranking.map((r) => r.id));
    const ends = got.progress.filter((e) => e.type === 'end');
    assert.equal(ends.length, 5);
    assert.equal(ends.find((e) => e.agent === 'uua').attempts, 2, 'the 429 was retried');
    assert.equal(got.responseFormat, 'json_schema');
  });

  test('cancellation in the page rejects with AbortError', async () => {
    llmServer.reset();
    llmServer.setFault(({ agent }) => (agent === 'nli' ? { hang: true } : null));
    const got = await run('recommend', {
      items: slice.items,
      events: u.events,
      candidates: u.candidates,
      llm: { baseURL: llmServer.baseURL, model: 'm' },
      abortAfterMs: 300,
    });
    assert.equal(got.ok, false);
    assert.equal(got.name, 'AbortError');
    assert.equal(got.sessions, 0);
    llmServer.setFault(null);
  });

  test('the deadline: 20 s by default; a hung provider is answered offline at the deadline', async () => {
    llmServer.reset();
    llmServer.setFault(() => ({ hang: true }));
    const got = await run('recommend', {
      items: slice.items,
      events: u.events,
      candidates: u.candidates,
      k: 5,
      llm: { baseURL: llmServer.baseURL, model: 'm', timeoutMs: 60000 },
      config: { deadline_ms: 400 },
    });
    assert.ok(got.ok, got.message);
    assert.equal(got.items.length, 5);
    assert.ok(got.ms >= 390 && got.ms < 5000, `settled after ${got.ms} ms`);
    assert.ok(got.fallbacks.length === 5 && got.fallbacks.every((f) => f.cause === 'deadline' && f.fallback === 'offline'), JSON.stringify(got.fallbacks));
    assert.equal(got.sessions, 0);
    const dflt = await run('recommend', { items: slice.items, events: u.events, candidates: u.candidates, k: 5 });
    assert.equal(dflt.deadlineMs, 20000);
    llmServer.setFault(null);
  });

  test('no errors on the page', () => {
    // Chromium logs every non-2xx fetch (the injected 429, the favicon's 404): not errors of the page.
    assert.deepEqual(browser.errors.filter((e) => !e.includes('Failed to load resource')), []);
  });
});
