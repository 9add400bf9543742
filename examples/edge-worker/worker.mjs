// arag on the edge: a Cloudflare Worker (ES module) that ranks near the shopper.
//
//   POST /recommend              {history, candidates, k, options} -> {items, trace, usage, degraded}
//   POST /v1/chat/completions    OpenAI-compatible proxy for browser clients: adds the
//                                upstream key (a secret), origin allow-list, size and rate limits
//   GET  /health                 {ok, version, instances, recommends, memoryBytes, heapProbe}
//
// The module is imported compiled (`import wasm from './arag.wasm'`): Workers refuse to
// compile wasm from bytes at run time. One module instance per isolate, reused across
// requests; every request creates its own handles (catalog, history, engine) and frees them.
// Nothing of a request is logged beyond counts.
//
// Configuration (wrangler.toml [vars] and secrets):
//   ARAG_LLM              offline (default) | workers-ai | openai
//   LLM_BASE_URL          OpenAI-compatible base URL, e.g. https://api.example.com/v1
//   LLM_MODEL             model for /recommend and the model the proxy forces (if set)
//   LLM_API_KEY           secret: `wrangler secret put LLM_API_KEY`
//   AI                    Workers AI binding ([ai] binding = "AI"), with WORKERS_AI_MODEL
//   ALLOWED_ORIGINS       comma-separated origins allowed to call the proxy (and CORS)
//   MAX_BODY_BYTES, MAX_CANDIDATES, MAX_HISTORY, MAX_TEXT_CHARS, MAX_K,
//   PROXY_MAX_BYTES, PROXY_MAX_TOKENS, RATE_LIMIT_PER_MINUTE
//   RATE_LIMITER          optional Workers rate-limiting binding ({limit({key})} -> {success})
import wasm from './arag.wasm';
import { createArag, createRecommender, openAIChat, workersAI } from './lib/index.mjs';

const DEFAULTS = {
  MAX_BODY_BYTES: 262144,
  MAX_CANDIDATES: 200,
  MAX_HISTORY: 500,
  MAX_TEXT_CHARS: 4000,
  MAX_K: 50,
  PROXY_MAX_BYTES: 65536,
  PROXY_MAX_TOKENS: 2048,
  RATE_LIMIT_PER_MINUTE: 60,
};
const ITEM_TEXT_FIELDS = ['id', 'title', 'text', 'brand'];
const CONFIG_KEYS = new Set([
  'theta', 'min_keep', 'nli_batch', 'max_in_flight', 'top_k', 'session_len', 'long_term_len',
  'agents', 'max_prompt_item_chars', 'max_tokens', 'temperature',
]);

// Per-isolate state: the module instance and the best-effort rate-limit windows.
let aragPromise = null;
const windows = new Map();
const stats = { instances: 0, recommends: 0 };

class HttpError extends Error {
  constructor(status, message, headers = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

function limit(env, name) {
  const v = Number(env[name]);
  return Number.isFinite(v) && v > 0 ? v : DEFAULTS[name];
}

function getArag() {
  if (!aragPromise) {
    stats.instances++;
    aragPromise = createArag({ wasm }).catch((e) => {
      aragPromise = null; // retry on the next request
      throw e;
    });
  }
  return aragPromise;
}

function allowedOrigins(env) {
  return String(env.ALLOWED_ORIGINS || '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function corsHeaders(request, env) {
  const origin = request.headers.get('Origin');
  if (!origin || !allowedOrigins(env).includes(origin)) return {};
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Methods': 'POST, OPTIONS',
    'Access-Control-Allow-Headers': 'Content-Type',
    'Access-Control-Max-Age': '600',
    Vary: 'Origin',
  };
}

function json(status, body, headers = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers },
  });
}

/** Reads the body as text, failing with 413 past max bytes (streamed: no full buffering). */
async function readBody(request, max) {
  const declared = Number(request.headers.get('Content-Length'));
  if (Number.isFinite(declared) && declared > max) {
    throw new HttpError(413, `request body is ${declared} bytes; the limit is ${max}`);
  }
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.byteLength;
    if (n > max) {
      await reader.cancel().catch(() => {});
      throw new HttpError(413, `request body is over the limit of ${max} bytes`);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    all.set(c, o);
    o += c.byteLength;
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(all);
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `malformed JSON: ${e.message}`);
  }
}

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

function checkItem(it, where, maxText) {
  if (!isObj(it)) throw new HttpError(400, `${where} must be an object`);
  if (typeof it.id !== 'string' || !it.id) throw new HttpError(400, `${where}.id must be a non-empty string`);
  for (const f of ITEM_TEXT_FIELDS) {
    if (it[f] === undefined) continue;
    if (typeof it[f] !== 'string') throw new HttpError(400, `${where}.${f} must be a string`);
    if (it[f].length > maxText) {
      throw new HttpError(413, `${where}.${f} is ${it[f].length} characters; the limit is ${maxText}`);
    }
  }
  if (it.categories !== undefined) {
    if (!Array.isArray(it.categories) || it.categories.length > 16 ||
        !it.categories.every((c) => typeof c === 'string' && c.length <= 200)) {
      throw new HttpError(400, `${where}.categories must be at most 16 strings`);
    }
  }
  if (it.vector !== undefined) throw new HttpError(400, `${where}.vector is not accepted here`);
}

/** Validates a /recommend body; returns the normalized input. */
export function validateRecommend(body, env) {
  if (!isObj(body)) throw new HttpError(400, 'body must be a JSON object');
  const maxText = limit(env, 'MAX_TEXT_CHARS');
  const history = body.history ?? [];
  if (!Array.isArray(history)) throw new HttpError(400, 'history must be an array of events');
  if (history.length > limit(env, 'MAX_HISTORY')) {
    throw new HttpError(413, `history has ${history.length} events; the limit is ${limit(env, 'MAX_HISTORY')}`);
  }
  history.forEach((ev, i) => {
    checkItem(ev, `history[${i}]`, maxText);
    if (ev.ts !== undefined && !Number.isFinite(ev.ts)) throw new HttpError(400, `history[${i}].ts must be a number`);
  });
  const candidates = body.candidates;
  if (!Array.isArray(candidates) || candidates.length === 0) {
    throw new HttpError(400, 'candidates must be a non-empty array of items ({id, title, ...})');
  }
  if (candidates.length > limit(env, 'MAX_CANDIDATES')) {
    throw new HttpError(413, `${candidates.length} candidates; the limit is ${limit(env, 'MAX_CANDIDATES')}`);
  }
  candidates.forEach((c, i) => {
    checkItem(c, `candidates[${i}]`, maxText);
    if (typeof c.title !== 'string' && typeof c.text !== 'string') {
      throw new HttpError(400, `candidates[${i}] needs a title or text`);
    }
  });
  const k = body.k ?? 10;
  if (!Number.isInteger(k) || k < 1 || k > limit(env, 'MAX_K')) {
    throw new HttpError(400, `k must be an integer in 1..${limit(env, 'MAX_K')}`);
  }
  const options = body.options ?? {};
  if (!isObj(options)) throw new HttpError(400, 'options must be an object');
  const config = {};
  if (options.config !== undefined) {
    if (!isObj(options.config)) throw new HttpError(400, 'options.config must be an object');
    for (const [key, v] of Object.entries(options.config)) {
      if (!CONFIG_KEYS.has(key)) throw new HttpError(400, `options.config.${key} is not a known setting`);
      config[key] = v;
    }
  }
  const llm = options.llm ?? 'default';
  if (llm !== 'default' && llm !== 'offline') throw new HttpError(400, 'options.llm must be "default" or "offline"');
  return { history, candidates, k, config, llm, trace: options.trace !== false };
}

function llmFor(env, which) {
  const kind = which === 'offline' ? 'offline' : String(env.ARAG_LLM || 'offline');
  if (kind === 'offline') return { kind, llm: 'offline' };
  if (kind === 'workers-ai') {
    if (!env.AI) throw new HttpError(503, 'ARAG_LLM is workers-ai but no AI binding is configured');
    return { kind, llm: workersAI(env.AI, { model: env.WORKERS_AI_MODEL || '@cf/meta/llama-3.1-8b-instruct' }) };
  }
  if (kind === 'openai') {
    if (!env.LLM_BASE_URL) throw new HttpError(503, 'ARAG_LLM is openai but LLM_BASE_URL is not set');
    return {
      kind,
      llm: openAIChat({ baseURL: env.LLM_BASE_URL, model: env.LLM_MODEL || 'gpt-4o-mini', apiKey: env.LLM_API_KEY }),
    };
  }
  throw new HttpError(503, `unknown ARAG_LLM ${kind}`);
}

/** Best-effort per-client limit: the Workers rate-limiting binding when bound, else a
 * fixed one-minute window per isolate (isolates do not share it). */
async function rateLimit(request, env, route) {
  const client = request.headers.get('CF-Connecting-IP') || request.headers.get('X-Forwarded-For') || 'unknown';
  const key = `${route}:${client}`;
  if (env.RATE_LIMITER && typeof env.RATE_LIMITER.limit === 'function') {
    const { success } = await env.RATE_LIMITER.limit({ key });
    if (!success) throw new HttpError(429, 'rate limit exceeded', { 'Retry-After': '60' });
    return;
  }
  const max = limit(env, 'RATE_LIMIT_PER_MINUTE');
  const now = Date.now();
  let w = windows.get(key);
  if (!w || now - w.start >= 60000) {
    if (windows.size > 10000) {
      for (const [k2, w2] of windows) if (now - w2.start >= 60000) windows.delete(k2);
    }
    w = { start: now, count: 0 };
    windows.set(key, w);
  }
  if (w.count >= max) {
    const retry = Math.max(1, Math.ceil((w.start + 60000 - now) / 1000));
    throw new HttpError(429, `rate limit of ${max} requests a minute exceeded`, { 'Retry-After': String(retry) });
  }
  w.count++;
}

async function handleRecommend(request, env) {
  const body = parseJson(await readBody(request, limit(env, 'MAX_BODY_BYTES')));
  const input = validateRecommend(body, env);
  const { kind, llm } = llmFor(env, input.llm);
  if (kind !== 'offline') await rateLimit(request, env, 'recommend');
  const arag = await getArag();
  const rec = await createRecommender({ arag, llm });
  try {
    if (input.history.length) rec.history.add(input.history.map((ev, i) => ({ ts: i, ...ev })));
    const out = await rec.recommend(
      { candidates: input.candidates, k: input.k, topK: input.candidates.length, config: input.config },
      { signal: request.signal }
    );
    stats.recommends++;
    const res = { items: out.items, usage: out.usage, degraded: out.degraded };
    if (input.trace) res.trace = out.trace;
    return { res, counts: { history: input.history.length, candidates: input.candidates.length, items: out.items.length, backend: kind } };
  } catch (e) {
    if (e instanceof HttpError) throw e;
    // AragError from the module: the input broke one of its limits or contracts.
    if (e && e.code && String(e.code).startsWith('ARAG_E_')) {
      const status = e.code === 'ARAG_E_LIMIT' ? 413 : e.code === 'ARAG_E_NOMEM' ? 503 : 400;
      throw new HttpError(status, `${e.code}: ${e.message}`);
    }
    throw e;
  } finally {
    rec.free();
  }
}

function toOpenAIResponse(model, result) {
  const content = typeof result === 'string' ? result : result && (result.response ?? result.result?.response ?? '');
  const usage = result && result.usage;
  return {
    id: `chatcmpl-${crypto.randomUUID()}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: typeof content === 'string' ? content : JSON.stringify(content) }, finish_reason: 'stop' }],
    usage: usage
      ? { prompt_tokens: usage.prompt_tokens ?? 0, completion_tokens: usage.completion_tokens ?? 0, total_tokens: usage.total_tokens ?? 0 }
      : undefined,
  };
}

async function handleProxy(request, env) {
  const origin = request.headers.get('Origin');
  if (!origin || !allowedOrigins(env).includes(origin)) {
    throw new HttpError(403, 'origin not allowed');
  }
  await rateLimit(request, env, 'proxy');
  const body = parseJson(await readBody(request, limit(env, 'PROXY_MAX_BYTES')));
  if (!isObj(body) || !Array.isArray(body.messages) || body.messages.length === 0) {
    throw new HttpError(400, 'body must be a chat completion request with a non-empty messages array');
  }
  if (!body.messages.every((m) => isObj(m) && typeof m.role === 'string' && typeof m.content === 'string')) {
    throw new HttpError(400, 'every message needs a string role and string content');
  }
  const maxTokens = limit(env, 'PROXY_MAX_TOKENS');
  const upstream = {
    ...body,
    stream: false,
    max_tokens: Math.min(Number(body.max_tokens) || maxTokens, maxTokens),
  };
  delete upstream.max_completion_tokens;
  // Upstream: the OpenAI-compatible endpoint when LLM_BASE_URL is set, else Workers AI.
  if (!env.LLM_BASE_URL && env.AI) {
    const model = env.WORKERS_AI_MODEL || '@cf/meta/llama-3.1-8b-instruct';
    const result = await env.AI.run(model, {
      messages: upstream.messages,
      max_tokens: upstream.max_tokens,
      temperature: upstream.temperature,
      response_format: upstream.response_format,
    });
    return { response: json(200, toOpenAIResponse(model, result)), counts: { messages: body.messages.length, status: 200 } };
  }
  if (!env.LLM_BASE_URL) throw new HttpError(503, 'no upstream model is configured (LLM_BASE_URL or the AI binding)');
  if (env.LLM_MODEL) upstream.model = env.LLM_MODEL;
  const headers = { 'Content-Type': 'application/json' };
  if (env.LLM_API_KEY) headers.Authorization = `Bearer ${env.LLM_API_KEY}`;
  const url = `${String(env.LLM_BASE_URL).replace(/\/+$/, '')}/chat/completions`;
  let res;
  try {
    res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(upstream), signal: request.signal });
  } catch {
    throw new HttpError(502, 'upstream unreachable');
  }
  const out = new Headers({ 'Content-Type': res.headers.get('Content-Type') || 'application/json', 'Cache-Control': 'no-store' });
  const retry = res.headers.get('Retry-After');
  if (retry) out.set('Retry-After', retry);
  return { response: new Response(res.body, { status: res.status, headers: out }), counts: { messages: body.messages.length, status: res.status } };
}

function withHeaders(response, headers) {
  const r = new Response(response.body, response);
  for (const [k, v] of Object.entries(headers)) r.headers.set(k, v);
  return r;
}

export default {
  async fetch(request, env) {
    const t0 = Date.now();
    const url = new URL(request.url);
    const cors = corsHeaders(request, env);
    let response;
    let counts = {};
    try {
      if (request.method === 'OPTIONS' && (url.pathname === '/recommend' || url.pathname === '/v1/chat/completions')) {
        response = cors['Access-Control-Allow-Origin'] ? new Response(null, { status: 204 }) : json(403, { error: 'origin not allowed' });
      } else if (url.pathname === '/health') {
        const arag = await getArag();
        // Module instances of this isolate (1 once warm), recommendations served, and the
        // module's linear memory (stable across requests when every handle is freed).
        const raw = arag.raw;
        const memoryBytes = raw && typeof raw.u8 === 'function' ? raw.u8().length : null;
        // Where a 1 MiB allocation lands: stable between requests unless memory leaks.
        let heapProbe = null;
        if (raw && typeof raw.malloc === 'function') {
          heapProbe = raw.malloc(1 << 20);
          raw.free(heapProbe);
        }
        response = json(200, { ok: true, version: arag.version ?? null, ...stats, memoryBytes, heapProbe });
      } else if (url.pathname === '/recommend' || url.pathname === '/v1/chat/completions') {
        if (request.method !== 'POST') throw new HttpError(405, 'use POST', { Allow: 'POST, OPTIONS' });
        const ct = request.headers.get('Content-Type') || '';
        if (!/^application\/json\b/i.test(ct)) throw new HttpError(415, 'Content-Type must be application/json');
        if (url.pathname === '/recommend') {
          const r = await handleRecommend(request, env);
          counts = r.counts;
          response = json(200, r.res);
        } else {
          const r = await handleProxy(request, env);
          counts = r.counts;
          response = r.response;
        }
      } else {
        throw new HttpError(404, 'not found: POST /recommend or POST /v1/chat/completions');
      }
    } catch (e) {
      if (e instanceof HttpError) response = json(e.status, { error: e.message }, e.headers);
      else {
        console.error(JSON.stringify({ route: url.pathname, error: e && e.name ? e.name : 'Error' }));
        response = json(500, { error: 'internal error' });
      }
    }
    // Counts only: no ids, no text, no headers of the request.
    console.log(JSON.stringify({ route: url.pathname, status: response.status, ms: Date.now() - t0, ...counts }));
    return Object.keys(cors).length ? withHeaders(response, cors) : response;
  },
};
