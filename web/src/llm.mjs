// LLM adapters for the pipeline's agent requests, and the behaviour they share:
// a concurrency limit, a timeout per call, retries with exponential backoff and jitter
// on 429 / 5xx / network errors (honouring Retry-After), a per-recommendation budget
// (calls, tokens) and usage accounting.
//
// An adapter turns the engine's provider-neutral request
//   {agent, messages: [{role, content}], response_schema, max_tokens, temperature}
// into the assistant message content (a JSON text the engine validates).
//
// API keys never belong in a browser: there, point openAIChat at a proxy that adds the
// key (the edge worker offers /v1/chat/completions) and give no apiKey.
import { AragError, Status, abortError, isAbortError } from './errors.mjs';

export const DEFAULTS = Object.freeze({
  concurrency: 6, // Cloudflare Workers' limit on simultaneous outbound connections
  timeoutMs: 30000,
  retries: 3,
  backoffMs: 500,
  maxBackoffMs: 8000,
  maxRetryAfterMs: 60000,
});

/** A counting semaphore whose waiters can be aborted. */
export class Semaphore {
  constructor(n) {
    if (!Number.isInteger(n) || n < 1) throw new AragError(Status.ARAG_E_INVALID, `concurrency must be an integer >= 1, got ${n}`);
    this.free = n;
    this.size = n;
    this.waiters = [];
  }
  get active() {
    return this.size - this.free;
  }
  acquire(signal) {
    if (signal && signal.aborted) return Promise.reject(abortError(signal));
    if (this.free > 0) {
      this.free--;
      return Promise.resolve(this._releaser());
    }
    return new Promise((resolve, reject) => {
      const w = { resolve, reject, signal, onAbort: null };
      if (signal) {
        w.onAbort = () => {
          const i = this.waiters.indexOf(w);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(abortError(signal));
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.waiters.push(w);
    });
  }
  _releaser() {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const w = this.waiters.shift();
      if (w) {
        if (w.signal) w.signal.removeEventListener('abort', w.onAbort);
        w.resolve(this._releaser());
      } else {
        this.free++;
      }
    };
  }
}

/** Resolves after ms, or rejects with an AbortError when signal aborts first. */
export function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal && signal.aborted) return reject(abortError(signal));
    const t = setTimeout(() => {
      if (signal) signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(abortError(signal));
    };
    if (signal) signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Milliseconds to wait from Retry-After (seconds or an HTTP date) or retry-after-ms. */
export function parseRetryAfter(headers, now = Date.now()) {
  if (!headers) return undefined;
  const get = (n) => (typeof headers.get === 'function' ? headers.get(n) : headers[n]);
  const ms = get('retry-after-ms');
  if (ms != null && ms !== '' && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const v = get('retry-after');
  if (v == null || v === '') return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(v)) return Math.max(0, Number(v) * 1000);
  const t = Date.parse(v);
  return Number.isFinite(t) ? Math.max(0, t - now) : undefined;
}

/** Whether a failed attempt with this status is worth another try. */
export function isRetryable(status) {
  return status === 0 || status === 408 || status === 425 || status === 429 || (status >= 500 && status <= 599);
}

/** Backoff before retry number attempt+1: base * 2^attempt, capped, with jitter in [50%, 100%]. */
export function backoffDelay(attempt, opts, random = Math.random) {
  const d = Math.min(opts.maxBackoffMs, opts.backoffMs * 2 ** attempt);
  return d / 2 + (random() * d) / 2;
}

/**
 * A per-recommendation budget: at most `calls` provider calls (every attempt counts,
 * retries included) and `tokens` prompt + completion tokens. Infinity when absent.
 */
export class Budget {
  constructor(limits = {}) {
    const num = (v, name) => {
      if (v === undefined || v === null) return Infinity;
      if (typeof v !== 'number' || !(v >= 0)) throw new AragError(Status.ARAG_E_INVALID, `budget.${name} must be a number >= 0`);
      return v;
    };
    this.calls = num(limits.calls, 'calls');
    this.tokens = num(limits.tokens, 'tokens');
    this.usedCalls = 0;
    this.usedTokens = 0;
    this.exhausted = false;
  }
  /** Takes one call if the budget allows it; false (and exhausted) otherwise. */
  take() {
    if (this.usedCalls >= this.calls || this.usedTokens >= this.tokens) {
      this.exhausted = true;
      return false;
    }
    this.usedCalls++;
    return true;
  }
  addTokens(n) {
    if (Number.isFinite(n) && n > 0) this.usedTokens += n;
  }
  toJSON() {
    return {
      calls: this.calls === Infinity ? null : this.calls,
      tokens: this.tokens === Infinity ? null : this.tokens,
      usedCalls: this.usedCalls,
      usedTokens: this.usedTokens,
      exhausted: this.exhausted,
    };
  }
}

function normUsage(u) {
  if (!u || typeof u !== 'object') return null;
  const p = Number(u.prompt_tokens ?? u.promptTokens ?? u.input_tokens ?? 0);
  const c = Number(u.completion_tokens ?? u.completionTokens ?? u.output_tokens ?? 0);
  if (!Number.isFinite(p) || !Number.isFinite(c)) return null;
  return { promptTokens: Math.max(0, Math.round(p)), completionTokens: Math.max(0, Math.round(c)) };
}

function checkOpts(o) {
  const out = { ...DEFAULTS };
  for (const k of Object.keys(DEFAULTS)) {
    if (o[k] === undefined) continue;
    const v = o[k];
    const ok = typeof v === 'number' && v >= 0 && Number.isFinite(v) && (k !== 'concurrency' || (Number.isInteger(v) && v >= 1));
    if (!ok) throw new AragError(Status.ARAG_E_INVALID, `${k} must be a finite number >= ${k === 'concurrency' ? 1 : 0}, got ${String(v)}`);
    out[k] = v;
  }
  if (o.budget !== undefined && (o.budget === null || typeof o.budget !== 'object')) {
    throw new AragError(Status.ARAG_E_INVALID, 'budget must be an object {calls, tokens}');
  }
  out.budget = o.budget ? { ...o.budget } : undefined;
  new Budget(out.budget); // validates
  out.random = typeof o.random === 'function' ? o.random : Math.random;
  return out;
}

/**
 * The shared call discipline. callOnce(request, {signal, attempt}) performs one attempt
 * and resolves {status, content?, usage?, error?, retryAfterMs?, value?}; it may also
 * throw (a network error: status 0, or error.status when set).
 * Returns call(request, {signal, budget}) -> {status, content, usage, error, attempts,
 * retries, ms, budgetExhausted?}; rejects only with an AbortError when signal aborts.
 */
export function createCaller(callOnce, options = {}) {
  const o = checkOpts(options);
  const sem = new Semaphore(o.concurrency);
  const stats = { calls: 0, attempts: 0, retries: 0, failures: 0, timeouts: 0, promptTokens: 0, completionTokens: 0 };

  async function call(request, { signal, budget } = {}) {
    const t0 = Date.now();
    stats.calls++;
    let last = null;
    let attempt = 0;
    for (;; attempt++) {
      if (signal && signal.aborted) throw abortError(signal);
      if (budget && !budget.take()) {
        stats.failures++;
        return { status: 0, error: 'budget exhausted', budgetExhausted: true, attempts: attempt, retries: Math.max(0, attempt - 1), ms: Date.now() - t0, usage: null };
      }
      const release = await sem.acquire(signal);
      const ctrl = new AbortController();
      const onAbort = () => ctrl.abort(signal.reason);
      if (signal) signal.addEventListener('abort', onAbort, { once: true });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        ctrl.abort(new Error(`timed out after ${o.timeoutMs} ms`));
      }, o.timeoutMs);
      stats.attempts++;
      let r;
      try {
        r = await callOnce(request, { signal: ctrl.signal, attempt });
        if (timedOut && r && r.status === 200) r = null; // answered too late: a timeout
        if (!r) throw new Error('timeout');
      } catch (e) {
        if (signal && signal.aborted) {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          release();
          throw abortError(signal);
        }
        if (timedOut) {
          stats.timeouts++;
          r = { status: 0, error: `timed out after ${o.timeoutMs} ms`, timeout: true };
        } else {
          const st = e && typeof e.status === 'number' ? e.status : 0;
          r = { status: st, error: (e && e.message) || String(e), retryAfterMs: e && e.retryAfterMs };
        }
      } finally {
        clearTimeout(timer);
        if (signal) signal.removeEventListener('abort', onAbort);
        release();
      }
      const usage = normUsage(r.usage);
      if (usage) {
        stats.promptTokens += usage.promptTokens;
        stats.completionTokens += usage.completionTokens;
        if (budget) budget.addTokens(usage.promptTokens + usage.completionTokens);
      }
      last = { ...r, usage };
      if (r.status >= 200 && r.status < 300) {
        return { ...last, attempts: attempt + 1, retries: attempt, ms: Date.now() - t0 };
      }
      const wait = r.retryAfterMs;
      if (!isRetryable(r.status) || attempt >= o.retries || (wait !== undefined && wait > o.maxRetryAfterMs)) break;
      stats.retries++;
      const delay = Math.max(backoffDelay(attempt, o, o.random), wait !== undefined ? wait : 0);
      await sleep(delay, signal);
    }
    stats.failures++;
    return { ...last, attempts: attempt + 1, retries: attempt, ms: Date.now() - t0 };
  }

  return { call, stats, options: o, semaphore: sem };
}

function makeAdapter(name, callOnce, options) {
  const caller = createCaller(callOnce, options);
  return {
    kind: 'llm',
    name,
    options: caller.options,
    stats: caller.stats,
    /** Runs one agent request; never rejects except with an AbortError. */
    complete: (request, ctx) => caller.call(request, ctx),
  };
}

const FORMATS = ['json_schema', 'json_object', 'none'];

function schemaHint(schema) {
  return `Answer with a single JSON object that follows this JSON Schema:\n${JSON.stringify(schema)}`;
}

function refusesFormat(status, text, format) {
  if (format === 'none') return false;
  if (status !== 400 && status !== 422 && status !== 501) return false;
  return /response_format|json_schema|json_object|schema|structured/i.test(text);
}

function trimUrl(u) {
  return String(u).replace(/\/+$/, '');
}

/**
 * OpenAI-compatible chat completions (hosted APIs, vLLM, llama.cpp's server, Ollama,
 * or a proxy such as the edge worker).
 * @param {object} opts baseURL (…/v1), model, apiKey?, headers?, fetch?, jsonSchema
 *   (default true: response_format json_schema, falling back to json_object and then to
 *   none when the server refuses it), temperature?, maxTokens?, extraBody?, and the
 *   shared options concurrency, timeoutMs, retries, backoffMs, maxBackoffMs, budget.
 */
export function openAIChat(opts = {}) {
  const { baseURL, model, apiKey, headers = {}, jsonSchema = true, temperature, maxTokens, extraBody } = opts;
  if (typeof baseURL !== 'string' && !(baseURL instanceof URL)) {
    throw new AragError(Status.ARAG_E_INVALID, 'openAIChat: baseURL is required (e.g. http://127.0.0.1:8000/v1)');
  }
  const f = opts.fetch || globalThis.fetch;
  if (typeof f !== 'function') throw new AragError(Status.ARAG_E_INVALID, 'openAIChat: no fetch available');
  const url = `${trimUrl(baseURL)}/chat/completions`;
  const hdrs = { 'content-type': 'application/json', ...headers };
  if (apiKey) hdrs.authorization = `Bearer ${apiKey}`;
  const state = { format: jsonSchema ? 'json_schema' : 'json_object' };

  async function once(req, { signal }) {
    for (;;) {
      const format = state.format;
      let messages = Array.isArray(req.messages) ? req.messages : [];
      const body = { ...(extraBody || {}) };
      if (model) body.model = model;
      const schema = req.response_schema;
      if (schema && format === 'json_schema') {
        body.response_format = {
          type: 'json_schema',
          json_schema: { name: String(req.agent || 'answer').replace(/[^A-Za-z0-9_-]/g, '_'), schema, strict: false },
        };
      } else if (schema) {
        if (format === 'json_object') body.response_format = { type: 'json_object' };
        messages = [...messages, { role: 'system', content: schemaHint(schema) }];
      }
      body.messages = messages;
      const t = temperature ?? req.temperature;
      if (t !== undefined) body.temperature = t;
      const mt = maxTokens ?? req.max_tokens;
      if (mt !== undefined) body.max_tokens = mt;

      const resp = await f(url, { method: 'POST', headers: hdrs, body: JSON.stringify(body), signal });
      const text = await resp.text();
      if (!resp.ok) {
        if (refusesFormat(resp.status, text, format)) {
          const next = FORMATS[FORMATS.indexOf(format) + 1];
          if (state.format === format) state.format = next; // sticky for later calls
          continue; // not an attempt: ask again in the simpler format
        }
        return { status: resp.status, error: text.slice(0, 1000), retryAfterMs: parseRetryAfter(resp.headers) };
      }
      let data;
      try {
        data = JSON.parse(text);
      } catch {
        return { status: 502, error: `response body is not JSON: ${text.slice(0, 200)}` };
      }
      const choice = data && Array.isArray(data.choices) ? data.choices[0] : null;
      const msg = choice && choice.message;
      if (!msg) return { status: 502, error: `response has no choices[0].message: ${text.slice(0, 200)}`, usage: data && data.usage };
      let content = msg.content;
      if (content == null && msg.refusal) return { status: 422, error: `refused: ${msg.refusal}`, usage: data.usage };
      if (Array.isArray(content)) content = content.map((p) => (typeof p === 'string' ? p : p.text || '')).join('');
      else if (content !== null && typeof content === 'object') content = JSON.stringify(content);
      return { status: 200, content: String(content ?? ''), usage: data.usage, format };
    }
  }
  const a = makeAdapter('openai-chat', once, opts);
  Object.defineProperty(a, 'responseFormat', { get: () => state.format, enumerable: true });
  a.baseURL = trimUrl(baseURL);
  a.model = model;
  return a;
}

function workersAIStatus(e) {
  if (e && typeof e.status === 'number') return e.status;
  const m = String((e && e.message) || e);
  if (/capacity|rate.?limit|too many requests|\b429\b/i.test(m)) return 429;
  if (/\b5\d\d\b|internal|unavailable|timed? ?out/i.test(m)) return 503;
  if (/\b4\d\d\b|invalid|bad input|not supported|unsupported/i.test(m)) return 400;
  return 0;
}

/**
 * Cloudflare Workers AI binding: ai.run(model, {messages, response_format, max_tokens,
 * temperature}). Falls back to no response_format when the model refuses JSON mode.
 */
export function workersAI(ai, opts = {}) {
  if (!ai || typeof ai.run !== 'function') throw new AragError(Status.ARAG_E_INVALID, 'workersAI: pass the Workers AI binding (env.AI)');
  const { model, temperature, maxTokens } = opts;
  if (typeof model !== 'string' || !model) throw new AragError(Status.ARAG_E_INVALID, 'workersAI: model is required');
  const state = { jsonMode: opts.jsonSchema !== false };
  async function once(req, { signal }) {
    for (;;) {
      const useSchema = state.jsonMode && !!req.response_schema;
      let messages = Array.isArray(req.messages) ? req.messages : [];
      if (req.response_schema && !useSchema) messages = [...messages, { role: 'system', content: schemaHint(req.response_schema) }];
      const inputs = { messages };
      if (useSchema) inputs.response_format = { type: 'json_schema', json_schema: req.response_schema };
      const t = temperature ?? req.temperature;
      if (t !== undefined) inputs.temperature = t;
      const mt = maxTokens ?? req.max_tokens;
      if (mt !== undefined) inputs.max_tokens = mt;
      let out;
      try {
        out = await raceAbort(ai.run(model, inputs), signal);
      } catch (e) {
        if (isAbortError(e) || (signal && signal.aborted)) throw e;
        const st = workersAIStatus(e);
        const msg = String((e && e.message) || e);
        if (useSchema && st === 400 && /response_format|json_schema|schema|json mode/i.test(msg)) {
          state.jsonMode = false;
          continue;
        }
        return { status: st, error: msg, retryAfterMs: e && e.retryAfterMs };
      }
      let content = out && typeof out === 'object' && 'response' in out ? out.response : out;
      if (content !== null && typeof content === 'object') content = JSON.stringify(content);
      return { status: 200, content: String(content ?? ''), usage: out && out.usage };
    }
  }
  const a = makeAdapter('workers-ai', once, opts);
  a.model = model;
  return a;
}

function raceAbort(p, signal) {
  if (!signal) return p;
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortError(signal));
    const onAbort = () => reject(signal.reason instanceof Error ? signal.reason : abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      }
    );
  });
}

/**
 * Any other transport: fn(request, {signal}) resolves a string (the content) or
 * {content, usage?, status?}. Throw an error with .status (and .retryAfterMs) to signal
 * an HTTP-like failure; other throws count as network errors.
 */
export function fromFunction(fn, opts = {}) {
  if (typeof fn !== 'function') throw new AragError(Status.ARAG_E_INVALID, 'fromFunction: pass an async function (request, {signal}) => response');
  async function once(req, ctx) {
    const r = await raceAbort(Promise.resolve().then(() => fn(req, { signal: ctx.signal })), ctx.signal);
    if (typeof r === 'string') return { status: 200, content: r };
    if (!r || typeof r !== 'object') return { status: 502, error: 'the function returned no response' };
    const status = r.status ?? 200;
    let content = r.content;
    if (content !== null && typeof content === 'object') content = JSON.stringify(content);
    return { status, content: content == null ? '' : String(content), usage: r.usage, error: r.error, retryAfterMs: r.retryAfterMs };
  }
  return makeAdapter('function', once, opts);
}

/** True for the adapters above (and anything shaped like them). */
export function isLlmAdapter(x) {
  return !!x && typeof x === 'object' && typeof x.complete === 'function';
}
