// arag on the edge: a Cloudflare Worker that ranks near the shopper.
//
//   POST /recommend             {history?, history_snapshot?, candidates?, k?, options?}
//                               -> {items, usage, degraded, catalog?, trace?}
//   POST /v1/chat/completions   OpenAI-compatible proxy for pages (the shop's key stays here)
//   GET|DELETE /history         the stored history of the token's shopper (history.mjs)
//   GET  /health                {ok, version, catalog, ...counts}
//
// The catalog (catalog.mjs) is loaded once per isolate and shared by every request;
// past one isolate, its top-k comes from Vectorize (vectorize.mjs). Everything that
// spends the shop's LLM budget needs a page token (see auth.mjs); the offline /recommend
// is open and rate-limited. Settings: config.mjs and wrangler.toml. Nothing of a request
// is logged beyond counts, and every answer and log line is redacted.
import { createArag, createRedactor, AragError } from 'arag';
import { settings, ConfigError } from './config.mjs';
import { HttpError, json, errorBody, errorResponse, readText, parseJson, corsHeaders, withHeaders } from './http.mjs';
import { requireToken } from './auth.mjs';
import { admit, admission, checkRate, tableSizes, tokenBudget } from './limits.mjs';
import { validateRecommend, backendFor, startRecommend } from './recommend.mjs';
import { leaseCatalog, catalogStatus } from './catalog.mjs';
import { shopperHistory, historyRoute } from './history.mjs';
import { proxyChat } from './proxy.mjs';

export { TokenBudget } from './limits.mjs';
export { ShopperHistory } from './history.mjs';

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

/** The catalog of this request: {catalog} (a lease), {vectorize}, or neither. */
async function catalogFor(arag, env, s, ctx) {
  const lease = await leaseCatalog(arag, env, s, ctx);
  const vectorize = env.VECTORIZE && typeof env.VECTORIZE.query === 'function' ? env.VECTORIZE : null;
  if (lease && lease.tooLarge) {
    if (vectorize) return { vectorize };
    throw new HttpError(503, `the catalog snapshot is ${lease.tooLarge.size} bytes, past CATALOG_MAX_BYTES (${s.CATALOG_MAX_BYTES}), and no VECTORIZE index is bound`, { code: 'catalog_too_large' });
  }
  if (lease) return { catalog: lease };
  return vectorize ? { vectorize } : {};
}

async function handleRecommend(request, env, s, ctx) {
  const release = admit(s, Math.min(Number(request.headers.get('Content-Length')) || s.MAX_BODY_BYTES, s.MAX_BODY_BYTES), true);
  // Everything this request holds, given back once: admission, the catalog lease, the
  // token's reservation.
  const held = { lease: null, budget: null, granted: null, started: false };
  let released = false;
  let handedOff = false; // a streamed answer gives everything back when it ends
  const done = (res) => {
    if (released) return;
    released = true;
    release();
    if (held.lease) held.lease.release();
    if (held.granted) {
      // What was spent: the usage of the answer; nothing when the recommendation never
      // started; all of the reservation when it started and no usage came back.
      const host = (res && res.usage && res.usage.host) || null;
      const used = host
        ? { calls: host.attempts, tokens: host.promptTokens + host.completionTokens }
        : held.started
          ? { calls: held.granted.calls, tokens: held.granted.tokens }
          : { calls: 0, tokens: 0 };
      const p = held.budget.settle(held.granted, used).catch(() => {});
      if (ctx && typeof ctx.waitUntil === 'function') ctx.waitUntil(p);
    }
  };
  try {
    const input = validateRecommend(parseJson(await readText(request, s.MAX_BODY_BYTES, s.BODY_TIMEOUT_MS), s.MAX_JSON_DEPTH), s);
    const { kind, llm } = backendFor(s, env, input.llm);
    // The trace a caller may see: the operator's level, 'full' only with a token granting it.
    let allowed = Math.min(TRACE_RANK[s.TRACE_LEVEL], 1);
    let claims = null;
    if (kind === 'offline') {
      await checkRate(request, env, s, 'recommend');
      if (input.stored) claims = await requireToken(request, s, 'a stored history');
    } else {
      claims = await requireToken(request, s, 'an LLM-backed recommendation');
      if (s.TRACE_LEVEL === 'full' && claims.trace === 'full') allowed = 2;
      else allowed = Math.min(allowed, TRACE_RANK[claims.trace]);
    }
    if (TRACE_RANK[input.trace] > allowed) {
      throw new HttpError(403, `options.trace "${input.trace}" is more than this caller may see (at most "${Object.keys(TRACE_RANK)[allowed]}")`, {
        param: 'options.trace',
        code: 'trace_not_allowed',
      });
    }
    const stored = input.stored ? shopperHistory(env, claims) : null;
    const arag = await getArag();
    const { catalog = null, vectorize = null } = await catalogFor(arag, env, s, ctx);
    held.lease = catalog;
    if (kind !== 'offline') {
      held.budget = tokenBudget(env, claims);
      held.granted = await held.budget.reserve({ calls: s.RECOMMEND_MAX_CALLS, tokens: s.RECOMMEND_MAX_TOKENS });
      if (held.granted.calls < 1) {
        held.granted = null;
        throw new HttpError(429, "the page token's budget of LLM calls or tokens is spent", { code: 'budget_spent' });
      }
    }
    // A stored history: this request's events are added to it, then all of it is used.
    const events = stored ? await stored.append(input.history, s.STORED_HISTORY_MAX_EVENTS, s.STORED_HISTORY_DAYS) : null;
    let started;
    try {
      started = await startRecommend(input, {
        arag,
        llm,
        s,
        budget: held.granted ? { calls: held.granted.calls, tokens: held.granted.tokens, promptBytes: s.RECOMMEND_MAX_PROMPT_BYTES } : null,
        signal: request.signal,
        traceLevel: input.trace,
        catalog,
        vectorize,
        events,
      });
    } catch (e) {
      if (e instanceof AragError) throw fromAragError(e);
      throw e;
    }
    held.started = true;
    const counts = { backend: kind, history: events ? events.length : input.history.length, candidates: input.candidates ? input.candidates.length : 0, source: catalog ? 'catalog' : vectorize ? 'vectorize' : 'request' };
    const answer = (res) => {
      stats.recommends++;
      if (held.granted) res.usage.prompt_bytes = res.usage?.host?.budget?.usedPromptBytes ?? 0;
      return redactorFor(s).redactValue(res);
    };
    if (kind !== 'offline' && s.HEARTBEAT_MS > 0) {
      // The answer starts now and a space goes out every HEARTBEAT_MS until the JSON: a
      // client that went away is noticed at the next write (request.signal) and its
      // recommendation cancelled. Errors from here on (the module accepted the request)
      // come as {error} in the body.
      const { readable, writable } = new TransformStream();
      const writer = writable.getWriter();
      const enc = new TextEncoder();
      const beat = setInterval(() => writer.write(enc.encode(' ')).catch(() => {}), s.HEARTBEAT_MS);
      const finished = started.result
        .then(
          async (res) => {
            const body = answer(res);
            done(res);
            await writer.write(enc.encode(JSON.stringify(body)));
            await writer.close();
            return { items: body.items.length, calls: res.usage?.host?.attempts ?? 0 };
          },
          async (e) => {
            done(null);
            if (request.signal && request.signal.aborted) {
              await writer.abort(e).catch(() => {});
              return { cancelled: true };
            }
            const he = e instanceof AragError ? fromAragError(e) : e instanceof HttpError ? e : new HttpError(500, 'internal error', { code: 'internal' });
            if (!(e instanceof AragError) && !(e instanceof HttpError)) console.error(JSON.stringify({ route: '/recommend', error: String(e && e.name).slice(0, 40) }));
            await writer.write(enc.encode(JSON.stringify(errorBody(he.status, redactorFor(s).redact(he.message), he.code, he.param))));
            await writer.close();
            return { error: he.status };
          }
        )
        .catch(() => ({ cancelled: true }))
        .then((c) => {
          clearInterval(beat);
          console.log(redactorFor(s).redact(JSON.stringify({ route: '/recommend', done: true, ...c })));
        });
      if (ctx && typeof ctx.waitUntil === 'function') ctx.waitUntil(finished);
      handedOff = true;
      return { response: new Response(readable, { status: 200, headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' } }), counts: { ...counts, streamed: true } };
    }
    let res;
    try {
      res = await started.result;
    } catch (e) {
      if (request.signal && request.signal.aborted) throw new HttpError(499, 'the client went away', { code: 'client_closed' });
      if (e instanceof AragError) throw fromAragError(e);
      throw e;
    }
    const body = answer(res);
    done(res);
    return { response: json(200, body), counts: { ...counts, items: res.items.length, calls: res.usage?.host?.attempts ?? 0 } };
  } finally {
    if (!handedOff) done(null); // a no-op once the answer gave everything back
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
  return json(200, { ok: true, version: healthArag.version, ...stats, memoryBytes: healthArag.raw.u8().length, catalog: catalogStatus(), admission: admission(), tables: tableSizes() });
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
      const route = url.pathname;
      cors = corsHeaders(request, s.origins, route === '/history' ? 'GET, DELETE, OPTIONS' : 'POST, OPTIONS');
      if (route === '/health') {
        if (request.method !== 'GET' && request.method !== 'HEAD') throw new HttpError(405, 'use GET', { headers: { Allow: 'GET, HEAD' } });
        if (!healthArag) healthArag = await getArag();
        response = health();
      } else if (route === '/recommend' || route === '/v1/chat/completions' || route === '/history') {
        if (request.method === 'OPTIONS') {
          response = cors ? new Response(null, { status: 204 }) : json(403, { error: { message: 'origin not allowed', type: 'permission_error', param: null, code: 'origin_not_allowed' } });
        } else if (route === '/history') {
          await checkRate(request, env, s, 'history');
          const claims = await requireToken(request, s, 'a stored history');
          ({ response, counts } = await historyRoute(request, env, claims));
        } else {
          if (request.method !== 'POST') throw new HttpError(405, 'use POST', { headers: { Allow: 'POST, OPTIONS' } });
          const ct = request.headers.get('Content-Type') || '';
          if (!/^application\/json\b/i.test(ct)) throw new HttpError(415, 'Content-Type must be application/json', { code: 'unsupported_media_type' });
          const r = route === '/recommend' ? await handleRecommend(request, env, s, ctx) : await handleProxy(request, env, s);
          response = r.response;
          counts = r.counts;
        }
      } else {
        throw new HttpError(404, 'not found: POST /recommend, POST /v1/chat/completions, GET|DELETE /history or GET /health', { code: 'not_found' });
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
