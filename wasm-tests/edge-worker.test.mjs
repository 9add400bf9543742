// The edge worker template (examples/edge-worker) in workerd through Miniflare, as a shop
// uses it: the offline /recommend, an LLM-backed one with a page token against an
// OpenAI-compatible server on 127.0.0.1, Workers AI through a stand-in binding, the proxy,
// CORS for the OpenAI SDK's headers, flat memory over many requests, 4xx answers in
// OpenAI's error shape, and logs that hold counts only. (Attacks: edge-attacks.test.mjs.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { stageWorker, edgeMiniflare, workerModules, COMPAT_DATE, COMPAT_FLAGS } from './helpers/edge-worker.mjs';
import { startOpenAIServer } from './helpers/openai-test-server.mjs';
import { DIST } from './helpers/common.mjs';

const { signPageToken } = await import(join(DIST, 'page-token.mjs'));

const ORIGIN = 'https://shop.example';
const SECRET = 'edge-worker-test-secret-0123456789abcdef';
const KEY = 'test-upstream-key-1234567890';
const kinds = ['Lipstick', 'Nail Polish', 'Shampoo', 'Mascara', 'Serum', 'Face Cream'];
const items = Array.from({ length: 240 }, (_, i) => ({
  id: `P${String(i).padStart(4, '0')}`,
  title: `Brand${i % 7} ${kinds[i % kinds.length]} shade ${i}`,
  categories: ['Beauty', kinds[i % kinds.length]],
}));
const history = items.slice(0, 6).map((it, i) => ({ ...it, ts: i, kind: 'purchase' }));
const candidates = items.slice(100, 130);

let dir;
let llm;
let mfOffline;
let mfLlm;
let logs = '';
const log = (s) => (logs += s);

const post = (mf, path, body, headers = {}) =>
  mf.dispatchFetch(`http://edge.test${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const bearer = async (o = {}) => ({ Origin: ORIGIN, Authorization: `Bearer ${await signPageToken({ secret: SECRET, origin: ORIGIN, ...o })}` });

before(async () => {
  dir = stageWorker(mkdtempSync(join(tmpdir(), 'arag-edge-')));
  llm = await startOpenAIServer();
  mfOffline = edgeMiniflare(dir, { vars: { ALLOWED_ORIGINS: ORIGIN, MAX_TEXT_CHARS: '1000' }, ratePerMinute: 1000, log });
  mfLlm = edgeMiniflare(dir, {
    vars: { ARAG_LLM: 'openai', LLM_BASE_URL: llm.baseURL, LLM_MODEL: 'test-model', LLM_API_KEY: KEY, PAGE_TOKEN_SECRET: SECRET, ALLOWED_ORIGINS: ORIGIN },
    log,
  });
  await Promise.all([mfOffline.ready, mfLlm.ready]);
});

after(async () => {
  await mfOffline?.dispose();
  await mfLlm?.dispose();
  await llm?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function checkRecommendation(out, k, cands = candidates) {
  assert.equal(out.items.length, k);
  const ids = out.items.map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length, 'no duplicates');
  const candIds = new Set(cands.map((c) => c.id));
  for (const r of out.items) {
    assert.ok(candIds.has(r.id), `${r.id} is a candidate`);
    assert.ok(typeof r.reason === 'string' && r.reason.length > 0);
  }
  assert.ok(Array.isArray(out.degraded));
}

test('POST /recommend with the offline reasoner: open, no token needed', async () => {
  const res = await post(mfOffline, '/recommend', { history, candidates, k: 8 });
  assert.equal(res.status, 200, await res.clone().text());
  const out = await res.json();
  checkRecommendation(out, 8);
  assert.deepEqual(out.degraded, []);
  assert.equal(out.trace.level, 'summary', 'the default trace has no model text');
  const again = await (await post(mfOffline, '/recommend', { history, candidates, k: 8 })).json();
  assert.deepEqual(again.items, out.items);
  const noTrace = await (await post(mfOffline, '/recommend', { history, candidates, k: 3, options: { trace: false } })).json();
  assert.equal(noTrace.trace, undefined);
});

test('POST /recommend with an LLM: a page token, the operator\'s model and key, the server\'s ranking', async () => {
  llm.reset();
  const res = await post(mfLlm, '/recommend', { history, candidates, k: 5 }, await bearer());
  assert.equal(res.status, 200, await res.clone().text());
  const out = await res.json();
  checkRecommendation(out, 5);
  assert.deepEqual(out.degraded, []);
  // Each item keeps the model's reason for it (the shelf's rules may move it).
  const ranks = out.items.map((r) => Number((/^server rank (\d+)$/.exec(r.reason) || [])[1]));
  assert.ok(ranks.every((x) => x >= 1 && x <= 20) && new Set(ranks).size === ranks.length, ranks.join());
  const chat = llm.chat();
  assert.deepEqual([...new Set(chat.map((r) => r.agent))].sort(), ['csa', 'ira', 'nli', 'uua']);
  for (const r of chat) {
    assert.equal(r.headers.authorization, `Bearer ${KEY}`);
    assert.equal(r.model, 'test-model');
    assert.ok(r.maxTokens <= 3000, `${r.agent} asked ${r.maxTokens}`);
  }
  assert.ok(out.usage.prompt_tokens > 0);
  assert.ok(out.usage.prompt_bytes > 0);
  // options.llm = offline: no call, no token needed.
  const calls = llm.chat().length;
  const off = await post(mfLlm, '/recommend', { history, candidates, k: 5, options: { llm: 'offline' } });
  assert.equal(off.status, 200);
  assert.equal(llm.chat().length, calls);
});

test('the worker\'s max_tokens cap leaves IRA room to rank 50 candidates whole', async () => {
  llm.reset();
  const fifty = items.slice(100, 150);
  const res = await post(mfLlm, '/recommend', { history, candidates: fifty, k: 10, options: { config: { theta: 0 } } }, await bearer({ maxTokens: 1000000 }));
  assert.equal(res.status, 200, await res.clone().text());
  const out = await res.json();
  assert.deepEqual(out.degraded, [], 'no call cut short');
  const ira = llm.chat().filter((r) => r.agent === 'ira');
  assert.equal(ira.length, 1);
  assert.equal(ira[0].maxTokens, 3000, 'IRA asks 100 + 52 per candidate + 30 per cited item (10), within CAP_MAX_TOKENS');
  for (const r of llm.chat()) assert.ok(r.maxTokens <= 3000);
  // Every item keeps the model's reason for it: the whole ranking was read.
  const ranks = out.items.map((r) => Number((/^server rank (\d+)$/.exec(r.reason) || [])[1]));
  assert.ok(ranks.every((x) => x >= 1 && x <= 50) && new Set(ranks).size === ranks.length, ranks.join());
});

// A stand-in for the Workers AI binding (Miniflare does not run Workers AI): run() calls the
// test server's Workers AI-shaped route.
const AI_STANDIN = `
export default function (env) {
  return {
    async run(model, inputs) {
      const res = await fetch(env.BASE + '/ai/run/' + encodeURIComponent(model), {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(inputs),
      });
      const body = await res.json();
      if (!res.ok || !body.success) { const e = new Error('AI ' + res.status); e.status = res.status; throw e; }
      return body.result;
    },
  };
}`;

test('ARAG_LLM = workers-ai: /recommend and the proxy through the AI binding', async () => {
  const mf = new Miniflare({
    workers: [
      {
        name: 'edge',
        modules: workerModules(dir),
        modulesRoot: dir,
        compatibilityDate: COMPAT_DATE,
        compatibilityFlags: COMPAT_FLAGS,
        bindings: { ARAG_LLM: 'workers-ai', WORKERS_AI_MODEL: '@cf/test/model', PAGE_TOKEN_SECRET: SECRET, ALLOWED_ORIGINS: ORIGIN },
        durableObjects: { TOKEN_BUDGET: { className: 'TokenBudget', useSQLite: true } },
        wrappedBindings: { AI: { scriptName: 'ai-standin', bindings: { BASE: llm.url } } },
      },
      { name: 'ai-standin', modules: true, script: AI_STANDIN },
    ],
  });
  try {
    await mf.ready;
    llm.reset();
    const res = await post(mf, '/recommend', { history, candidates, k: 4 }, await bearer());
    assert.equal(res.status, 200, await res.clone().text());
    const out = await res.json();
    checkRecommendation(out, 4);
    // Each item keeps the model's reason for it (the shelf's rules may move it).
  const ranks = out.items.map((r) => Number((/^server rank (\d+)$/.exec(r.reason) || [])[1]));
  assert.ok(ranks.every((x) => x >= 1 && x <= 20) && new Set(ranks).size === ranks.length, ranks.join());
    for (const r of llm.chat()) assert.equal(r.path, '/ai/run/%40cf%2Ftest%2Fmodel');
    const p = await post(mf, '/v1/chat/completions', { model: 'x', messages: [{ role: 'user', content: 'hi' }] }, await bearer());
    assert.equal(p.status, 200, await p.clone().text());
    const body = await p.json();
    assert.equal(body.object, 'chat.completion');
    assert.equal(body.model, '@cf/test/model');
    assert.ok(body.usage.prompt_tokens > 0);
  } finally {
    await mf.dispose();
  }
});

test('CORS: the preflight allows the headers the OpenAI SDK sends, for allowed origins only', async () => {
  const asked = 'authorization, content-type, x-stainless-os, x-stainless-lang, x-stainless-retry-count, x-stainless-timeout, x-evil';
  let res = await mfLlm.dispatchFetch('http://edge.test/v1/chat/completions', {
    method: 'OPTIONS',
    headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': asked },
  });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get('Access-Control-Allow-Origin'), ORIGIN);
  const allowed = res.headers.get('Access-Control-Allow-Headers').split(', ');
  for (const h of ['authorization', 'content-type', 'x-stainless-os', 'x-stainless-retry-count', 'x-stainless-timeout']) assert.ok(allowed.includes(h), h);
  assert.ok(!allowed.includes('x-evil'));
  res = await mfLlm.dispatchFetch('http://edge.test/v1/chat/completions', { method: 'OPTIONS', headers: { Origin: 'https://evil.example' } });
  assert.equal(res.status, 403);
  assert.equal(res.headers.get('Access-Control-Allow-Origin'), null);
});

test('one module instance per isolate; memory stays flat over requests of both sizes', async () => {
  const health = async () => (await mfOffline.dispatchFetch('http://edge.test/health')).json();
  const big = { history, candidates: items.slice(0, 200), k: 10 };
  for (let i = 0; i < 5; i++) assert.equal((await post(mfOffline, '/recommend', big)).status, 200);
  const warm = await health();
  assert.equal(warm.instances, 1);
  for (let i = 0; i < 25; i++) assert.equal((await post(mfOffline, '/recommend', i % 2 ? big : { history, candidates, k: 5 })).status, 200);
  const hot = await health();
  assert.equal(hot.instances, 1);
  assert.equal(hot.recommends, warm.recommends + 25);
  assert.equal(hot.memoryBytes, warm.memoryBytes);
  assert.equal(hot.admission.recommendations, 0, 'nothing left admitted');
});

test('bad requests get 4xx in OpenAI\'s error shape, one prefix per message, and the worker keeps serving', async () => {
  const cases = [
    [() => post(mfOffline, '/recommend', '{"history": ['), 400, /^malformed JSON/],
    [() => post(mfOffline, '/recommend', '[1,2]'), 400, /JSON object/],
    [() => post(mfOffline, '/recommend', { history }), 400, /candidates/],
    [() => post(mfOffline, '/recommend', { history, candidates: items.slice(0, 201) }), 413, /limit is 200/],
    [() => post(mfOffline, '/recommend', { history, candidates: [{ id: 'a', title: 'y'.repeat(1001) }] }), 413, /title is 1001 characters/],
    [() => post(mfOffline, '/recommend', { history, candidates, k: 0 }), 400, /k must be/],
    [() => post(mfOffline, '/recommend', { history, candidates, options: { config: { theta: 0.5, evil: 1 } } }), 400, /options.config.evil is not a setting/],
    [() => post(mfOffline, '/recommend', { history, candidates }, { 'Content-Type': 'text/plain' }), 415, /Content-Type/],
    [() => post(mfOffline, '/recommend', { history: [{ id: 'h', title: 't', kind: 'stolen' }], candidates }), 400, /^ARAG_E_JSON: (?!.*ARAG_E_)/],
    [() => post(mfOffline, '/recommend', { history, candidates: [{ id: 'a', title: 't', vector: [1, 2] }] }), 400, /vector/],
    [() => post(mfOffline, '/recommend', { history, candidates: [candidates[0], candidates[0]] }), 400, /repeats/],
    [() => mfOffline.dispatchFetch('http://edge.test/recommend'), 405, /POST/],
    [() => mfOffline.dispatchFetch('http://edge.test/nope'), 404, /not found/],
  ];
  for (const [send, status, msg] of cases) {
    const res = await send(); // one at a time: concurrent ones may meet the admission cap
    const text = await res.text();
    assert.equal(res.status, status, text);
    const e = JSON.parse(text).error;
    assert.equal(typeof e.type, 'string');
    assert.ok('code' in e && 'param' in e);
    assert.match(e.message, msg);
  }
  const res = await post(mfOffline, '/recommend', { history, candidates, k: 4 });
  assert.equal(res.status, 200);
});

test('logs hold counts only, nothing of the requests', async () => {
  await new Promise((r) => setTimeout(r, 200));
  assert.match(logs, /"route":"\/recommend","status":200/);
  for (const c of candidates.slice(0, 5)) assert.ok(!logs.includes(c.id), 'no candidate ids in logs');
  assert.ok(!logs.includes(history[0].title), 'no item text in logs');
  assert.ok(!logs.includes(KEY), 'no key in logs');
});
