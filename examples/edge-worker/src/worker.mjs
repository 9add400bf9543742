// arag on the edge: a Cloudflare Worker that ranks near the shopper.
//
//   POST /recommend             {history, candidates, k, options} -> {items, usage, degraded, trace?}
//   POST /v1/chat/completions   OpenAI-compatible proxy for pages (the shop's key stays here)
//   GET  /health                {ok, version, ...counts}
//
// Everything that spends the shop's LLM budget needs a page token (see auth.mjs); the
// offline /recommend is open and rate-limited. Settings: config.mjs and wrangler.toml.
// Nothing of a request is logged beyond counts, and every answer and log line is redacted.
import { createArag, createRedactor, AragError } from 'arag';
import { settings, ConfigError } from './config.mjs';
import { HttpError, json, errorResponse, readText, parseJson, corsHeaders, withHeaders } from './http.mjs';
import { requireToken } from './auth.mjs';
import { admit, admission, checkRate, tableSizes, tokenBudget } from './limits.mjs';
import { validateRecommend, backendFor, runRecommend } from './recommend.mjs';
import { proxyChat } from './proxy.mjs';

export { TokenBudget } from './limits.mjs';

// Per isolate: one module instance, its counters, a redactor per set of secrets.
let aragPromise = null;
const stats = { instances: 0, recommends: 0 };
let redactor = { key: null, r: null };

function getArag() {
  if (!aragPromise) {
    stats.instances++;
    aragPromise = createArag().catch((e) => {
      aragPromise = null; // retried by the next request
      throw e;
    });
  }
  return aragPromise;
}

function redactorFor(s) {
  const key = `${s.LLM_API_KEY}\u0000${s.PAGE_TOKEN_SECRET}`;
  if (redactor.key !== key) redactor = { key, r: createRedactor([s.LLM_API_KEY, s.PAGE_TOKEN_SECRET]) };
  return redactor.r;
}

// A library error: the request broke one of its limits or contracts (the message names it).
function fromAragError(e) {
  const status = e.code === 'ARAG_E_NOMEM' ? 503 : e.code === 'ARAG_E_LIMIT' ? 413 : 400;
  const msg = e.message.startsWith(`${e.code}:`) ? e.message : `${e.code}: ${e.message}`;
  return new HttpError(status, msg, { code: e.code.toLowerCase() });
}

const TRACE_RANK = { none: 0, summary: 1, full: 2 };

async function handleRecommend(request, env, s, ctx) {
  const release = admit(s, Math.min(Number(request.headers.get('Content-Length')) || s.MAX_BODY_BYTES, s.MAX_BODY_BYTES), true);
  try {
    const input = validateRecommend(parseJson(await readText(request, s.MAX_BODY_BYTES, s.BODY_TIMEOUT_MS), s.MAX_JSON_DEPTH), s);
    const { kind, llm } = backendFor(s, env, input.llm);
    // The trace a caller may see: the operator's level, 'full' only with a token granting it.
    let allowed = Math.min(TRACE_RANK[s.TRACE_LEVEL], 1);
    let claims = null;
    let budget = null;
    let granted = null;
    const spent = { promptBytes: 0, refused: 0 };
    if (kind === 'offline') {
      await checkRate(request, env, s, 'recommend');
    } else {
      claims = await requireToken(request, s, 'an LLM-backed recommendation');
      if (s.TRACE_LEVEL === 'full' && claims.trace === 'full') allowed = 2;
      else allowed = Math.min(allowed, TRACE_RANK[claims.trace]);
      budget = tokenBudget(env, claims);
      granted = await budget.reserve({ calls: s.RECOMMEND_MAX_CALLS, tokens: s.RECOMMEND_MAX_TOKENS });
      if (granted.calls < 1) throw new HttpError(429, "the page token's budget of LLM calls or tokens is spent", { code: 'budget_spent' });
    }
    if (TRACE_RANK[input.trace] > allowed) {
      throw new HttpError(403, `options.trace "${input.trace}" is more than this caller may see (at most "${Object.keys(TRACE_RANK)[allowed]}")`, {
        param: 'options.trace',
        code: 'trace_not_allowed',
      });
    }
    const arag = await getArag();
    let res;
    try {
      res = await runRecommend(input, {
        arag,
        llm,
        s,
        budget: granted ? { calls: granted.calls, tokens: granted.tokens, promptBytes: s.RECOMMEND_MAX_PROMPT_BYTES } : null,
        signal: request.signal,
        traceLevel: input.trace,
        spent,
      });
    } catch (e) {
      if (request.signal && request.signal.aborted) throw new HttpError(499, 'the client went away', { code: 'client_closed' });
      if (e instanceof AragError) throw fromAragError(e);
      throw e;
    } finally {
      if (granted) {
        const host = (res && res.usage && res.usage.host) || null;
        const used = host ? { calls: host.attempts, tokens: host.promptTokens + host.completionTokens } : { calls: granted.calls, tokens: granted.tokens };
        const p = budget.settle(granted, used).catch(() => {});
        if (ctx && typeof ctx.waitUntil === 'function') ctx.waitUntil(p);
        else await p;
      }
    }
    stats.recommends++;
    if (granted) res.usage.prompt_bytes = res.usage?.host?.budget?.usedPromptBytes ?? spent.promptBytes;
    return {
      response: json(200, redactorFor(s).redactValue(res)),
      counts: { backend: kind, history: input.history.length, candidates: input.candidates.length, items: res.items.length, calls: res.usage?.host?.attempts ?? 0 },
    };
  } finally {
    release();
  }
}

async function handleProxy(request, env, s) {
  const release = admit(s, Math.min(Number(request.headers.get('Content-Length')) || s.PROXY_MAX_BYTES, s.PROXY_MAX_BYTES), false);
  try {
    const claims = await requireToken(request, s, 'the chat completions proxy');
    const body = parseJson(await readText(request, s.PROXY_MAX_BYTES, s.BODY_TIMEOUT_MS), s.MAX_JSON_DEPTH);
    return await proxyChat(body, { s, env, budget: tokenBudget(env, claims), redact: redactorFor(s).redact, signal: request.signal });
  } finally {
    release(); // a stream in progress holds no request bytes
  }
}

// Counts and the module's memory: nothing allocated in the module, no addresses.
let healthArag = null;
function health() {
  return json(200, { ok: true, version: healthArag.version, ...stats, memoryBytes: healthArag.raw.u8().length, admission: admission(), tables: tableSizes() });
}

export default {
  async fetch(request, env, ctx) {
    const t0 = Date.now();
    const url = new URL(request.url);
    let response;
    let counts = {};
    let s = null;
    let cors = null;
    try {
      s = settings(env);
      cors = corsHeaders(request, s.origins);
      const route = url.pathname;
      if (route === '/health') {
        if (request.method !== 'GET' && request.method !== 'HEAD') throw new HttpError(405, 'use GET', { headers: { Allow: 'GET, HEAD' } });
        if (!healthArag) healthArag = await getArag();
        response = health();
      } else if (route === '/recommend' || route === '/v1/chat/completions') {
        if (request.method === 'OPTIONS') {
          response = cors ? new Response(null, { status: 204 }) : json(403, { error: { message: 'origin not allowed', type: 'permission_error', param: null, code: 'origin_not_allowed' } });
        } else {
          if (request.method !== 'POST') throw new HttpError(405, 'use POST', { headers: { Allow: 'POST, OPTIONS' } });
          const ct = request.headers.get('Content-Type') || '';
          if (!/^application\/json\b/i.test(ct)) throw new HttpError(415, 'Content-Type must be application/json', { code: 'unsupported_media_type' });
          const r = route === '/recommend' ? await handleRecommend(request, env, s, ctx) : await handleProxy(request, env, s);
          response = r.response;
          counts = r.counts;
        }
      } else {
        throw new HttpError(404, 'not found: POST /recommend, POST /v1/chat/completions or GET /health', { code: 'not_found' });
      }
    } catch (e) {
      if (e instanceof HttpError) {
        if (s) e.message = redactorFor(s).redact(e.message);
        response = errorResponse(e);
      } else if (e instanceof ConfigError) {
        console.error(JSON.stringify({ route: url.pathname, config_error: e.message }));
        response = errorResponse(new HttpError(500, 'the worker is misconfigured', { code: 'misconfigured' }));
      } else {
        const name = e && e.name ? String(e.name).slice(0, 40) : 'Error';
        console.error(JSON.stringify({ route: url.pathname, error: name }));
        response = errorResponse(new HttpError(500, 'internal error', { code: 'internal' }));
      }
    }
    // Counts only: no ids, no text, no headers of the request; redacted all the same.
    const line = JSON.stringify({ route: url.pathname, status: response.status, ms: Date.now() - t0, ...counts });
    console.log(s ? redactorFor(s).redact(line) : line);
    return withHeaders(response, cors);
  },
};
