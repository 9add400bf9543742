// The LLM path's contract with hosts: every failed agent call is answered by the offline
// reasoner from the same input, with its cause (timeout, budget, deadline, network,
// status, refusal, cancelled); the recommendation's deadline is enforced by the engine;
// the budget counts calls, tokens and prompt bytes; and nothing a host passes in (an
// async onProgress, an adapter that throws or rejects, a fetch handler that throws)
// becomes an unhandled rejection.
import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { DIST, requireFile, within } from './helpers/common.mjs';
import { startOpenAIServer } from './helpers/openai-test-server.mjs';
import { loadSlice } from './helpers/data.mjs';

requireFile(join(DIST, 'index.mjs'), 'run `make wasm` first');
const lib = await import('../dist/index.mjs');
const { createArag, createRecommender, openAIChat, fromFunction } = lib;

const slice = loadSlice({ users: 2 });
const user = slice.users[0];
let server;
let arag;
const unhandled = [];
const onUnhandled = (e) => unhandled.push(e);

before(async () => {
  server = await startOpenAIServer();
  arag = await createArag();
  process.on('unhandledRejection', onUnhandled);
});
after(async () => {
  process.off('unhandledRejection', onUnhandled);
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

async function offlineResult(k = 20) {
  const rec = await makeRec('offline');
  const out = await rec.recommend({ candidates: user.candidates, k });
  rec.free();
  return out;
}

/** A port nothing listens on (bound, then closed). */
async function closedPort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

const settle = () => new Promise((r) => setTimeout(r, 20));

describe('fallback to the offline reasoner', { timeout: 120000 }, () => {
  test('every call failing gives exactly the offline backend\'s result', async () => {
    server.setFault(() => ({ status: 503 }));
    const rec = await makeRec(openAIChat({ baseURL: server.baseURL, model: 'm', ...fast, retries: 0 }));
    const out = await within(20000, rec.recommend({ candidates: user.candidates, k: 20 }));
    const off = await offlineResult(20);
    assert.deepEqual(out.items, off.items);
    assert.deepEqual(out.order, off.order);
    assert.equal(out.trace.s_user, off.trace.s_user);
    assert.equal(out.trace.s_ctx, off.trace.s_ctx);
    assert.equal(out.fallbacks.length, 5);
    assert.ok(out.fallbacks.every((f) => f.cause === 'status' && f.fallback === 'offline'));
    assert.ok(out.degraded.includes('uua:http_503') && out.degraded.includes('uua:offline'));
    assert.equal(server.chat().length, 5, 'each agent asked once (retries: 0)');
    rec.free();
  });

  test('distinct causes: network (connection refused), timeout, refusal, cancelled', async () => {
    // Connection refused: network.
    const port = await closedPort();
    let rec = await makeRec(openAIChat({ baseURL: `http://127.0.0.1:${port}/v1`, model: 'm', ...fast, retries: 0 }));
    let out = await within(20000, rec.recommend({ candidates: user.candidates }));
    assert.ok(out.fallbacks.every((f) => f.cause === 'network'), JSON.stringify(out.fallbacks));
    const uua = out.trace.messages.find((m) => m.agent === 'uua');
    assert.match(uua.response, /^network error: connection refused \(ECONNREFUSED\)$/);
    rec.free();
    // A hung call past its own time limit: timeout. (The limit is long enough that no other
    // call of a loaded machine reaches it.)
    server.setFault(({ agent }) => (agent === 'csa' ? { hang: true } : null));
    rec = await makeRec(openAIChat({ baseURL: server.baseURL, model: 'm', ...fast, timeoutMs: 2000, retries: 0 }));
    out = await within(20000, rec.recommend({ candidates: user.candidates }));
    assert.deepEqual(out.fallbacks, [{ step: 'csa', agent: 'csa', cause: 'timeout', fallback: 'offline', items: 0 }]);
    assert.ok(out.degraded.includes('csa:timeout') && out.degraded.includes('csa:offline'));
    rec.free();
    // An adapter whose own call is cancelled (not the recommendation): cancelled.
    const inner = openAIChat({ baseURL: server.baseURL, model: 'm', ...fast });
    const cancelling = fromFunction(async (req, { signal }) => {
      if (req.agent === 'ira') {
        const e = new Error('the shop cancelled this call');
        e.name = 'AbortError';
        throw e;
      }
      const r = await inner.complete(req, { signal });
      return { content: r.content, usage: { prompt_tokens: r.usage.promptTokens, completion_tokens: r.usage.completionTokens } };
    }, fast);
    server.reset();
    rec = await makeRec(cancelling);
    out = await within(20000, rec.recommend({ candidates: user.candidates }));
    assert.deepEqual(out.fallbacks, [{ step: 'ira', agent: 'ira', cause: 'cancelled', fallback: 'offline', items: user.candidates.length }]);
    rec.free();
  });

  test('an unreachable provider: once a call has failed with a network error, later calls are not sent', async () => {
    const port = await closedPort();
    const sent = [];
    const fetchCounting = (url, init) => {
      sent.push(JSON.parse(init.body).messages[0].content.slice(0, 40));
      return fetch(url, init);
    };
    const rec = await makeRec(openAIChat({ baseURL: `http://127.0.0.1:${port}/v1`, model: 'm', ...fast, retries: 1, fetch: fetchCounting }));
    const out = await within(20000, rec.recommend({ candidates: user.candidates, k: 20 }));
    // UUA and the two NLI batches went out together (twice each: one retry); CSA and IRA never left.
    assert.equal(sent.length, 6);
    assert.ok(!sent.some((c) => /Context Summary|Item Ranker/.test(c)));
    assert.ok(out.fallbacks.every((f) => f.cause === 'network' && f.fallback === 'offline'));
    assert.match(out.trace.messages.find((m) => m.agent === 'ira').response, /^not sent: an earlier call found the provider unreachable/);
    const off = await offlineResult(20);
    assert.deepEqual(out.order, off.order);
    rec.free();
  });

  test('fallback "retrieval": the old last resort, named with the same cause', async () => {
    server.setFault(({ agent }) => (agent === 'ira' ? { status: 500 } : null));
    const rec = await makeRec(openAIChat({ baseURL: server.baseURL, model: 'm', ...fast, retries: 0 }), { fallback: 'retrieval' });
    const out = await within(20000, rec.recommend({ candidates: user.candidates, k: 20 }));
    assert.deepEqual(out.fallbacks, [{ step: 'ira', agent: 'ira', cause: 'status', fallback: 'retrieval', items: 20 }]);
    assert.ok(out.degraded.includes('ira:fallback_order'));
    assert.deepEqual(out.order, out.trace.i0.map((x) => x.id));
    rec.free();
  });
});

describe('the deadline', { timeout: 120000 }, () => {
  test('a hung provider: the engine answers every waiting agent offline at deadline_ms', async () => {
    server.setFault(() => ({ hang: true }));
    const rec = await makeRec(openAIChat({ baseURL: server.baseURL, model: 'm', ...fast, timeoutMs: 60000 }), { deadline_ms: 500 });
    assert.equal(rec.config.deadline_ms, 500);
    const t0 = Date.now();
    const out = await within(10000, rec.recommend({ candidates: user.candidates, k: 20 }));
    const ms = Date.now() - t0;
    assert.ok(ms >= 490 && ms < 5000, `settled after ${ms} ms`);
    assert.equal(out.fallbacks.length, 5);
    assert.ok(out.fallbacks.every((f) => f.cause === 'deadline' && f.fallback === 'offline'));
    // CSA and IRA never left; the offline result is the offline backend's.
    assert.deepEqual(server.chat().map((e) => e.agent).sort(), ['nli', 'nli', 'uua']);
    const off = await offlineResult(20);
    assert.deepEqual(out.order, off.order);
    // The hung requests were aborted when the recommendation ended.
    await settle();
    assert.ok(server.chat().every((e) => e.aborted), 'no request left open');
    assert.equal(rec.sessions, 0);
    rec.free();
  });

  test('answers in time are kept; a per-request deadline overrides; 0 turns it off', async () => {
    server.setFault(({ agent }) => (agent === 'ira' ? { hang: true } : null));
    const rec = await makeRec(openAIChat({ baseURL: server.baseURL, model: 'm', ...fast, timeoutMs: 60000 }));
    assert.equal(rec.config.deadline_ms, 20000, 'the default');
    const out = await within(10000, rec.recommend({ candidates: user.candidates, config: { deadline_ms: 600 } }));
    assert.deepEqual(out.fallbacks.map((f) => [f.step, f.cause]), [['ira', 'deadline']]);
    assert.ok(out.trace.s_user.startsWith('server summary'), "the server's UUA answer is used");
    rec.free();
    // No deadline and a hung IRA with a short per-call timeout: the timeout names it.
    const rec2 = await makeRec(openAIChat({ baseURL: server.baseURL, model: 'm', ...fast, timeoutMs: 2000, retries: 0 }), { deadline_ms: 0 });
    const out2 = await within(10000, rec2.recommend({ candidates: user.candidates }));
    assert.deepEqual(out2.fallbacks.map((f) => [f.step, f.cause]), [['ira', 'timeout']]);
    rec2.free();
  });

  test('no retry is started past the deadline', async () => {
    server.setFault(({ agent }) => (agent === 'uua' ? { status: 503, retryAfter: 2 } : null));
    const rec = await makeRec(openAIChat({ baseURL: server.baseURL, model: 'm', ...fast, retries: 3 }), { deadline_ms: 800 });
    const t0 = Date.now();
    const out = await within(10000, rec.recommend({ candidates: user.candidates }));
    assert.ok(Date.now() - t0 < 2000, 'did not wait 2 s for a retry the deadline forbids');
    assert.equal(server.chat().filter((e) => e.agent === 'uua').length, 1);
    assert.deepEqual(out.fallbacks.map((f) => [f.step, f.cause]), [['uua', 'status']]);
    rec.free();
  });
});

describe('the budget in the adapter', { timeout: 120000 }, () => {
  test('promptBytes: calls whose prompt would pass the limit never leave', async () => {
    const llm = openAIChat({ baseURL: server.baseURL, model: 'm', ...fast });
    const rec = await makeRec(llm);
    const probe = await within(20000, rec.recommend({ candidates: user.candidates }));
    const uuaBytes = probe.trace.messages.find((m) => m.agent === 'uua').prompt_chars;
    server.reset();
    // Room for the UUA alone (its prompt is the smallest of the five).
    const out = await within(20000, rec.recommend({ candidates: user.candidates }, { budget: { promptBytes: uuaBytes + 10 } }));
    assert.deepEqual(server.chat().map((e) => e.agent), ['uua']);
    assert.equal(out.fallbacks.length, 4);
    assert.ok(out.fallbacks.every((f) => f.cause === 'budget'));
    assert.ok(out.usage.host.budget.usedPromptBytes <= uuaBytes + 10);
    rec.free();
  });

  test('tokens: max_tokens lowered to what is left, the reported total within the limit', async () => {
    const rec = await makeRec(openAIChat({ baseURL: server.baseURL, model: 'm', ...fast }), { max_tokens: 2000 });
    const out = await within(20000, rec.recommend({ candidates: user.candidates }, { budget: { tokens: 4000 } }));
    const log = server.chat();
    const used = log.reduce((n, e) => n + e.usage.prompt_tokens + e.usage.completion_tokens, 0);
    assert.ok(used <= 4000, `${used} tokens reported`);
    assert.ok(log.some((e) => e.maxTokens < 2000), 'some max_tokens lowered');
    assert.ok(out.fallbacks.some((f) => f.cause === 'budget'));
    assert.ok(out.trace.messages.some((m) => m.repairs.some((r) => r.includes('max_tokens_lowered_to_budget'))));
    rec.free();
  });
});

describe('no unhandled rejection from what a host passes in', { timeout: 120000 }, () => {
  test('an async onProgress that rejects, and one that throws', async () => {
    const rec = await makeRec(openAIChat({ baseURL: server.baseURL, model: 'm', ...fast }));
    const out = await within(20000, rec.recommend({ candidates: user.candidates }, { onProgress: async () => Promise.reject(new Error('listener failed')) }));
    assert.deepEqual(out.fallbacks, []);
    const out2 = await within(20000, rec.recommend({ candidates: user.candidates }, { onProgress: () => { throw new Error('sync listener'); } }));
    assert.deepEqual(out2.fallbacks, []);
    const off = await makeRec('offline');
    await off.recommend({ candidates: user.candidates }, { onProgress: async () => { throw new Error('offline listener'); } });
    off.free();
    rec.free();
    await settle();
    assert.deepEqual(unhandled, []);
  });

  test('adapters that throw synchronously, reject, or return nothing', async () => {
    const adapters = [
      { kind: 'llm', complete() { throw new Error('sync throw in complete'); } },
      { kind: 'llm', complete: async () => { throw new TypeError('async reject'); } },
      { kind: 'llm', complete: async () => undefined },
      fromFunction(() => { throw new Error('fn throws'); }, { ...fast, retries: 0 }),
      fromFunction(async () => { throw Object.assign(new Error('fn says 503'), { status: 503 }); }, { ...fast, retries: 0 }),
    ];
    const off = await offlineResult(10);
    for (const llm of adapters) {
      const rec = await makeRec(llm);
      const out = await within(20000, rec.recommend({ candidates: user.candidates }));
      assert.equal(out.fallbacks.length, 5);
      assert.deepEqual(out.order, off.order, 'the offline result');
      rec.free();
    }
    await settle();
    assert.deepEqual(unhandled, []);
  });

  test("the loader: a host fetch handler that throws fails the call, the session goes on", async () => {
    const raw = arag.raw;
    const eng = raw.scope((s) => {
      const [p, n] = s.str('{"backend":"host"}');
      const out = s.alloc(4);
      assert.equal(raw.fn.arag_engine_create(p, n, out), 0);
      return raw.getU32(out);
    });
    const catalog = arag.createCatalog({ dim: 512 });
    catalog.add(slice.items);
    raw.route(eng, () => {
      throw new Error('handler exploded');
    });
    const sid = raw.scope((s) => {
      const [p, n] = s.str(JSON.stringify({ candidates: user.candidates.slice(0, 5) }));
      const out = s.alloc(4);
      assert.equal(raw.fn.arag_recommend_start(eng, catalog.ptr, 0, p, n, out), 0);
      return raw.getU32(out);
    });
    // The failures arrive on later microtasks; CSA and IRA fail the same way after.
    for (let i = 0; i < 20; i++) await settle();
    const state = raw.scope((s) => {
      const out = s.alloc(4);
      raw.fn.arag_session_state_get(eng, sid, out);
      return raw.getU32(out);
    });
    assert.equal(state, 1, 'the session finished');
    const result = raw.scope((s) => {
      const out = s.alloc(8);
      assert.equal(raw.fn.arag_session_result(eng, sid, out, out + 4), 0);
      return JSON.parse(raw.getString(raw.getU32(out), raw.getU32(out + 4)));
    });
    assert.ok(result.fallbacks.every((f) => f.cause === 'network'));
    assert.match(result.trace.messages[0].response, /the host fetch handler threw: handler exploded/);
    raw.unroute(eng);
    raw.fn.arag_engine_free(eng);
    catalog.free();
    await settle();
    assert.deepEqual(unhandled, []);
  });
});
