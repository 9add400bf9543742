// The edge worker (examples/edge-worker/worker.mjs) in workerd through Miniflare:
// /recommend with the offline reasoner and with an OpenAI-compatible server on
// 127.0.0.1, the key-adding proxy's origin check, size limit and rate limit, and 4xx
// answers to bad requests after which the worker keeps serving.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { prepare, miniflareModules } from '../examples/edge-worker/prepare.mjs';
import { startOpenAIServer } from './helpers/openai-test-server.mjs';
import { sampleDataSet } from './helpers/data.mjs';

const DATA = sampleDataSet();
const ORIGIN = 'https://shop.example';
const KEY = 'test-upstream-key-123';

const items = readFileSync(join(DATA, 'items.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .slice(0, 400)
  .map((l) => JSON.parse(l));
const history = items.slice(0, 6).map((it, i) => ({ id: it.id, title: it.title, categories: it.categories, ts: i, kind: 'purchase' }));
const candidates = items.slice(100, 130).map((it) => ({ id: it.id, title: it.title, categories: it.categories }));

// A minimal upstream for the proxy: records what reached it, answers one completion.
function startEchoUpstream() {
  const seen = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen.push({ url: req.url, auth: req.headers.authorization, origin: req.headers.origin, body: JSON.parse(body) });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({
        id: 'x', object: 'chat.completion', created: 0, model: 'echo',
        choices: [{ index: 0, message: { role: 'assistant', content: '{"ok":true}' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
      }));
    });
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok({ server, seen, url: `http://127.0.0.1:${server.address().port}/v1` })));
}

let dir;
let upstream;
let llmServer;
let mfOffline;
let mfLlm;
let mfAI;
let logs = '';

function miniflare(bindings) {
  return new Miniflare({
    modules: miniflareModules(dir),
    modulesRoot: dir,
    compatibilityDate: '2025-06-01',
    compatibilityFlags: ['nodejs_compat'], // as in wrangler.toml
    bindings,
    handleRuntimeStdio(stdout, stderr) {
      stdout.on('data', (d) => (logs += d));
      stderr.on('data', (d) => (logs += d));
    },
  });
}

const post = (mf, path, body, headers = {}) =>
  mf.dispatchFetch(`http://edge.test${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'arag-edge-'));
  prepare(dir);
  upstream = await startEchoUpstream();
  llmServer = await startOpenAIServer();
  mfOffline = miniflare({
    ARAG_LLM: 'offline',
    LLM_BASE_URL: upstream.url,
    LLM_MODEL: 'forced-model',
    LLM_API_KEY: KEY,
    ALLOWED_ORIGINS: `${ORIGIN},https://other.example`,
    PROXY_MAX_BYTES: '4096',
    MAX_CANDIDATES: '200',
    MAX_TEXT_CHARS: '1000',
    RATE_LIMIT_PER_MINUTE: '3',
  });
  await mfOffline.ready;
});

after(async () => {
  if (mfOffline) await mfOffline.dispose();
  if (mfLlm) await mfLlm.dispose();
  if (mfAI) await mfAI.dispose();
  if (upstream) upstream.server.close();
  if (llmServer) await llmServer.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function checkRecommendation(out, k) {
  assert.equal(out.items.length, k);
  const candIds = new Set(candidates.map((c) => c.id));
  const ids = out.items.map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length, 'no duplicates');
  for (const r of out.items) {
    assert.ok(candIds.has(r.id), `${r.id} is a candidate`);
    assert.equal(typeof r.reason, 'string');
    assert.ok(r.reason.length > 0);
  }
  assert.ok(Array.isArray(out.degraded));
  assert.ok(out.usage && typeof out.usage === 'object');
  const agents = new Set(out.trace.messages.map((m) => m.agent));
  for (const a of ['uua', 'nli', 'csa', 'ira']) assert.ok(agents.has(a), `trace has ${a}`);
}

test('POST /recommend with the offline reasoner', async () => {
  const res = await post(mfOffline, '/recommend', { history, candidates, k: 8 });
  assert.equal(res.status, 200, await res.clone().text());
  const out = await res.json();
  checkRecommendation(out, 8);
  assert.deepEqual(out.degraded, []);
  // Instances are reused: a second request works the same on the same isolate.
  const again = await (await post(mfOffline, '/recommend', { history, candidates, k: 8 })).json();
  assert.deepEqual(again.items.map((r) => r.id), out.items.map((r) => r.id));
  const noTrace = await (await post(mfOffline, '/recommend', { history, candidates, k: 3, options: { trace: false } })).json();
  assert.equal(noTrace.items.length, 3);
  assert.equal(noTrace.trace, undefined);
});

test('POST /recommend through an OpenAI-compatible server on 127.0.0.1', async () => {
  mfLlm = miniflare({ ARAG_LLM: 'openai', LLM_BASE_URL: llmServer.baseURL, LLM_MODEL: 'test-model', LLM_API_KEY: KEY });
  await mfLlm.ready;
  const res = await post(mfLlm, '/recommend', { history, candidates, k: 5 });
  assert.equal(res.status, 200, await res.clone().text());
  const out = await res.json();
  checkRecommendation(out, 5);
  assert.deepEqual(out.degraded, []);
  const chat = llmServer.chat();
  const agents = new Set(chat.map((r) => r.agent));
  for (const a of ['uua', 'nli', 'csa', 'ira']) assert.ok(agents.has(a), `${a} went to the server`);
  for (const r of chat) {
    assert.equal(r.headers.authorization, `Bearer ${KEY}`);
    assert.equal(r.model, 'test-model');
    assert.equal(r.path, '/v1/chat/completions');
    assert.equal(r.status, 200);
  }
  // The ranker's answer decides the order: the server's ranking, with its reasons.
  out.items.forEach((r, i) => assert.equal(r.reason, `server rank ${i + 1}`));
  assert.match(out.trace.s_user, /^server summary of 6 events/);
  assert.ok(out.usage.prompt_tokens > 0, `token usage reported: ${JSON.stringify(out.usage)}`);
  const calls = llmServer.chat().length;
  // options.llm = offline overrides the configured model per request.
  const off = await (await post(mfLlm, '/recommend', { history, candidates, k: 5, options: { llm: 'offline' } })).json();
  checkRecommendation(off, 5);
  assert.equal(llmServer.chat().length, calls, 'the offline request made no LLM call');
});

// A stand-in for the Workers AI binding: a wrapped binding whose run() calls the test
// server's Workers AI-shaped route.
const AI_STANDIN = `
export default function (env) {
  return {
    async run(model, inputs) {
      const res = await fetch(env.BASE + '/ai/run/' + encodeURIComponent(model), {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(inputs),
      });
      const body = await res.json();
      if (!res.ok || !body.success) {
        const e = new Error('AI ' + res.status);
        e.status = res.status;
        throw e;
      }
      return body.result;
    },
  };
}`;

// A stand-in for a rate-limiting binding: allows two calls, then refuses.
const LIMITER_STANDIN = `
export default function () {
  let calls = 0;
  return { async limit({ key }) { calls++; return { success: calls <= 2 && typeof key === 'string' }; } };
}`;

test('ARAG_LLM = workers-ai: /recommend and the proxy through the AI binding, a rate-limiting binding', async () => {
  mfAI = new Miniflare({
    workers: [
      {
        name: 'edge',
        modules: miniflareModules(dir),
        modulesRoot: dir,
        compatibilityDate: '2025-06-01',
        compatibilityFlags: ['nodejs_compat'],
        bindings: { ARAG_LLM: 'workers-ai', WORKERS_AI_MODEL: '@cf/test/model', ALLOWED_ORIGINS: ORIGIN },
        wrappedBindings: {
          AI: { scriptName: 'ai-standin', bindings: { BASE: llmServer.url } },
          RATE_LIMITER: { scriptName: 'limiter-standin' },
        },
      },
      { name: 'ai-standin', modules: true, script: AI_STANDIN },
      { name: 'limiter-standin', modules: true, script: LIMITER_STANDIN },
    ],
    handleRuntimeStdio(stdout, stderr) {
      stdout.on('data', (d) => (logs += d));
      stderr.on('data', (d) => (logs += d));
    },
  });
  await mfAI.ready;
  llmServer.reset();
  const res = await post(mfAI, '/recommend', { history, candidates, k: 4 });
  assert.equal(res.status, 200, await res.clone().text());
  const out = await res.json();
  checkRecommendation(out, 4);
  assert.deepEqual(out.degraded, []);
  out.items.forEach((r, i) => assert.equal(r.reason, `server rank ${i + 1}`));
  const chat = llmServer.chat();
  assert.deepEqual([...new Set(chat.map((r) => r.agent))].sort(), ['csa', 'ira', 'nli', 'uua']);
  for (const r of chat) {
    assert.equal(r.path, '/ai/run/%40cf%2Ftest%2Fmodel');
    assert.equal(r.model, '@cf/test/model');
  }
  // The proxy answers browser clients from the binding too, in the OpenAI shape.
  const p = await post(mfAI, '/v1/chat/completions', { messages: [{ role: 'user', content: 'hi' }] }, { Origin: ORIGIN });
  assert.equal(p.status, 200, await p.clone().text());
  const body = await p.json();
  assert.equal(body.object, 'chat.completion');
  assert.equal(body.model, '@cf/test/model');
  assert.equal(typeof body.choices[0].message.content, 'string');
  assert.ok(body.usage.prompt_tokens > 0);
  // The binding said no to the third call (the recommendation and the proxy call used two).
  const third = await post(mfAI, '/v1/chat/completions', { messages: [{ role: 'user', content: 'hi' }] }, { Origin: ORIGIN });
  assert.equal(third.status, 429);
  assert.equal(third.headers.get('Retry-After'), '60');
  const offline = await post(mfAI, '/recommend', { history, candidates, k: 4, options: { llm: 'offline' } });
  assert.equal(offline.status, 200, 'offline recommendations are not rate-limited');
});

test('one module instance per isolate; handles are freed (memory stays flat)', async () => {
  const health = async () => (await mfOffline.dispatchFetch('http://edge.test/health')).json();
  // Requests alternate between 200 and 30 candidates; a leaked handle would move the top
  // of the module's heap, which /health probes.
  const big = { history, candidates: items.slice(0, 200).map((it) => ({ id: it.id, title: it.title, categories: it.categories })), k: 10 };
  for (let i = 0; i < 5; i++) assert.equal((await post(mfOffline, '/recommend', big)).status, 200);
  const warm = await health();
  assert.equal(warm.ok, true);
  assert.equal(warm.instances, 1);
  assert.ok(warm.memoryBytes > 0);
  for (let i = 0; i < 25; i++) assert.equal((await post(mfOffline, '/recommend', i % 2 ? big : { history, candidates, k: 5 })).status, 200);
  const hot = await health();
  assert.equal(hot.instances, 1);
  assert.equal(hot.recommends, warm.recommends + 25);
  // With every request's handles freed, neither the memory nor the heap grows.
  assert.equal(hot.memoryBytes, warm.memoryBytes);
  assert.equal(hot.heapProbe, warm.heapProbe, 'the heap did not grow');
});

test('the proxy checks the origin, adds the key, and forces the configured model', async () => {
  const req = { model: 'anything', messages: [{ role: 'user', content: 'hello' }], max_tokens: 999999 };
  let res = await post(mfOffline, '/v1/chat/completions', req);
  assert.equal(res.status, 403, 'no Origin header');
  res = await post(mfOffline, '/v1/chat/completions', req, { Origin: 'https://evil.example' });
  assert.equal(res.status, 403);
  assert.equal(res.headers.get('Access-Control-Allow-Origin'), null);
  assert.equal(upstream.seen.length, 0, 'nothing reached the upstream');
  res = await mfOffline.dispatchFetch('http://edge.test/v1/chat/completions', {
    method: 'OPTIONS',
    headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'POST' },
  });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get('Access-Control-Allow-Origin'), ORIGIN);
  res = await post(mfOffline, '/v1/chat/completions', req, { Origin: ORIGIN, 'CF-Connecting-IP': '198.51.100.1' });
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(res.headers.get('Access-Control-Allow-Origin'), ORIGIN);
  const body = await res.json();
  assert.equal(body.choices[0].message.content, '{"ok":true}');
  assert.equal(upstream.seen.length, 1);
  const seen = upstream.seen[0];
  assert.equal(seen.url, '/v1/chat/completions');
  assert.equal(seen.auth, `Bearer ${KEY}`, 'the worker added the secret');
  assert.equal(seen.body.model, 'forced-model');
  assert.ok(seen.body.max_tokens <= 2048, 'max_tokens capped');
  assert.equal(seen.origin, undefined, 'the browser origin is not forwarded');
});

test('the proxy refuses oversized bodies and rate-limits per client', async () => {
  const big = { messages: [{ role: 'user', content: 'x'.repeat(5000) }] };
  let res = await post(mfOffline, '/v1/chat/completions', big, { Origin: ORIGIN, 'CF-Connecting-IP': '198.51.100.2' });
  assert.equal(res.status, 413);
  assert.match((await res.json()).error, /limit/);
  const small = { messages: [{ role: 'user', content: 'hi' }] };
  const client = { Origin: ORIGIN, 'CF-Connecting-IP': '198.51.100.3' };
  const statuses = [];
  for (let i = 0; i < 5; i++) statuses.push((await post(mfOffline, '/v1/chat/completions', small, client)).status);
  // 3 a minute per client (this isolate).
  const first429 = statuses.indexOf(429);
  assert.ok(first429 > 0, `some requests pass, then 429: ${statuses}`);
  assert.ok(statuses.slice(first429).every((s) => s === 429), `${statuses}`);
  res = await post(mfOffline, '/v1/chat/completions', small, client);
  assert.equal(res.status, 429);
  assert.ok(Number(res.headers.get('Retry-After')) >= 1);
});

test('bad requests get clear 4xx answers and the worker keeps serving', async () => {
  const cases = [
    [post(mfOffline, '/recommend', '{"history": [', {}), 400, /malformed JSON/],
    [post(mfOffline, '/recommend', '[1,2]'), 400, /JSON object/],
    [post(mfOffline, '/recommend', { history }), 400, /candidates/],
    [post(mfOffline, '/recommend', { history, candidates: Array.from({ length: 201 }, (_, i) => ({ id: `c${i}`, title: 't' })) }), 413, /limit is 200/],
    [post(mfOffline, '/recommend', { history, candidates: [{ id: 'a', title: 'y'.repeat(1001) }] }), 413, /title is 1001 characters/],
    [post(mfOffline, '/recommend', { history, candidates, k: 0 }), 400, /k must be/],
    [post(mfOffline, '/recommend', { history: 'nope', candidates }), 400, /history/],
    [post(mfOffline, '/recommend', { history, candidates: [{ title: 'no id' }] }), 400, /id/],
    [post(mfOffline, '/recommend', { history, candidates, options: { config: { theta: 0.5, evil: 1 } } }), 400, /not a known setting/],
    [post(mfOffline, '/recommend', { history, candidates }, { 'Content-Type': 'text/plain' }), 415, /Content-Type/],
    [post(mfOffline, '/recommend', { history: [{ id: 'h', title: 't', kind: 'stolen' }], candidates }), 400, /ARAG_E_/],
    [post(mfOffline, '/recommend', { history, candidates: [{ id: 'a', title: 't', categories: 'x' }] }), 400, /categories/],
    [post(mfOffline, '/recommend', { history, candidates: [{ id: 'a', title: 't', vector: [1, 2] }] }), 400, /vector/],
    [mfOffline.dispatchFetch('http://edge.test/recommend'), 405, /POST/],
    [mfOffline.dispatchFetch('http://edge.test/nope'), 404, /not found/],
  ];
  for (const [p, status, msg] of cases) {
    const res = await p;
    const text = await res.text();
    assert.equal(res.status, status, text);
    assert.match(JSON.parse(text).error, msg);
  }
  const res = await post(mfOffline, '/recommend', { history, candidates, k: 4 });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).items.length, 4);
});

test('logs hold counts only, nothing of the requests', async () => {
  await new Promise((r) => setTimeout(r, 200)); // let workerd flush stdout
  assert.match(logs, /"route":"\/recommend","status":200/);
  for (const c of candidates.slice(0, 5)) assert.ok(!logs.includes(c.id), 'no candidate ids in logs');
  assert.ok(!logs.includes(history[0].title), 'no item text in logs');
  assert.ok(!logs.includes(KEY), 'no key in logs');
  assert.ok(!logs.includes('hello'), 'no proxied message content in logs');
});
