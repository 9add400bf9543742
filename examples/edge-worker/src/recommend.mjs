// POST /recommend {history?, history_snapshot?, candidates?, k?, options?}
//   -> {items, usage, degraded, catalog?, trace?}
//
// The shopper's events come by item id ({id, ts, kind}: the item from the catalog) or with
// their text, or as a history snapshot (history.mjs). Candidates: by id or inline, or
// none: the catalog's top_k for the shopper (from the catalog this isolate holds, or
// from Vectorize for a catalog past one isolate).
//
// Offline (the built-in reasoner) it is open, rate-limited per client address. With an
// LLM backend it needs a page token; each recommendation reserves its calls and tokens
// from the token's budget, keeps to the operator's caps on every cost setting, and to
// the library's per-recommendation budget {calls, tokens, promptBytes} and deadline
// (deadline_ms); a client that goes away cancels it.
import { createRecommender, openAIChat, workersAI, traceAtLevel, TRACE_LEVELS } from 'arag';
import { HttpError, hasLoneSurrogate } from './http.mjs';
import { costCaps } from './config.mjs';
import { eventsWithItems, topCandidates, VECTORIZE_TOP_K_MAX } from './vectorize.mjs';

const ITEM_TEXT_FIELDS = ['title', 'text', 'brand'];
// Settings a client may name in options.config: the cost settings (capped) and these.
const FREE_KEYS = new Set(['theta', 'min_keep', 'agents', 'temperature']);
const BODY_KEYS = new Set(['history', 'history_snapshot', 'candidates', 'k', 'options']);
const MAX_ID_CHARS = 512;

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

function checkId(id, where) {
  if (typeof id !== 'string' || !id) throw new HttpError(400, `${where} must be a non-empty string`, { param: where });
  if (id.length > MAX_ID_CHARS) throw new HttpError(413, `${where} is ${id.length} characters; the limit is ${MAX_ID_CHARS}`, { param: where });
  if (hasLoneSurrogate(id)) throw new HttpError(400, `${where} holds a lone surrogate (not valid Unicode text)`, { param: where, code: 'invalid_id' });
}

function checkItem(it, where, maxText) {
  if (!isObj(it)) throw new HttpError(400, `${where} must be an object`, { param: where });
  checkId(it.id, `${where}.id`);
  for (const f of ITEM_TEXT_FIELDS) {
    if (it[f] === undefined) continue;
    if (typeof it[f] !== 'string') throw new HttpError(400, `${where}.${f} must be a string`, { param: `${where}.${f}` });
    if (it[f].length > maxText) {
      throw new HttpError(413, `${where}.${f} is ${it[f].length} characters; the limit is ${maxText}`, { param: `${where}.${f}` });
    }
  }
  if (it.categories !== undefined) {
    if (!Array.isArray(it.categories) || it.categories.length > 16 || !it.categories.every((c) => typeof c === 'string' && c.length <= 200)) {
      throw new HttpError(400, `${where}.categories must be at most 16 strings of at most 200 characters`, { param: `${where}.categories` });
    }
  }
  if (it.vector !== undefined) throw new HttpError(400, `${where}.vector is not accepted here`, { param: `${where}.vector` });
}

/** The bytes of a base64 history snapshot: 400 for text that is not base64, 413 past max. */
export function snapshotBytes(text, max) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1) {
    throw new HttpError(400, 'history_snapshot must be the base64 text of a history snapshot', { param: 'history_snapshot' });
  }
  const n = Math.floor((text.length * 3) / 4) - (text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0);
  if (n > max) throw new HttpError(413, `history_snapshot is ${n} bytes; the limit is ${max}`, { param: 'history_snapshot', code: 'snapshot_too_large' });
  let bin;
  try {
    bin = atob(text);
  } catch {
    throw new HttpError(400, 'history_snapshot must be the base64 text of a history snapshot', { param: 'history_snapshot' });
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** options.trace: false | true | 'none' | 'summary' | 'full' (default: summary). */
function traceAsked(v) {
  if (v === undefined || v === true) return 'summary';
  if (v === false) return 'none';
  if (typeof v === 'string' && TRACE_LEVELS.includes(v)) return v;
  throw new HttpError(400, `options.trace must be true, false or one of ${TRACE_LEVELS.join(', ')}`, { param: 'options.trace' });
}

/** The validated request: 400 (413 for sizes) naming the field and the limit. */
export function validateRecommend(body, s) {
  if (!isObj(body)) throw new HttpError(400, 'the body must be a JSON object');
  for (const key of Object.keys(body)) {
    if (!BODY_KEYS.has(key)) throw new HttpError(400, `${key} is not a field of a recommendation request (${[...BODY_KEYS].join(', ')})`, { param: key });
  }
  const history = body.history ?? [];
  if (!Array.isArray(history)) throw new HttpError(400, 'history must be an array of events', { param: 'history' });
  if (history.length > s.MAX_HISTORY) throw new HttpError(413, `history has ${history.length} events; the limit is ${s.MAX_HISTORY}`, { param: 'history' });
  history.forEach((ev, i) => {
    checkItem(ev, `history[${i}]`, s.MAX_TEXT_CHARS);
    if (ev.ts !== undefined && !Number.isFinite(ev.ts)) throw new HttpError(400, `history[${i}].ts must be a number`, { param: `history[${i}].ts` });
  });
  const snapshot = body.history_snapshot === undefined || body.history_snapshot === null ? null : snapshotBytes(body.history_snapshot, s.MAX_HISTORY_SNAPSHOT_BYTES);
  const candidates = body.candidates ?? null;
  if (candidates !== null) {
    if (!Array.isArray(candidates) || candidates.length === 0) {
      throw new HttpError(400, 'candidates must be a non-empty array of item ids or items ({id, title, ...})', { param: 'candidates' });
    }
    if (candidates.length > s.MAX_CANDIDATES) {
      throw new HttpError(413, `${candidates.length} candidates; the limit is ${s.MAX_CANDIDATES}`, { param: 'candidates' });
    }
    const seen = new Set();
    candidates.forEach((c, i) => {
      if (typeof c === 'string') checkId(c, `candidates[${i}]`);
      else {
        checkItem(c, `candidates[${i}]`, s.MAX_TEXT_CHARS);
        if (typeof c.title !== 'string' && typeof c.text !== 'string' && Object.keys(c).length > 1) {
          throw new HttpError(400, `candidates[${i}] needs a title or text (or only its id, for a catalog item)`, { param: `candidates[${i}]` });
        }
      }
      const id = typeof c === 'string' ? c : c.id;
      if (seen.has(id)) throw new HttpError(400, `candidates[${i}] repeats an earlier candidate's id`, { param: `candidates[${i}]` });
      seen.add(id);
    });
  }
  const k = body.k ?? 10;
  if (!Number.isInteger(k) || k < 1 || k > s.MAX_K) throw new HttpError(400, `k must be an integer in [1, ${s.MAX_K}]`, { param: 'k' });
  const options = body.options ?? {};
  if (!isObj(options)) throw new HttpError(400, 'options must be an object', { param: 'options' });
  for (const key of Object.keys(options)) {
    if (!['config', 'llm', 'trace', 'history'].includes(key)) throw new HttpError(400, `options.${key} is not a known option`, { param: `options.${key}` });
  }
  const caps = costCaps(s);
  const config = {};
  if (options.config !== undefined) {
    if (!isObj(options.config)) throw new HttpError(400, 'options.config must be an object', { param: 'options.config' });
    for (const [key, v] of Object.entries(options.config)) {
      const param = `options.config.${key}`;
      const cap = caps[key];
      if (!cap && !FREE_KEYS.has(key)) throw new HttpError(400, `${param} is not a setting a request may change`, { param });
      if (cap) {
        if (!Number.isInteger(v) || v < 0) throw new HttpError(400, `${param} must be a whole number`, { param });
        if (cap.max !== undefined && v > cap.max) throw new HttpError(400, `${param} is ${v}; the cap is ${cap.max}`, { param, code: 'cap_exceeded' });
        if (cap.min !== undefined && v < cap.min) throw new HttpError(400, `${param} is ${v}; it may not be below ${cap.min}`, { param, code: 'cap_exceeded' });
      }
      config[key] = v;
    }
  }
  const llm = options.llm ?? 'default';
  if (llm !== 'default' && llm !== 'offline') throw new HttpError(400, 'options.llm must be "default" or "offline"', { param: 'options.llm' });
  const stored = options.history ?? 'sent';
  if (stored !== 'sent' && stored !== 'stored') throw new HttpError(400, 'options.history must be "sent" (default) or "stored"', { param: 'options.history' });
  if (stored === 'stored' && snapshot) {
    throw new HttpError(400, 'history_snapshot and options.history "stored" exclude each other', { param: 'history_snapshot' });
  }
  return { history, snapshot, candidates, k, config, llm, stored: stored === 'stored', trace: traceAsked(options.trace) };
}

/** The engine config: the operator's caps as the settings, the client's lower values over them. */
export function engineConfig(s, asked) {
  const base = {
    deadline_ms: s.RECOMMEND_DEADLINE_MS,
    nli_batch: s.CAP_NLI_BATCH_MIN,
    session_len: Math.min(5, s.CAP_SESSION_LEN),
    long_term_len: s.CAP_LONG_TERM_LEN,
    max_prompt_item_chars: s.CAP_MAX_PROMPT_ITEM_CHARS,
    max_in_flight: s.CAP_MAX_IN_FLIGHT,
    max_tokens: s.CAP_MAX_TOKENS,
    max_candidates: s.MAX_CANDIDATES,
  };
  if (s.CAP_TOP_K < 50) base.top_k = s.CAP_TOP_K;
  return { ...base, ...asked };
}

/** The backend of this request: offline, or an adapter for the configured LLM. */
export function backendFor(s, env, asked) {
  const kind = asked === 'offline' ? 'offline' : s.ARAG_LLM;
  const shared = { timeoutMs: s.LLM_TIMEOUT_MS, retries: 1, concurrency: Math.max(1, s.CAP_MAX_IN_FLIGHT) };
  if (kind === 'offline') return { kind, llm: 'offline' };
  if (kind === 'workers-ai') {
    if (!env.AI) throw new HttpError(503, 'ARAG_LLM is workers-ai but the worker has no AI binding', { code: 'not_configured' });
    return { kind, llm: workersAI(env.AI, { model: s.WORKERS_AI_MODEL, ...shared }) };
  }
  if (!s.LLM_BASE_URL || !s.LLM_MODEL) throw new HttpError(503, 'ARAG_LLM is openai but LLM_BASE_URL or LLM_MODEL is not set', { code: 'not_configured' });
  return { kind, llm: openAIChat({ baseURL: s.LLM_BASE_URL, model: s.LLM_MODEL, apiKey: s.LLM_API_KEY || undefined, ...shared }) };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

/**
 * Starts one validated recommendation and resolves once the module has accepted it (its
 * inputs checked, its first agent calls out) with {result: Promise<answer>}; what the
 * module refuses rejects here (a 4xx for the caller). llm: 'offline' or an adapter;
 * budget: {calls, tokens, promptBytes} for an LLM-backed one; catalog: a lease from
 * leaseCatalog (or null); vectorize: the VECTORIZE binding when the catalog's top-k
 * comes from there; events: the stored history's events (options.history "stored").
 */
export async function startRecommend(input, { arag, llm, s, budget, signal, traceLevel, catalog = null, vectorize = null, events = null }) {
  const rec = await createRecommender({
    arag,
    llm: llm === 'offline' ? 'offline' : llm,
    config: engineConfig(s, input.config),
    ...(catalog ? { sharedCatalog: catalog.catalog } : {}),
  });
  let result;
  try {
    const info = {};
    if (input.snapshot) {
      // The page's own history: a snapshot it took (budgeted by the module's restore limits).
      rec.history.restore(input.snapshot);
    }
    let evs = (events ?? input.history).map((ev, i) => ({ ts: i, ...ev }));
    let candidates = input.candidates;
    if (vectorize) {
      const r = await eventsWithItems(vectorize, evs);
      evs = r.events;
      info.unknown_events = r.unknown;
    } else if (catalog && evs.length) {
      info.unknown_events = evs.filter((e) => !e.title && !e.text && !catalog.catalog.has(e.id)).length;
    }
    if (evs.length) rec.history.add(evs);
    if (rec.history.count > s.MAX_HISTORY) {
      throw new HttpError(413, `the history holds ${rec.history.count} events; the limit is ${s.MAX_HISTORY}`, { param: input.snapshot ? 'history_snapshot' : 'history' });
    }
    const topK = Math.min(input.config.top_k ?? 50, s.CAP_TOP_K);
    if (!candidates && vectorize) {
      const v = rec.contextVector();
      if (!v) throw new HttpError(400, 'no history to take candidates from the catalog with: send events or candidates', { param: 'candidates' });
      const seen = new Set(evs.map((e) => e.id)); // (arag's catalog mode leaves the history's items out too)
      candidates = await topCandidates(vectorize, v, { topK: Math.min(topK, VECTORIZE_TOP_K_MAX), exclude: seen });
      info.source = 'vectorize';
      if (candidates.length === 0) throw new HttpError(503, 'the catalog index returned no candidates', { code: 'no_candidates' });
    } else if (vectorize && candidates) {
      // Candidates by id: their items from Vectorize (inline ones as they are).
      const r = await eventsWithItems(vectorize, candidates.map((c) => (typeof c === 'string' ? { id: c } : c)));
      const missing = r.events.find((c) => !c.title && !c.text);
      if (missing) throw new HttpError(400, `candidate "${missing.id.slice(0, 64)}" is not in the catalog`, { param: 'candidates', code: 'not_found' });
      candidates = r.events;
      info.source = 'vectorize';
    } else if (!candidates && !catalog) {
      throw new HttpError(400, 'candidates must be a non-empty array of items ({id, title, ...}): this worker holds no catalog', { param: 'candidates' });
    } else {
      info.source = catalog ? 'catalog' : 'request';
    }
    const req = candidates ? { candidates, k: input.k, topK: candidates.length } : { k: input.k, topK };
    const running = rec.recommend(req, { signal, budget: llm === 'offline' ? undefined : budget });
    running.catch(() => {});
    // Refusals of the start reject at once; an LLM-backed run goes on.
    await Promise.race([running, tick()]);
    result = running.then((out) => {
      const res = { items: out.items, usage: out.usage, degraded: out.degraded };
      if (catalog || vectorize) res.catalog = { source: info.source, version: catalog ? catalog.version : null, unknown_events: info.unknown_events ?? 0 };
      const trace = traceAtLevel(out.trace, traceLevel);
      if (trace) res.trace = trace;
      return res;
    });
  } catch (e) {
    rec.free();
    throw e;
  }
  const free = () => rec.free();
  result.then(free, free);
  return { result };
}
