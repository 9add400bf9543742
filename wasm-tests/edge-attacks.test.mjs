// The edge worker (examples/edge-worker) attacked in workerd (Miniflare), as a hostile
// client would: every way it spent the shop's LLM budget, leaked the key or grew without
// bound before, each shown closed. Upstreams are servers on 127.0.0.1 that record what
// reaches them.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stageWorker, edgeMiniflare } from './helpers/edge-worker.mjs';
import { startProxyUpstream } from './helpers/edge-upstream.mjs';
import { startOpenAIServer } from './helpers/openai-test-server.mjs';
import { candidates, history, amplificationRequest } from './helpers/edge-requests.mjs';
import { DIST } from './helpers/common.mjs';

const { signPageToken } = await import(join(DIST, 'page-token.mjs'));

const ORIGIN = 'https://shop.example';
const SECRET = 'page-token-secret-for-tests-0123456789abcdef';
const KEY = 'sk-proj-Upstream0Key1For2Tests3abcdef456789';
const AUTH = { 'Content-Type': 'application/json', Origin: ORIGIN };

let dir;
let up; // proxy upstream
let llm; // agent-answering upstream for /recommend
let mf; // proxy + offline
let mfLlm; // /recommend with an LLM
let logs = '';

const token = (o = {}) => signPageToken({ secret: SECRET, origin: ORIGIN, ...o });
const post = (m, path, body, headers = {}) =>
  m.dispatchFetch(`http://edge.test${path}`, { method: 'POST', headers: { ...AUTH, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
const chat = (content, extra = {}) => ({ model: 'client-chosen', messages: [{ role: 'user', content }], ...extra });

before(async () => {
  dir = stageWorker(mkdtempSync(join(tmpdir(), 'arag-edge-attack-')));
  up = await startProxyUpstream();
  llm = await startOpenAIServer();
  const log = (s) => (logs += s);
  mf = edgeMiniflare(dir, {
    vars: { PAGE_TOKEN_SECRET: SECRET, LLM_API_KEY: KEY, LLM_BASE_URL: up.baseURL, LLM_MODEL: 'server-model', ALLOWED_ORIGINS: ORIGIN, PROXY_MAX_RESPONSE_BYTES: '65536', BODY_TIMEOUT_MS: '1500' },
    ratePerMinute: 1000,
    log,
  });
  mfLlm = edgeMiniflare(dir, {
    vars: { PAGE_TOKEN_SECRET: SECRET, LLM_API_KEY: KEY, ARAG_LLM: 'openai', LLM_BASE_URL: llm.baseURL, LLM_MODEL: 'server-model', TRACE_LEVEL: 'full', RECOMMEND_DEADLINE_MS: '3000', LLM_TIMEOUT_MS: '10000' },
    log,
  });
  await Promise.all([mf.ready, mfLlm.ready]);
});

after(async () => {
  await mf?.dispose();
  await mfLlm?.dispose();
  await up?.close();
  await llm?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the proxy is no open relay', () => {
  test('an allowed Origin without a token is refused; nothing reaches the upstream', async () => {
    const before = up.seen.length;
    for (const headers of [{}, { Authorization: 'Bearer ' }, { Authorization: 'Basic abc' }, { Authorization: `Bearer ${KEY}` }]) {
      const res = await post(mf, '/v1/chat/completions', chat('hi'), headers);
      assert.equal(res.status, 401, JSON.stringify(headers));
      const body = await res.json();
      assert.equal(body.error.type, 'authentication_error');
      assert.ok(['missing_token', 'invalid_token'].includes(body.error.code), body.error.code);
    }
    assert.equal(up.seen.length, before);
  });

  test('expired, forged, tampered and other-origin tokens are refused', async () => {
    const before = up.seen.length;
    const expired = await token({ ttlSeconds: 1, now: Date.now() - 5000 });
    const forged = await signPageToken({ secret: 'another-secret-of-32-bytes-or-more-000000', origin: ORIGIN });
    const good = await token();
    const [h, claims, sig] = good.split('.');
    const widened = JSON.parse(Buffer.from(claims, 'base64url').toString());
    widened.c = 1e6;
    const tampered = `${h}.${Buffer.from(JSON.stringify(widened)).toString('base64url')}.${sig}`;
    const other = await signPageToken({ secret: SECRET, origin: 'https://evil.example' });
    const cases = [
      [expired, {}, 'token_expired'],
      [forged, {}, 'invalid_token'],
      [tampered, {}, 'invalid_token'],
      [other, {}, 'origin_mismatch'],
      [good, { Origin: 'https://evil.example' }, 'origin_mismatch'],
      ['apt1.x.y', {}, 'invalid_token'],
    ];
    for (const [t, headers, code] of cases) {
      const res = await post(mf, '/v1/chat/completions', chat('hi'), { Authorization: `Bearer ${t}`, ...headers });
      assert.equal(res.status, 401);
      assert.equal((await res.json()).error.code, code);
    }
    assert.equal(up.seen.length, before);
  });

  test('the client chooses neither the model nor n, nor any other upstream field', async () => {
    const t = await token();
    const H = { Authorization: `Bearer ${t}` };
    let res = await post(mf, '/v1/chat/completions', chat('hi', { n: 128 }), H);
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error.param, 'n');
    res = await post(mf, '/v1/chat/completions', chat('hi', { max_tokens: -1 }), H);
    assert.equal(res.status, 400);
    res = await post(mf, '/v1/chat/completions', chat('hi', { max_completion_tokens: 100000 }), H);
    assert.equal(res.status, 400);
    assert.match((await res.json()).error.message, /max_completion_tokens.*4096/);
    const n = up.seen.length;
    const extra = {
      model: 'gpt-expensive', n: 1, tools: [{ type: 'function', function: { name: 'f' } }], service_tier: 'priority', store: true,
      audio: { voice: 'x' }, logprobs: true, top_logprobs: 20, temperature: 9, stream_options: { include_usage: true }, metadata: { a: 1 },
    };
    res = await post(mf, '/v1/chat/completions', chat('hi', extra), H);
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(up.seen.length, n + 1);
    const sent = up.seen.at(-1);
    assert.equal(sent.body.model, 'server-model');
    assert.deepEqual(Object.keys(sent.body).sort(), ['max_tokens', 'messages', 'model', 'temperature']);
    assert.equal(sent.body.temperature, 1.5, 'temperature clamped');
    assert.equal(sent.body.max_tokens, 4096);
    assert.equal(sent.auth, `Bearer ${KEY}`);
    assert.equal(sent.origin, undefined, 'the page origin is not forwarded');
  });
});

describe('nothing of the upstream reaches a caller it should not', () => {
  test('an upstream that reflects the key: not in any proxy answer, stream or log', async () => {
    const t = await token();
    const H = { Authorization: `Bearer ${t}` };
    const answers = [];
    for (const mode of ['reflect', 'reflect200', 'error200', 'status:500', 'status:429', 'status:403', 'stream']) {
      const res = await post(mf, '/v1/chat/completions', chat(`mode:${mode}`, mode === 'stream' ? { stream: true } : {}), H);
      const text = await res.text();
      answers.push([mode, res.status, text, res.headers.get('Retry-After')]);
      assert.ok(!text.includes(KEY) && !text.includes(KEY.slice(0, 12)) && !text.includes(KEY.slice(-12)), `${mode}: ${text}`);
      assert.ok(!text.includes(t), `${mode}: the page token is not echoed`);
    }
    const byMode = Object.fromEntries(answers.map(([m, ...r]) => [m, r]));
    assert.equal(byMode.reflect[0], 502, 'an upstream 401 is the worker\'s configuration problem, not the caller\'s');
    assert.equal(JSON.parse(byMode.reflect[1]).error.code, 'upstream_error');
    assert.equal(byMode['status:500'][0], 502);
    assert.equal(byMode['status:429'][0], 429);
    assert.equal(byMode['status:429'][2], '7', 'Retry-After passed on');
    assert.equal(byMode.error200[0], 502, 'a 200 carrying an error is a failure');
    assert.equal(byMode.reflect200[0], 200);
    assert.match(JSON.parse(byMode.reflect200[1]).choices[0].message.content, /Bearer \[redacted\]/);
    assert.equal(byMode.stream[0], 200);
    assert.match(byMode.stream[1], /data: \[DONE\]/);
    assert.match(byMode.stream[1], /\[redacted\]/);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(!logs.includes(KEY.slice(0, 12)) && !logs.includes(KEY.slice(-12)), 'no key in the logs');
  });

  test('an LLM-backed recommendation whose upstream reflects the key: not in the answer, even at trace full', async () => {
    llm.reset();
    // As OpenAI does: the 401 quotes the Authorization header it got.
    llm.setFault((info) => (info.agent === 'uua' || info.agent === 'csa' ? { status: 401, errorBody: { error: { message: `Incorrect API key provided: ${info.auth}` } } } : null));
    const t = await token({ trace: 'full' });
    const res = await post(mfLlm, '/recommend', { history: history(3), candidates: candidates(12), k: 4, options: { trace: 'full' } }, { Authorization: `Bearer ${t}` });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    const out = JSON.parse(text);
    assert.ok(out.degraded.some((d) => d.startsWith('uua:')), out.degraded.join());
    assert.ok(llm.chat().some((e) => e.status === 401), 'the upstream did reflect the key');
    assert.ok(!text.includes(KEY.slice(0, 12)) && !text.includes(KEY.slice(-12)), 'no part of the key in the answer');
    assert.match(text, /Bearer \[redacted\]/, 'the reflected header is in the full trace, redacted');
    llm.setFault(null);
  });

  test('trace levels: summary has no model text; full only for a token that grants it', async () => {
    llm.reset();
    const body = { history: history(3), candidates: candidates(12), k: 4 };
    const plain = await token();
    let res = await post(mfLlm, '/recommend', body, { Authorization: `Bearer ${plain}` });
    assert.equal(res.status, 200);
    const sum = (await res.json()).trace;
    assert.equal(sum.level, 'summary');
    assert.equal(sum.s_user, undefined);
    assert.ok(sum.messages.length > 0 && sum.messages.every((m) => m.response === undefined && m.request_json === undefined));
    assert.ok(sum.nli.every((v) => v.rationale === undefined));
    res = await post(mfLlm, '/recommend', { ...body, options: { trace: 'full' } }, { Authorization: `Bearer ${plain}` });
    assert.equal(res.status, 403);
    assert.equal((await res.json()).error.param, 'options.trace');
    const full = await token({ trace: 'full' });
    res = await post(mfLlm, '/recommend', { ...body, options: { trace: 'full' } }, { Authorization: `Bearer ${full}` });
    assert.equal(res.status, 200);
    assert.match((await res.json()).trace.s_user, /server summary/);
    res = await post(mfLlm, '/recommend', { ...body, options: { trace: false } }, { Authorization: `Bearer ${plain}` });
    assert.equal((await res.json()).trace, undefined);
    res = await post(mfLlm, '/recommend', { ...body, options: { trace: 'no' } }, { Authorization: `Bearer ${plain}` });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error.param, 'options.trace');
  });
});

describe('what one request may cost', () => {
  test('/recommend with an LLM needs a token; offline stays open', async () => {
    const body = { history: history(3), candidates: candidates(10), k: 3 };
    let res = await post(mfLlm, '/recommend', body);
    assert.equal(res.status, 401);
    res = await post(mfLlm, '/recommend', { ...body, options: { llm: 'offline' } });
    assert.equal(res.status, 200);
  });

  test('the amplification request: every cost setting past its cap is refused, naming key and cap', async () => {
    const t = await token({ maxCalls: 1000, maxTokens: 10000000 });
    const H = { Authorization: `Bearer ${t}` };
    const req = amplificationRequest();
    assert.ok(JSON.stringify(req).length > 240000);
    llm.reset();
    const caps = { nli_batch: 'may not be below 10', max_prompt_item_chars: 'the cap is 300', long_term_len: 'the cap is 50', max_in_flight: 'the cap is 4', max_tokens: 'the cap is 3000' };
    for (const [key, msg] of Object.entries(caps)) {
      const res = await post(mfLlm, '/recommend', { ...req, options: { config: { [key]: req.options.config[key] } } }, H);
      assert.equal(res.status, 400);
      const e = (await res.json()).error;
      assert.equal(e.param, `options.config.${key}`);
      assert.match(e.message, new RegExp(msg));
    }
    assert.equal(llm.chat().length, 0, 'nothing reached the upstream');
  });

  test('the same request within the caps: calls and prompt bytes bounded by the recommendation budget', async () => {
    const t = await token({ maxCalls: 1000, maxTokens: 10000000 });
    let bytes = 0;
    llm.reset();
    llm.setFault((info) => {
      for (const m of info.body.messages || []) bytes += m.content.length;
      return null;
    });
    const req = amplificationRequest();
    delete req.options;
    const res = await post(mfLlm, '/recommend', req, { Authorization: `Bearer ${t}` });
    assert.equal(res.status, 200, await res.clone().text());
    const out = await res.json();
    const calls = llm.chat().length;
    assert.ok(calls <= 24, `${calls} calls`);
    assert.ok(bytes <= 600000, `${bytes} prompt bytes`);
    assert.ok(out.usage.prompt_bytes > 0 && out.usage.prompt_bytes <= 600000, `${out.usage.prompt_bytes} prompt bytes counted`);
    llm.setFault(null);
  });

  test('a page token\'s calls are counted across requests in the Durable Object', async () => {
    const t = await token({ maxCalls: 3 });
    const H = { Authorization: `Bearer ${t}` };
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await post(mf, '/v1/chat/completions', chat('hi'), H)).status);
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    const res = await post(mf, '/v1/chat/completions', chat('hi'), H);
    assert.equal((await res.json()).error.code, 'budget_spent');
    // A fresh token has its own budget.
    assert.equal((await post(mf, '/v1/chat/completions', chat('hi'), { Authorization: `Bearer ${await token({ maxCalls: 1 })}` })).status, 200);
  });

  test('a request the module refuses spends nothing of the token\'s budget', async () => {
    const t = await token({ maxCalls: 24 }); // one recommendation's reservation
    const H = { Authorization: `Bearer ${t}` };
    for (let i = 0; i < 3; i++) {
      const res = await post(mfLlm, '/recommend', { history: [{ id: 'x', title: 't', kind: 'stolen' }], candidates: candidates(3) }, H);
      assert.equal(res.status, 400);
    }
    llm.reset();
    const res = await post(mfLlm, '/recommend', { history: history(3), candidates: candidates(12), k: 4 }, H);
    assert.equal(res.status, 200, await res.clone().text());
    assert.ok(llm.chat().length > 0);
  });

  test('a hung provider: the recommendation settles by its deadline, its agents degraded', async () => {
    const t = await token();
    llm.reset();
    llm.setFault((info) => (info.agent === 'nli' || info.agent === 'ira' ? { hang: true } : null));
    const t0 = Date.now();
    const res = await post(mfLlm, '/recommend', { history: history(3), candidates: candidates(20), k: 5 }, { Authorization: `Bearer ${t}` });
    const ms = Date.now() - t0;
    assert.equal(res.status, 200);
    const out = await res.json();
    assert.equal(out.items.length, 5);
    assert.ok(out.degraded.some((d) => d.startsWith('nli_batch')), out.degraded.join());
    assert.ok(ms < 3000 + 4000, `settled after ${ms} ms (deadline 3000)`);
    llm.setFault(null);
  });

  // Workers abort request.signal when the client goes away (enable_request_signal in
  // wrangler.toml). workerd notices a closed connection when it writes to it, so an
  // LLM-backed answer starts as soon as the recommendation runs and sends a space every
  // HEARTBEAT_MS: here through a real socket to workerd (Miniflare's), closed mid-way.
  test('a client that goes away cancels its recommendation in workerd: no further upstream calls', async () => {
    const m = edgeMiniflare(dir, {
      vars: { PAGE_TOKEN_SECRET: SECRET, ARAG_LLM: 'openai', LLM_BASE_URL: llm.baseURL, LLM_MODEL: 'server-model', HEARTBEAT_MS: '100', LLM_TIMEOUT_MS: '10000' },
      ratePerMinute: 1000,
    });
    try {
      const url = await m.ready;
      const t = await token();
      llm.reset();
      llm.setFault((info) => (info.agent === 'nli' ? { delayMs: 400 } : null));
      const body = JSON.stringify({ history: history(3), candidates: candidates(60), k: 5, options: { config: { max_in_flight: 1 }, trace: false } });
      const { request } = await import('node:http');
      let firstBytes = null;
      const req = request(new URL('/recommend', url), { method: 'POST', headers: { ...AUTH, Authorization: `Bearer ${t}`, 'content-length': Buffer.byteLength(body) } }, (res) => {
        firstBytes = res.statusCode;
        res.on('data', () => {});
      });
      req.on('error', () => {});
      req.end(body);
      while (llm.chat().length < 2) await new Promise((r) => setTimeout(r, 20));
      assert.equal(firstBytes, 200, 'the answer started while the agents work');
      req.destroy(); // the client goes away
      const atClose = llm.chat().length;
      await new Promise((r) => setTimeout(r, 2500));
      const after = llm.chat().length;
      assert.ok(after <= atClose + 1, `${after - atClose} calls after the disconnect (at most the one a heartbeat was late for)`);
      assert.ok(after < 9, `${after} calls of the 9 a full recommendation makes`);
      assert.ok(llm.chat().some((e) => e.aborted), 'the call in flight was cut');
      const h = await (await m.dispatchFetch('http://edge.test/health')).json();
      assert.equal(h.admission.recommendations, 0, 'its admission given back');
    } finally {
      llm.setFault(null);
      await m.dispose();
    }
  });

  test('a client that stays: the heartbeat spaces and then the JSON parse as one answer', async () => {
    const m = edgeMiniflare(dir, {
      vars: { PAGE_TOKEN_SECRET: SECRET, ARAG_LLM: 'openai', LLM_BASE_URL: llm.baseURL, LLM_MODEL: 'server-model', HEARTBEAT_MS: '50' },
      ratePerMinute: 1000,
    });
    try {
      await m.ready;
      llm.reset();
      llm.setFault((info) => (info.agent === 'ira' ? { delayMs: 400 } : null));
      const res = await post(m, '/recommend', { history: history(3), candidates: candidates(12), k: 4 }, { Authorization: `Bearer ${await token()}` });
      const text = await res.text();
      assert.equal(res.status, 200);
      assert.match(text, /^ {3,}\{"items"/, 'spaces while the IRA call is out, then the answer');
      assert.equal(JSON.parse(text).items.length, 4);
      // A refusal the module makes at the start is still a status of its own.
      const bad = await post(m, '/recommend', { history: [{ id: 'x', title: 't', kind: 'stolen' }], candidates: candidates(3) }, { Authorization: `Bearer ${await token()}` });
      assert.equal(bad.status, 400);
    } finally {
      llm.setFault(null);
      await m.dispose();
    }
  });
});

describe('requests the worker cannot take', () => {
  test('bad JSON, deep nesting, lone surrogates, unknown options: 400 naming what is wrong', async () => {
    const deep = `{"history":[],"candidates":[{"id":"a","title":"t"}],"x":${'['.repeat(10000)}${']'.repeat(10000)}}`;
    const cases = [
      ['{"history": [', 400, /malformed JSON/],
      [deep, 400, /nested deeper than 32/],
      [`{"candidates":[{"id":"a\\ud800","title":"t"},{"id":"a\\udbff","title":"u"}]}`, 400, /candidates\[0\]\.id holds a lone surrogate/],
      [{ candidates: candidates(2), options: { evil: 1 } }, 400, /options.evil/],
      [{ candidates: candidates(2), history: [{ id: 'x', title: 't', kind: 'stolen' }] }, 400, /^ARAG_E_JSON: [^A]*$/],
    ];
    for (const [body, status, re] of cases) {
      const res = await post(mf, '/recommend', body);
      const text = await res.text();
      assert.equal(res.status, status, text);
      assert.match(JSON.parse(text).error.message, re);
    }
  });

  test('a slow request body is cut at the reading deadline (408)', async () => {
    const url = await mf.ready;
    const { request } = await import('node:http');
    const status = await new Promise((resolve, reject) => {
      const req = request(new URL('/recommend', url), { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '1000' } }, (res) => resolve(res.statusCode));
      req.on('error', reject);
      req.write('{"candidates": [');
      // ... and nothing more.
    });
    assert.equal(status, 408);
  });

  test('/health: GET only, counts without addresses', async () => {
    let res = await mf.dispatchFetch('http://edge.test/health', { method: 'POST', body: '{}' });
    assert.equal(res.status, 405);
    res = await mf.dispatchFetch('http://edge.test/health');
    const h = await res.json();
    assert.equal(h.ok, true);
    assert.equal(h.heapProbe, undefined);
    assert.equal(typeof h.memoryBytes, 'number');
  });

  test('request rates count the platform\'s client address, not headers a client writes', async () => {
    const m = edgeMiniflare(dir, { vars: { RATE_LIMIT_PER_MINUTE: '3', RATE_LIMIT_ISOLATE_PER_MINUTE: '8' }, ratePerMinute: null });
    try {
      const body = { candidates: candidates(3), k: 2 };
      const statuses = [];
      for (let i = 0; i < 6; i++) statuses.push((await post(m, '/recommend', body, { 'X-Forwarded-For': `10.0.0.${i}`, 'X-Real-IP': `10.1.0.${i}` })).status);
      assert.deepEqual(statuses, [200, 200, 200, 429, 429, 429]);
      // Forging CF-Connecting-IP (possible off Cloudflare) still meets the isolate's total.
      const forged = [];
      for (let i = 0; i < 6; i++) forged.push((await post(m, '/recommend', body, { 'CF-Connecting-IP': `192.0.2.${i}` })).status);
      assert.ok(forged.filter((s) => s === 200).length <= 2, `${forged}`);
      const h = await (await m.dispatchFetch('http://edge.test/health')).json();
      assert.ok(h.tables.rates <= 8);
    } finally {
      await m.dispose();
    }
  });
});

describe('memory and concurrency in one isolate', () => {
  test('100 concurrent maximum-size LLM-backed requests against a slow upstream: 200 or 503, memory <= 64 MB', async () => {
    const slow = await startOpenAIServer();
    slow.setFault(() => ({ delayMs: 300 }));
    const m = edgeMiniflare(dir, {
      vars: { PAGE_TOKEN_SECRET: SECRET, LLM_API_KEY: KEY, ARAG_LLM: 'openai', LLM_BASE_URL: slow.baseURL, LLM_MODEL: 'server-model' },
      ratePerMinute: 1000,
    });
    try {
      await m.ready;
      const t = await token({ maxCalls: 100000, maxTokens: 100000000 });
      const req = amplificationRequest();
      delete req.options;
      const text = JSON.stringify(req);
      const results = await Promise.all(
        Array.from({ length: 100 }, () => post(m, '/recommend', text, { Authorization: `Bearer ${t}` }).then(async (r) => [r.status, await r.text()]))
      );
      const statuses = results.map(([s]) => s);
      const ok = statuses.filter((s) => s === 200).length;
      const busy = statuses.filter((s) => s === 503).length;
      assert.equal(ok + busy, 100, `statuses: ${[...new Set(statuses)]}`);
      assert.ok(ok >= 1);
      for (const [s, body] of results) if (s === 503) assert.equal(JSON.parse(body).error.code, 'overloaded');
      const h = await (await m.dispatchFetch('http://edge.test/health')).json();
      assert.ok(h.memoryBytes <= 64 * 2 ** 20, `wasm memory ${h.memoryBytes}`);
      assert.ok(h.admission.peakRecommendations <= 6);
    } finally {
      await m.dispose();
      await slow.close();
    }
  });
});
