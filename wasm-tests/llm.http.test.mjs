// The LLM adapters over real HTTP against a local OpenAI-compatible test server, with
// injected faults; plus unit tests of the shared retry logic with an in-process fetch.
import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DIST, requireFile, within } from './helpers/common.mjs';
import { startOpenAIServer } from './helpers/openai-test-server.mjs';
import { loadSlice } from './helpers/data.mjs';

requireFile(join(DIST, 'index.mjs'), 'run `make wasm` first');
const lib = await import('../dist/index.mjs');
const { createArag, createRecommender, openAIChat, workersAI, fromFunction, openAIEmbeddings, AragError } = lib;

const slice = loadSlice({ users: 2 });
const user = slice.users[0];
let server;
let arag;

before(async () => {
  server = await startOpenAIServer();
  arag = await createArag();
});
after(async () => {
  await server.close();
});
beforeEach(() => server.reset());

const fast = { backoffMs: 5, maxBackoffMs: 20, timeoutMs: 5000 };

async function makeRec(llm, config = {}) {
  // The shelf's rules off: these tests read the model's order as it answered it.
  const rec = await createRecommender({ arag, llm, config: { nli_batch: 10, shelf: false, ...config }, catalog: slice.items });
  rec.history.add(user.events);
  return rec;
}

function assertPermutationOf(order, candidates) {
  assert.equal(new Set(order).size, order.length, 'no duplicates');
  for (const id of order) assert.ok(candidates.includes(id), `${id} is a candidate`);
}

const byAgent = (log, a) => log.filter((e) => e.agent === a);

describe('openAIChat against the test server', { timeout: 120000 }, () => {
  test('success: four agents, usage reported, server ranking used', async () => {
    const llm = openAIChat({ baseURL: server.baseURL, model: 'test-model', apiKey: 'sk-test', headers: { 'x-test': 'hdr' }, maxTokens: 600, ...fast });
    const rec = await makeRec(llm);
    const events = [];
    const out = await within(20000, rec.recommend({ candidates: user.candidates, k: 20 }, { onProgress: (e) => events.push(e) }));
    const log = server.chat();
    assert.equal(byAgent(log, 'uua').length, 1);
    assert.equal(byAgent(log, 'nli').length, 2);
    assert.equal(byAgent(log, 'csa').length, 1);
    assert.equal(byAgent(log, 'ira').length, 1);
    assert.ok(log.every((e) => e.status === 200 && e.model === 'test-model' && e.responseFormat === 'json_schema'));
    assert.ok(log.every((e) => e.headers.authorization === 'Bearer sk-test' && e.headers.xTest === 'hdr'));
    assert.ok(log.every((e) => e.maxTokens === 600 && e.temperature === 0), 'maxTokens overrides, temperature from the engine');
    assert.deepEqual(out.degraded, []);
    // The final order is the server's IRA ranking.
    const ira = byAgent(log, 'ira')[0].answer.ranking.map((r) => r.id);
    assert.deepEqual(out.order, ira);
    assert.equal(out.items[0].reason, 'server rank 1');
    assertPermutationOf(out.order, user.candidates);
    assert.equal(out.order.length, 20);
    // Token usage from the server reaches the engine.
    const sentPrompt = log.reduce((s, e) => s + e.usage.prompt_tokens, 0);
    const sentCompletion = log.reduce((s, e) => s + e.usage.completion_tokens, 0);
    assert.equal(out.usage.prompt_tokens, sentPrompt);
    assert.equal(out.usage.completion_tokens, sentCompletion);
    assert.equal(out.usage.host.calls, 5);
    // Trace: every agent with status 200.
    const agents = out.trace.messages.map((m) => m.agent).sort();
    assert.deepEqual(agents, ['csa', 'ira', 'nli', 'nli', 'uua']);
    assert.ok(out.trace.messages.every((m) => m.status === 200));
    // Progress: a start and an end per request.
    assert.equal(events.filter((e) => e.type === 'start').length, 5);
    assert.equal(events.filter((e) => e.type === 'end' && e.status === 200).length, 5);
    assert.deepEqual(events.filter((e) => e.agent === 'nli' && e.type === 'start').map((e) => e.batch).sort(), [0, 1]);
    assert.equal(rec.sessions, 0);
    rec.free();
  });

  test('UUA and NLI are in flight at the same time (server clock)', async () => {
    server.setFault(({ agent }) => (agent === 'uua' || agent === 'nli' ? { delayMs: 150 } : null));
    const rec = await makeRec(openAIChat({ baseURL: server.baseURL, model: 'm', ...fast }));
    await within(20000, rec.recommend({ candidates: user.candidates }));
    const log = server.chat();
    const [uua] = byAgent(log, 'uua');
    const nli = byAgent(log, 'nli');
    assert.equal(nli.length, 2);
    for (const n of nli) assert.ok(n.start < uua.end && uua.start < n.end, 'intervals overlap');
    const [csa] = byAgent(log, 'csa');
    assert.ok(csa.start >= Math.max(uua.end, ...nli.map((n) => n.end)), 'CSA waits for UUA and NLI');
    rec.free();
  });

  test('429 with Retry-After is honoured', async () => {
    server.setFault(({ agent, agentSeq }) => (agent === 'uua' && agentSeq === 1 ? { status: 429, retryAfter: 1 } : null));
    const llm = openAIChat({ baseURL: server.baseURL, model: 'm', ...fast });
    const rec = await makeRec(llm);
    const out = await within(20000, rec.recommend({ candidates: user.candidates }));
    const uua = byAgent(server.chat(), 'uua');
    assert.equal(uua.length, 2);
    assert.equal(uua[0].status, 429);
    assert.equal(uua[1].status, 200);
    const waited = uua[1].start - uua[0].end;
    assert.ok(waited >= 950, `waited ${waited.toFixed(0)} ms after Retry-After: 1`);
    assert.deepEqual(out.degraded, []);
    assert.equal(out.usage.host.retries, 1);
    rec.free();
  });

  test('500 is retried with backoff', async () => {
    server.setFault(({ agent, agentSeq }) => (agent === 'nli' && agentSeq <= 2 ? { status: 500 } : null));
    const llm = openAIChat({ baseURL: server.baseURL, model: 'm', ...fast, backoffMs: 40 });
    const rec = await makeRec(llm);
    const out = await within(20000, rec.recommend({ candidates: user.candidates }));
    const nli = byAgent(server.chat(), 'nli');
    assert.equal(nli.filter((e) => e.status === 500).length, 2);
    assert.equal(nli.filter((e) => e.status === 200).length, 2);
    assert.deepEqual(out.degraded, []);
    assert.equal(out.usage.host.retries, 2);
    assert.ok(llm.stats.retries >= 2);
    rec.free();
  });

  test('retries give up: 500 on every attempt degrades the step', async () => {
    server.setFault(({ agent }) => (agent === 'csa' ? { status: 503 } : null));
    const rec = await makeRec(openAIChat({ baseURL: server.baseURL, model: 'm', ...fast, retries: 2 }));
    const out = await within(20000, rec.recommend({ candidates: user.candidates }));
    assert.equal(byAgent(server.chat(), 'csa').length, 3);
    assert.ok(out.degraded.includes('csa:http_503'), out.degraded.join());
    assert.ok(out.degraded.includes('csa:offline'), 'the offline reasoner wrote the context summary');
    assert.deepEqual(out.fallbacks, [{ step: 'csa', agent: 'csa', cause: 'status', fallback: 'offline', items: 0 }]);
    assert.ok(out.trace.s_ctx && out.trace.s_ctx.length > 0);
    assert.equal(out.items.length, 10);
    rec.free();
  });

  test('a hung call hits the timeout and the step degrades', async () => {
    server.setFault(({ agent }) => (agent === 'uua' ? { hang: true } : null));
    const rec = await makeRec(openAIChat({ baseURL: server.baseURL, model: 'm', ...fast, timeoutMs: 1500, retries: 1 }));
    const t0 = Date.now();
    const out = await within(20000, rec.recommend({ candidates: user.candidates }));
    const ms = Date.now() - t0;
    assert.ok(ms >= 3000 && ms < 15000, `${ms} ms: two attempts of 1,500 ms`);
    assert.ok(out.degraded.includes('uua:timeout'), out.degraded.join());
    assert.ok(out.degraded.includes('uua:offline'));
    const uuaMsg = out.trace.messages.find((m) => m.agent === 'uua');
    assert.equal(uuaMsg.status, 1, 'delivered as ARAG_FETCH_TIMEOUT');
    assert.equal(uuaMsg.cause, 'timeout');
    assert.equal(uuaMsg.fallback, 'offline');
    assert.ok(out.trace.s_user.length > 0, 'S_user from the offline reasoner');
    assert.equal(out.usage.host.timeouts, 1);
    // The other agents still ran.
    assert.equal(byAgent(server.chat(), 'ira')[0].status, 200);
    assert.equal(byAgent(server.chat(), 'uua').length, 2);
    rec.free();
  });

  test('truncated JSON content: with fallback "retrieval" the RAG order', async () => {
    server.setFault(({ agent }) => (agent === 'ira' ? { truncate: true } : null));
    const rec = await makeRec(openAIChat({ baseURL: server.baseURL, model: 'm', ...fast }), { fallback: 'retrieval' });
    const out = await within(20000, rec.recommend({ candidates: user.candidates, k: 20 }));
    assertPermutationOf(out.order, user.candidates);
    assert.equal(out.order.length, 20);
    const ira = out.trace.messages.find((m) => m.agent === 'ira');
    assert.ok(ira.degraded.length > 0, 'the cut answer is named');
    rec.free();
  });

  test('a truncated HTTP body is retried', async () => {
    server.setFault(({ agent, agentSeq }) => (agent === 'csa' && agentSeq === 1 ? { truncateBody: true } : null));
    const rec = await makeRec(openAIChat({ baseURL: server.baseURL, model: 'm', ...fast }));
    const out = await within(20000, rec.recommend({ candidates: user.candidates }));
    assert.equal(byAgent(server.chat(), 'csa').length, 2);
    assert.deepEqual(out.degraded, []);
    rec.free();
  });

  test('hallucinated and duplicate ids are dropped, missing ones appended', async () => {
    server.setFault(({ agent }) => (agent === 'ira' || agent === 'nli' ? { hallucinate: true } : null));
    const rec = await makeRec(openAIChat({ baseURL: server.baseURL, model: 'm', ...fast }));
    const out = await within(20000, rec.recommend({ candidates: user.candidates, k: 20 }));
    assertPermutationOf(out.order, user.candidates);
    assert.equal(out.order.length, 20);
    assert.ok(!out.order.some((id) => id.startsWith('HALLUCINATED')));
    const ira = out.trace.messages.find((m) => m.agent === 'ira');
    const notes = [...ira.repairs, ...ira.degraded].join(' ');
    assert.match(notes, /HALLUCINATED-1/);
    assert.match(notes, /duplicate/);
    // Apart from the injected ids, the server's order is kept.
    const sent = byAgent(server.chat(), 'ira')[0].answer.ranking.map((r) => r.id).filter((id) => !id.startsWith('HALLUCINATED'));
    const dedup = sent.filter((id, i) => sent.indexOf(id) === i);
    assert.deepEqual(out.order, dedup);
    rec.free();
  });

  test('cancellation mid-flight rejects with AbortError and aborts the requests', async () => {
    server.setFault(({ agent }) => (agent === 'nli' ? { hang: true } : null));
    const rec = await makeRec(openAIChat({ baseURL: server.baseURL, model: 'm', ...fast }));
    const ctrl = new AbortController();
    const events = [];
    const p = rec.recommend({ candidates: user.candidates }, { signal: ctrl.signal, onProgress: (e) => events.push(e) });
    // Wait until both NLI requests reached the server, then cancel.
    const t0 = Date.now();
    while (byAgent(server.chat(), 'nli').length < 2 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 10));
    assert.equal(byAgent(server.chat(), 'nli').length, 2);
    ctrl.abort();
    await assert.rejects(within(2000, p), (e) => e.name === 'AbortError');
    assert.equal(rec.sessions, 0);
    // The server sees the hung connections closed by the client.
    const t1 = Date.now();
    while (byAgent(server.chat(), 'nli').some((e) => !e.aborted) && Date.now() - t1 < 3000) await new Promise((r) => setTimeout(r, 10));
    assert.ok(byAgent(server.chat(), 'nli').every((e) => e.aborted));
    assert.equal(events.filter((e) => e.type === 'end' && e.agent === 'nli').length, 0, 'nothing half-done is reported');
    assert.equal(byAgent(server.chat(), 'ira').length, 0);
    // An already aborted signal rejects at once; the recommender still works after.
    await assert.rejects(rec.recommend({ candidates: user.candidates }, { signal: AbortSignal.abort() }), (e) => e.name === 'AbortError');
    server.setFault(null);
    const out = await within(20000, rec.recommend({ candidates: user.candidates }));
    assert.deepEqual(out.degraded, []);
    rec.free();
  });

  test('json_schema refused: falls back to json_object', async () => {
    server.setFault(() => ({ refuseSchema: true }));
    const llm = openAIChat({ baseURL: server.baseURL, model: 'm', ...fast });
    assert.equal(llm.responseFormat, 'json_schema');
    const rec = await makeRec(llm);
    const out = await within(20000, rec.recommend({ candidates: user.candidates }));
    assert.equal(llm.responseFormat, 'json_object');
    assert.deepEqual(out.degraded, []);
    const log = server.chat();
    const refused = log.filter((e) => e.status === 400);
    assert.ok(refused.length >= 1 && refused.every((e) => e.responseFormat === 'json_schema'));
    // After the fallback, every answered request used json_object, and the sticky
    // fallback means CSA and IRA never tried json_schema.
    assert.ok(log.filter((e) => e.status === 200).every((e) => e.responseFormat === 'json_object'));
    assert.ok(byAgent(log, 'ira').every((e) => e.responseFormat === 'json_object'));
    assert.equal(out.usage.host.retries, 0, 'a fallback is not a retry');
    rec.free();
  });

  test('budget exhausted: the remaining steps degrade', async () => {
    server.setFault(({ agent }) => (agent === 'nli' ? { delayMs: 50 } : null));
    const rec = await makeRec(openAIChat({ baseURL: server.baseURL, model: 'm', ...fast, budget: { calls: 2 } }));
    const out = await within(20000, rec.recommend({ candidates: user.candidates, k: 20 }, { budget: { calls: 2 } }));
    assert.equal(server.chat().length, 2, 'two calls reached the server');
    assert.equal(out.usage.host.budget.exhausted, true);
    assert.equal(out.usage.host.budget.usedCalls, 2);
    assert.ok(out.degraded.includes('ira:budget') && out.degraded.includes('ira:offline'), out.degraded.join());
    assert.ok(out.degraded.includes('csa:budget') && out.degraded.includes('csa:offline'));
    assert.equal(out.fallbacks.filter((f) => f.cause === 'budget').length, 3, 'one NLI batch, CSA and IRA');
    assertPermutationOf(out.order, user.candidates);
    // A token budget too small for any prompt: no call leaves.
    server.reset();
    const out2 = await within(20000, rec.recommend({ candidates: user.candidates }, { budget: { tokens: 10 } }));
    assert.equal(server.chat().length, 0);
    assert.ok(out2.usage.host.budget.exhausted);
    assert.equal(out2.fallbacks.length, 5);
    assert.ok(out2.fallbacks.every((f) => f.cause === 'budget' && f.fallback === 'offline'));
    rec.free();
  });

  test('concurrency limit bounds simultaneous requests', async () => {
    server.setFault(() => ({ delayMs: 60 }));
    const rec = await makeRec(openAIChat({ baseURL: server.baseURL, model: 'm', ...fast, concurrency: 2 }), { nli_batch: 4 });
    const out = await within(20000, rec.recommend({ candidates: user.candidates }));
    assert.equal(byAgent(server.chat(), 'nli').length, 5);
    assert.equal(server.maxInFlight, 2);
    assert.deepEqual(out.degraded, []);
    rec.free();
  });
});

describe('sessions', { timeout: 60000 }, () => {
  test('two recommendations in flight on one recommender', async () => {
    server.setFault(() => ({ delayMs: 30 }));
    const rec = await makeRec(openAIChat({ baseURL: server.baseURL, model: 'm', ...fast }));
    const other = slice.users[1].candidates;
    const [a, b] = await within(20000, Promise.all([rec.recommend({ candidates: user.candidates }), rec.recommend({ candidates: other })]));
    assert.equal(server.chat().length, 10);
    assert.ok(a.order.every((id) => user.candidates.includes(id)));
    assert.ok(b.order.every((id) => other.includes(id)));
    assert.deepEqual(a.degraded, []);
    assert.deepEqual(b.degraded, []);
    // The same answers one at a time.
    const a2 = await rec.recommend({ candidates: user.candidates });
    assert.deepEqual(a2.items, a.items);
    rec.free();
  });

  test('free() during a recommendation rejects it with ARAG_E_CANCELLED', async () => {
    server.setFault(({ agent }) => (agent === 'nli' ? { hang: true } : null));
    const rec = await makeRec(openAIChat({ baseURL: server.baseURL, model: 'm', ...fast }));
    const p = rec.recommend({ candidates: user.candidates });
    const t0 = Date.now();
    while (byAgent(server.chat(), 'nli').length < 2 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 10));
    rec.free();
    await assert.rejects(within(2000, p), (e) => e instanceof AragError && e.code === 'ARAG_E_CANCELLED');
  });
});

describe('other adapters over HTTP', { timeout: 60000 }, () => {
  test('fromFunction wrapping fetch to the server', async () => {
    const llm = fromFunction(async (req, { signal }) => {
      const r = await fetch(`${server.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-test': 'fn' },
        body: JSON.stringify({ model: 'fn-model', messages: req.messages }),
        signal,
      });
      if (!r.ok) throw Object.assign(new Error(`HTTP ${r.status}`), { status: r.status });
      const j = await r.json();
      return { content: j.choices[0].message.content, usage: j.usage };
    }, fast);
    server.setFault(({ agent, agentSeq }) => (agent === 'ira' && agentSeq === 1 ? { status: 502 } : null));
    const rec = await makeRec(llm);
    const out = await within(20000, rec.recommend({ candidates: user.candidates }));
    assert.deepEqual(out.degraded, []);
    assert.ok(server.chat().every((e) => e.headers.xTest === 'fn'));
    assert.equal(byAgent(server.chat(), 'ira').length, 2, 'the thrown status 502 was retried');
    assert.ok(out.usage.prompt_tokens > 0);
    rec.free();
  });

  test('workersAI with a binding that calls the server over HTTP', async () => {
    const calls = [];
    const AI = {
      async run(model, inputs) {
        calls.push({ model, inputs });
        const r = await fetch(`${server.url}/ai/run/${encodeURIComponent(model)}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(inputs),
        });
        const j = await r.json();
        if (!r.ok) throw new Error(`${r.status}: ${j.error ? j.error.message : 'error'}`);
        return j.result;
      },
    };
    server.setFault(({ agent, agentSeq }) => (agent === 'uua' && agentSeq === 1 ? { status: 429 } : null));
    const rec = await makeRec(workersAI(AI, { model: '@cf/test/model', ...fast }));
    const out = await within(20000, rec.recommend({ candidates: user.candidates }));
    assert.deepEqual(out.degraded, []);
    assert.ok(calls.every((c) => c.model === '@cf/test/model' && c.inputs.response_format.type === 'json_schema'));
    assert.equal(byAgent(server.chat(), 'uua').length, 2, 'capacity error (429) retried');
    assert.ok(server.chat().every((e) => e.model === '@cf/test/model'));
    assert.equal(out.usage.completion_tokens, server.chat().filter((e) => e.usage).reduce((s, e) => s + e.usage.completion_tokens, 0));
    rec.free();
  });

  test('openAIEmbeddings: vectors from the server feed the catalog and history', async () => {
    const embed = openAIEmbeddings({ baseURL: server.baseURL, model: 'emb', dim: 32, batchSize: 50, ...fast });
    const rec = await createRecommender({ arag, embed, catalog: slice.items });
    assert.equal(rec.catalog.count, slice.items.length);
    assert.equal(rec.catalog.index.dim, 32);
    await rec.history.add(slice.users[0].events.map((e) => ({ ...e, ...slice.items.find((i) => i.id === e.id) })));
    const embedCalls = server.log.filter((e) => e.agent === 'embeddings');
    assert.equal(embedCalls.length, Math.ceil(slice.items.length / 50) + 1, "catalog batches + one for the history");
    // The catalog vector of an item is the server's vector of its text.
    const it = slice.items[3];
    const [v] = await embed.embed([lib.itemText(it)]);
    const stored = rec.catalog.index.get(it.id);
    v.forEach((x, i) => assert.ok(Math.abs(x - stored[i]) < 1e-6));
    const out = await within(20000, rec.recommend({ candidates: user.candidates }));
    assert.equal(out.items.length, 10);
    // Events naming a catalog item (no text) take the catalog's vector: no request.
    const calls = server.log.length;
    rec.history.clear();
    await rec.history.add(slice.users[0].events);
    assert.equal(server.log.length, calls);
    assert.equal(rec.history.count, slice.users[0].events.length);
    // Errors: a failing embeddings server rejects add() and changes nothing.
    server.setFault(() => ({ status: 400 }));
    const before = rec.catalog.count;
    await assert.rejects(rec.catalog.add({ id: 'new-item', title: 'A new item' }), (e) => e instanceof AragError);
    assert.equal(rec.catalog.count, before);
    rec.free();
  });
});

describe('retry logic (in-process fetch)', () => {
  const req = { agent: 'uua', messages: [{ role: 'user', content: 'x' }], response_schema: { type: 'object' } };
  const reply = (status, body, headers = {}) => new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers });
  const ok = () => reply(200, { choices: [{ message: { content: '{"summary":"s"}' } }], usage: { prompt_tokens: 3, completion_tokens: 2 } });

  test('backoff grows exponentially with jitter within [50%, 100%]', () => {
    const o = { backoffMs: 100, maxBackoffMs: 1000 };
    assert.equal(lib.backoffDelay(0, o, () => 0), 50);
    assert.equal(lib.backoffDelay(0, o, () => 1), 100);
    assert.equal(lib.backoffDelay(2, o, () => 1), 400);
    assert.equal(lib.backoffDelay(3, o, () => 0.5), 600);
    assert.equal(lib.backoffDelay(10, o, () => 1), 1000);
  });

  test('Retry-After: seconds, HTTP date, retry-after-ms', () => {
    assert.equal(lib.parseRetryAfter(new Headers({ 'retry-after': '2' })), 2000);
    assert.equal(lib.parseRetryAfter(new Headers({ 'retry-after-ms': '150' })), 150);
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(lib.parseRetryAfter(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' }), now), 3000);
    assert.equal(lib.parseRetryAfter(new Headers({})), undefined);
    assert.equal(lib.parseRetryAfter(new Headers({ 'retry-after': 'soon' })), undefined);
  });

  test('retries 429/5xx/network errors, not 400; waits at least Retry-After', async () => {
    const script = [() => reply(429, 'slow down', { 'retry-after-ms': '120' }), () => { throw new TypeError('fetch failed'); }, () => reply(503, 'x'), ok];
    const times = [];
    const llm = openAIChat({ baseURL: 'http://fake/v1', fetch: async () => { times.push(Date.now()); return script.shift()(); }, backoffMs: 1, maxBackoffMs: 2, retries: 3 });
    const r = await llm.complete(req);
    assert.equal(r.status, 200);
    assert.equal(r.attempts, 4);
    assert.equal(r.retries, 3);
    assert.deepEqual(r.usage, { promptTokens: 3, completionTokens: 2, cachedPromptTokens: 0 });
    assert.ok(times[1] - times[0] >= 115, `${times[1] - times[0]} ms`);
    let n = 0;
    const bad = openAIChat({ baseURL: 'http://fake/v1', fetch: async () => { n++; return reply(401, 'no key'); }, backoffMs: 1 });
    const r2 = await bad.complete(req);
    assert.equal(r2.status, 401);
    assert.equal(n, 1);
    assert.equal(r2.attempts, 1);
  });

  test('a Retry-After beyond maxRetryAfterMs ends the retries', async () => {
    let n = 0;
    const llm = openAIChat({ baseURL: 'http://fake/v1', fetch: async () => { n++; return reply(429, 'x', { 'retry-after': '3600' }); }, maxRetryAfterMs: 1000 });
    const r = await llm.complete(req);
    assert.equal(r.status, 429);
    assert.equal(n, 1);
  });

  test('timeout per attempt, and abort while waiting for a retry', async () => {
    const hang = (_u, init) => new Promise((_, reject) => init.signal.addEventListener('abort', () => reject(init.signal.reason)));
    const llm = openAIChat({ baseURL: 'http://fake/v1', fetch: hang, timeoutMs: 50, retries: 1, backoffMs: 1 });
    const r = await llm.complete(req);
    assert.equal(r.status, 0);
    assert.equal(r.cause, 'timeout');
    assert.equal(r.attempts, 2);
    const slow = openAIChat({ baseURL: 'http://fake/v1', fetch: async () => reply(503, 'x'), backoffMs: 5000, maxBackoffMs: 5000 });
    const ctrl = new AbortController();
    setTimeout(() => ctrl.abort(), 30);
    const t0 = Date.now();
    await assert.rejects(slow.complete(req, { signal: ctrl.signal }), (e) => e.name === 'AbortError');
    assert.ok(Date.now() - t0 < 1000);
  });

  test('semaphore: at most n holders, aborted waiters leave the queue', async () => {
    const sem = new lib.Semaphore(2);
    const r1 = await sem.acquire();
    const r2 = await sem.acquire();
    assert.equal(sem.active, 2);
    const ctrl = new AbortController();
    const waiting = sem.acquire(ctrl.signal);
    let third = false;
    const p3 = sem.acquire().then((r) => {
      third = true;
      return r;
    });
    ctrl.abort();
    await assert.rejects(waiting, (e) => e.name === 'AbortError');
    assert.equal(third, false);
    r1();
    const r3 = await p3;
    assert.equal(third, true);
    assert.equal(sem.active, 2);
    r2();
    r3();
    r3(); // releasing twice is harmless
    assert.equal(sem.active, 0);
  });

  test('budget: calls, tokens and prompt bytes; a reservation lowers max_tokens', () => {
    const b = new lib.Budget({ calls: 2, tokens: 100 });
    assert.ok(b.take());
    b.addTokens(60);
    assert.ok(b.take());
    assert.equal(b.take(), null);
    assert.equal(b.exhausted, true);
    assert.match(b.refusal, /2 calls/);
    const req = (content, max_tokens) => ({ messages: [{ role: 'user', content }], max_tokens });
    const p = new lib.Budget({ promptBytes: 10 });
    assert.ok(p.take(req('héllo', 5)), '6 bytes');
    assert.equal(p.take(req('world', 5)), null, '6 + 5 > 10');
    assert.match(p.refusal, /prompt bytes/);
    assert.equal(p.toJSON().usedPromptBytes, 6);
    const t = new lib.Budget({ tokens: 200 });
    const r1 = t.take(req('x'.repeat(400), 1000));
    assert.equal(r1.maxTokens, 100, 'about 100 prompt tokens leave 100 for the answer');
    assert.equal(t.take(req('x'.repeat(40), 50)), null, 'everything is reserved');
    t.settle(r1, 130);
    assert.equal(t.take(req('x'.repeat(40), 50)).maxTokens, 50, '200 - 130 - 10 leaves room for 50');
    const counted = new lib.Budget({ tokens: 100 });
    assert.equal(counted.take(req('x'.repeat(400), 90), { countTokens: () => 20 }).maxTokens, 80);
    assert.throws(() => new lib.Budget({ calls: -1 }), AragError);
    assert.throws(() => new lib.Budget({ dollars: 1 }), AragError);
  });

  test('response_format falls back json_schema -> json_object -> none, with the schema in a message', async () => {
    const seen = [];
    const llm = openAIChat({
      baseURL: 'http://fake/v1',
      fetch: async (_u, init) => {
        const body = JSON.parse(init.body);
        const type = body.response_format ? body.response_format.type : 'none';
        seen.push({ type, messages: body.messages.length });
        if (type !== 'none') return reply(400, { error: { message: `response_format ${type} is unsupported` } });
        return ok();
      },
    });
    const r = await llm.complete(req);
    assert.equal(r.status, 200);
    assert.deepEqual(seen.map((x) => x.type), ['json_schema', 'json_object', 'none']);
    assert.equal(seen[2].messages, 2, 'the schema travels as a system message');
    assert.equal(llm.responseFormat, 'none');
    assert.equal(r.attempts, 1);
    await llm.complete(req);
    assert.equal(seen.length, 4, 'the fallback sticks');
    // A 400 that is not about the format is an answer, not a fallback.
    const plain = openAIChat({ baseURL: 'http://fake/v1', fetch: async () => reply(400, { error: { message: 'context length exceeded' } }) });
    assert.equal((await plain.complete(req)).status, 400);
    assert.equal(plain.responseFormat, 'json_schema');
  });

  test('workersAI: JSON mode refused falls back; capacity errors retried; object responses serialized', async () => {
    const inputs = [];
    let n = 0;
    const AI = {
      async run(_model, input) {
        inputs.push(input);
        n++;
        if (n === 1) throw new Error('3040: Capacity temporarily exceeded, please try again.');
        if (input.response_format) throw new Error('5006: response_format json_schema is not supported by this model');
        return { response: { summary: 'ok' }, usage: { prompt_tokens: 7, completion_tokens: 3 } };
      },
    };
    const llm = workersAI(AI, { model: '@cf/x', backoffMs: 1 });
    const r = await llm.complete(req);
    assert.equal(r.status, 200);
    assert.equal(r.content, '{"summary":"ok"}');
    assert.deepEqual(r.usage, { promptTokens: 7, completionTokens: 3, cachedPromptTokens: 0 });
    assert.equal(r.retries, 1);
    assert.equal(inputs.length, 3);
    assert.ok(!inputs[2].response_format);
  });

  test('adapter options are validated', () => {
    assert.throws(() => openAIChat({}), AragError);
    assert.throws(() => openAIChat({ baseURL: 'http://x/v1', concurrency: 0 }), AragError);
    assert.throws(() => openAIChat({ baseURL: 'http://x/v1', timeoutMs: -5 }), AragError);
    assert.throws(() => workersAI(null, { model: 'm' }), AragError);
    assert.throws(() => fromFunction('nope'), AragError);
  });
});
