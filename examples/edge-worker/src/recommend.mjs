// POST /recommend {history, candidates, k, options} -> {items, usage, degraded, trace?}
//
// Offline (the built-in reasoner) it is open, rate-limited per client address. With an
// LLM backend it needs a page token, and each recommendation reserves its calls and
// tokens from the token's budget, keeps to the operator's caps on every cost setting, to
// a budget of calls and prompt bytes, and to a deadline for the whole of it; a client
// that goes away cancels it.
import { createRecommender, openAIChat, workersAI, traceAtLevel, TRACE_LEVELS } from 'arag';
import { HttpError, hasLoneSurrogate } from './http.mjs';
import { costCaps } from './config.mjs';

const ITEM_TEXT_FIELDS = ['title', 'text', 'brand'];
// Settings a client may name in options.config: the cost settings (capped) and these.
const FREE_KEYS = new Set(['theta', 'min_keep', 'agents', 'temperature']);

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

function checkItem(it, where, maxText) {
  if (!isObj(it)) throw new HttpError(400, `${where} must be an object`, { param: where });
  if (typeof it.id !== 'string' || !it.id) throw new HttpError(400, `${where}.id must be a non-empty string`, { param: `${where}.id` });
  if (hasLoneSurrogate(it.id)) {
    throw new HttpError(400, `${where}.id holds a lone surrogate (not valid Unicode text)`, { param: `${where}.id`, code: 'invalid_id' });
  }
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
  const history = body.history ?? [];
  if (!Array.isArray(history)) throw new HttpError(400, 'history must be an array of events', { param: 'history' });
  if (history.length > s.MAX_HISTORY) throw new HttpError(413, `history has ${history.length} events; the limit is ${s.MAX_HISTORY}`, { param: 'history' });
  history.forEach((ev, i) => {
    checkItem(ev, `history[${i}]`, s.MAX_TEXT_CHARS);
    if (ev.ts !== undefined && !Number.isFinite(ev.ts)) throw new HttpError(400, `history[${i}].ts must be a number`, { param: `history[${i}].ts` });
  });
  const candidates = body.candidates;
  if (!Array.isArray(candidates) || candidates.length === 0) {
    throw new HttpError(400, 'candidates must be a non-empty array of items ({id, title, ...})', { param: 'candidates' });
  }
  if (candidates.length > s.MAX_CANDIDATES) {
    throw new HttpError(413, `${candidates.length} candidates; the limit is ${s.MAX_CANDIDATES}`, { param: 'candidates' });
  }
  const seen = new Set();
  candidates.forEach((c, i) => {
    checkItem(c, `candidates[${i}]`, s.MAX_TEXT_CHARS);
    if (typeof c.title !== 'string' && typeof c.text !== 'string') throw new HttpError(400, `candidates[${i}] needs a title or text`, { param: `candidates[${i}]` });
    if (seen.has(c.id)) throw new HttpError(400, `candidates[${i}].id repeats an earlier candidate's id`, { param: `candidates[${i}].id` });
    seen.add(c.id);
  });
  const k = body.k ?? 10;
  if (!Number.isInteger(k) || k < 1 || k > s.MAX_K) throw new HttpError(400, `k must be an integer in [1, ${s.MAX_K}]`, { param: 'k' });
  const options = body.options ?? {};
  if (!isObj(options)) throw new HttpError(400, 'options must be an object', { param: 'options' });
  for (const key of Object.keys(options)) {
    if (!['config', 'llm', 'trace'].includes(key)) throw new HttpError(400, `options.${key} is not a known option`, { param: `options.${key}` });
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
  return { history, candidates, k, config, llm, trace: traceAsked(options.trace) };
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
  };
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

function promptBytes(request) {
  let n = 0;
  for (const m of Array.isArray(request.messages) ? request.messages : []) n += typeof m.content === 'string' ? m.content.length : 0;
  return n;
}

/**
 * The adapter with a recommendation's prompt-byte budget and deadline, checked again at
 * the worker: a call past either is answered at once as failed (its agent falls back),
 * one in flight at the deadline is stopped. (The host library's Budget counts calls,
 * tokens and prompt bytes of every attempt; the engine keeps deadline_ms too.)
 */
export function guarded(adapter, { maxPromptBytes, deadlineAt, spent }) {
  return {
    ...adapter,
    async complete(request, ctx = {}) {
      const fail = (error) => ({ status: 0, error, attempts: 0, retries: 0, ms: 0, usage: null });
      const left = deadlineAt - Date.now();
      if (left <= 0) {
        spent.refused++;
        return fail('the recommendation deadline has passed');
      }
      const bytes = promptBytes(request);
      if (spent.promptBytes + bytes > maxPromptBytes) {
        spent.refused++;
        return fail('the recommendation budget of prompt bytes is spent');
      }
      spent.promptBytes += bytes;
      const late = AbortSignal.timeout(left);
      const signal = ctx.signal ? AbortSignal.any([ctx.signal, late]) : late;
      try {
        return await adapter.complete(request, { ...ctx, signal });
      } catch (e) {
        if (late.aborted && !(ctx.signal && ctx.signal.aborted)) return fail('the recommendation deadline has passed');
        throw e;
      }
    },
  };
}

/**
 * Runs one validated recommendation. llm: 'offline' or an adapter; budget: {calls,
 * tokens, promptBytes} for an LLM-backed one; grant: the trace level the caller may see.
 */
export async function runRecommend(input, { arag, llm, s, budget, signal, traceLevel, spent }) {
  const rec = await createRecommender({ arag, llm: llm === 'offline' ? 'offline' : guarded(llm, { maxPromptBytes: budget.promptBytes, deadlineAt: Date.now() + s.RECOMMEND_DEADLINE_MS, spent }), config: engineConfig(s, input.config) });
  try {
    if (input.history.length) rec.history.add(input.history.map((ev, i) => ({ ts: i, ...ev })));
    const out = await rec.recommend(
      { candidates: input.candidates, k: input.k, topK: input.candidates.length },
      { signal, budget: llm === 'offline' ? undefined : { calls: budget.calls, tokens: budget.tokens, promptBytes: budget.promptBytes } }
    );
    const res = { items: out.items, usage: out.usage, degraded: out.degraded };
    const trace = traceAtLevel(out.trace, traceLevel);
    if (trace) res.trace = trace;
    return res;
  } finally {
    rec.free();
  }
}
