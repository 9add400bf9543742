// LLM adapters for the pipeline's agent requests, and the behaviour they share:
// a concurrency limit, a timeout per call, retries with exponential backoff and jitter
// on 429 / 5xx / network errors (honouring Retry-After), a per-recommendation budget
// (calls, tokens, prompt bytes), usage accounting, and a named cause for every failed
// call (timeout, budget, deadline, network, status, refusal, cancelled). How provider
// bodies are read lives in llm-response.mjs.
//
// An adapter turns the engine's provider-neutral request
//   {agent, messages: [{role, content}], response_schema, max_tokens, temperature}
// into the assistant message content (a JSON text the engine validates).
//
// API keys never belong in a browser: there, point openAIChat at a proxy that adds the
// key (the edge worker offers /v1/chat/completions) and give no apiKey.
import { AragError, Status, abortError, isAbortError } from './errors.mjs';
import {
  MAX_RESPONSE_BYTES,
  ResponseError,
  answerOf,
  assembleStream,
  decodeBody,
  foldChunk,
  fromEnvelope,
  httpErrorMessage,
  isEventStream,
  isUnreachable,
  networkErrorMessage,
  newAccumulator,
  normUsage,
  providerMessage,
  readBody,
  sseEvents,
  shorten,
} from './llm-response.mjs';

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

const utf8 = new TextEncoder();

/** UTF-8 bytes of a request's message contents (what a provider bills as the prompt). */
export function promptBytesOf(request) {
  const msgs = request && Array.isArray(request.messages) ? request.messages : [];
  let n = 0;
  for (const m of msgs) if (m && typeof m.content === 'string') n += utf8.encode(m.content).length;
  return n;
}

function promptTextOf(request) {
  const msgs = request && Array.isArray(request.messages) ? request.messages : [];
  return msgs.map((m) => (m && typeof m.content === 'string' ? m.content : '')).join('\n');
}

/**
 * A per-recommendation budget: at most `calls` provider calls (every attempt counts,
 * retries included), `tokens` prompt + completion tokens and `promptBytes` bytes of
 * prompt (the UTF-8 bytes of the messages' contents, counted before each attempt).
 * Infinity when absent. A call is refused before it is sent when it would pass a limit:
 * its prompt tokens (the host's countTokens, else an estimate of one token per 4 bytes)
 * plus its max_tokens are reserved, max_tokens is lowered to what the budget has left
 * (at least 16), and the reservation is settled with the tokens the provider reports.
 */
export class Budget {
  constructor(limits = {}) {
    if (limits === null || typeof limits !== 'object') throw new AragError(Status.ARAG_E_INVALID, 'budget must be an object {calls, tokens, promptBytes}');
    const num = (v, name) => {
      if (v === undefined || v === null) return Infinity;
      if (typeof v !== 'number' || !(v >= 0)) throw new AragError(Status.ARAG_E_INVALID, `budget.${name} must be a number >= 0`);
      return v;
    };
    for (const k of Object.keys(limits)) {
      if (!['calls', 'tokens', 'promptBytes'].includes(k)) throw new AragError(Status.ARAG_E_INVALID, `budget.${k}: unknown limit (calls, tokens, promptBytes)`);
    }
    this.calls = num(limits.calls, 'calls');
    this.tokens = num(limits.tokens, 'tokens');
    this.promptBytes = num(limits.promptBytes, 'promptBytes');
    this.usedCalls = 0;
    this.usedTokens = 0;
    this.usedPromptBytes = 0;
    this.reservedTokens = 0;
    this.exhausted = false;
    this.refusal = null; // why the last refused call was refused
  }
  /**
   * Takes one call of `request` if the budget allows it. Returns a reservation
   * {tokens, maxTokens} (maxTokens: the call's max_tokens, lowered to fit), or null when
   * refused (then `refusal` says which limit). Without a request only calls count.
   */
  take(request, { countTokens } = {}) {
    const refuse = (why) => {
      this.exhausted = true;
      this.refusal = why;
      return null;
    };
    if (this.usedCalls >= this.calls) return refuse(`the budget's ${this.calls} calls are used up`);
    if (this.usedTokens >= this.tokens) return refuse(`the budget's ${this.tokens} tokens are used up`);
    const bytes = request ? promptBytesOf(request) : 0;
    if (this.usedPromptBytes + bytes > this.promptBytes) {
      return refuse(`a prompt of ${bytes} bytes would pass the budget's ${this.promptBytes} prompt bytes (${this.usedPromptBytes} used)`);
    }
    let maxTokens = request && Number.isFinite(request.max_tokens) ? request.max_tokens : undefined;
    let reserve = 0;
    if (this.tokens !== Infinity && request) {
      const prompt = typeof countTokens === 'function' ? countTokens(promptTextOf(request)) : Math.ceil(bytes / 4);
      const left = this.tokens - this.usedTokens - this.reservedTokens - prompt;
      if (left < 16) return refuse(`a prompt of about ${prompt} tokens would pass the budget's ${this.tokens} tokens`);
      if (maxTokens === undefined || maxTokens > left) maxTokens = Math.floor(left);
      reserve = prompt + maxTokens;
    }
    this.usedCalls++;
    this.usedPromptBytes += bytes;
    this.reservedTokens += reserve;
    return { tokens: reserve, maxTokens };
  }
  /** Settles a reservation with the tokens the call used (reported or counted). */
  settle(reservation, usedTokens) {
    if (reservation) this.reservedTokens = Math.max(0, this.reservedTokens - reservation.tokens);
    this.addTokens(usedTokens);
  }
  addTokens(n) {
    if (Number.isFinite(n) && n > 0) this.usedTokens += n;
  }
  toJSON() {
    const lim = (v) => (v === Infinity ? null : v);
    return {
      calls: lim(this.calls),
      tokens: lim(this.tokens),
      promptBytes: lim(this.promptBytes),
      usedCalls: this.usedCalls,
      usedTokens: this.usedTokens,
      usedPromptBytes: this.usedPromptBytes,
      exhausted: this.exhausted,
    };
  }
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
    throw new AragError(Status.ARAG_E_INVALID, 'budget must be an object {calls, tokens, promptBytes}');
  }
  out.budget = o.budget ? { ...o.budget } : undefined;
  new Budget(out.budget); // validates
  if (o.countTokens !== undefined && typeof o.countTokens !== 'function') {
    throw new AragError(Status.ARAG_E_INVALID, 'countTokens must be a function (text) => number');
  }
  out.countTokens = o.countTokens;
  out.random = typeof o.random === 'function' ? o.random : Math.random;
  return out;
}

/** Whether a failed attempt is worth another try: network errors and time-outs, 408,
 * 425, 429 and 5xx; never a refusal, a budget, a deadline or a cancelled call. */
export function isRetryableFailure(r) {
  if (r.cause === 'refusal' || r.cause === 'budget' || r.cause === 'deadline' || r.cause === 'cancelled') return false;
  if (r.retry === false) return false;
  return r.retry === true || isRetryable(r.status);
}

/**
 * The shared call discipline. callOnce(request, {signal, attempt}) performs one attempt
 * and resolves {status, content?, usage?, error?, retryAfterMs?, value?, cause?,
 * repairs?}; it may also throw (a network error, or an error with .status, .failCause
 * and .retry). Returns call(request, {signal, budget, deadlineAt}) -> {status, content,
 * usage, error, cause, repairs, attempts, retries, ms}, where cause names a failure:
 * timeout | budget | deadline | network | status | refusal | cancelled (cancelled: this
 * call's own signal was aborted, not the caller's). Rejects only with an AbortError,
 * when the caller's signal aborts.
 */
export function createCaller(callOnce, options = {}) {
  const o = checkOpts(options);
  const sem = new Semaphore(o.concurrency);
  const stats = {
    calls: 0,
    attempts: 0,
    retries: 0,
    failures: 0,
    timeouts: 0,
    promptTokens: 0,
    completionTokens: 0,
    cachedPromptTokens: 0,
    countedCalls: 0,
  };

  async function call(request, { signal, budget, deadlineAt } = {}) {
    const t0 = Date.now();
    stats.calls++;
    let last = null;
    let attempt = 0;
    let sent = 0; // attempts that reached callOnce
    const done = (r, ok) => {
      if (!ok) stats.failures++;
      return { ...r, attempts: sent, retries: Math.max(0, sent - 1), ms: Date.now() - t0 };
    };
    for (;; attempt++) {
      if (signal && signal.aborted) throw abortError(signal);
      if (deadlineAt !== undefined && Date.now() >= deadlineAt) {
        return done(last || { status: 0, cause: 'deadline', error: "the recommendation's deadline passed", usage: null }, false);
      }
      let reservation = null;
      let req = request;
      if (budget) {
        reservation = budget.take(request, { countTokens: o.countTokens });
        if (!reservation) {
          return done({ status: 0, cause: 'budget', error: `budget exhausted: ${budget.refusal}`, budgetExhausted: true, usage: null }, false);
        }
        if (reservation.maxTokens !== undefined && reservation.maxTokens !== request.max_tokens) req = { ...request, max_tokens: reservation.maxTokens };
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
      sent++;
      let r;
      try {
        r = await callOnce(req, { signal: ctrl.signal, attempt });
        if (timedOut && r && r.status === 200) r = null; // answered too late: a timeout
        if (!r) throw new Error('timeout');
      } catch (e) {
        if (signal && signal.aborted) {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          release();
          if (budget) budget.settle(reservation, 0);
          throw abortError(signal);
        }
        if (timedOut) {
          stats.timeouts++;
          r = { status: 0, cause: 'timeout', error: `timed out after ${o.timeoutMs} ms` };
        } else if (isAbortError(e)) {
          r = { status: 0, cause: 'cancelled', error: 'the call was cancelled' };
        } else if (e && typeof e.status === 'number') {
          r = { status: e.status, cause: e.failCause || (e.status ? 'status' : 'network'), error: e.message, retryAfterMs: e.retryAfterMs, retry: e.retry };
        } else {
          r = { status: 0, cause: 'network', error: networkErrorMessage(e), retryAfterMs: e && e.retryAfterMs, unreachable: isUnreachable(e) };
        }
      } finally {
        clearTimeout(timer);
        if (signal) signal.removeEventListener('abort', onAbort);
        release();
      }
      let usage = normUsage(r.usage, r.timings);
      const ok = r.status >= 200 && r.status < 300 && !r.cause;
      if (!usage && ok && typeof o.countTokens === 'function' && request && Array.isArray(request.messages)) {
        usage = { promptTokens: o.countTokens(promptTextOf(request)), completionTokens: o.countTokens(String(r.content ?? '')), cachedPromptTokens: 0, counted: true };
        stats.countedCalls++;
      }
      if (usage) {
        stats.promptTokens += usage.promptTokens;
        stats.completionTokens += usage.completionTokens;
        stats.cachedPromptTokens += usage.cachedPromptTokens || 0;
      }
      if (budget) {
        // Without reported usage, a call that answered is charged what it reserved.
        const charged = usage ? usage.promptTokens + usage.completionTokens : ok && reservation ? reservation.tokens : 0;
        budget.settle(reservation, charged);
      }
      if (reservation && req !== request) r.repairs = [...(r.repairs || []), `max_tokens_lowered_to_budget:${req.max_tokens}`];
      last = { ...r, usage };
      delete last.timings;
      if (ok) return done(last, true);
      if (!last.cause) last.cause = r.status ? 'status' : 'network';
      const wait = r.retryAfterMs;
      if (!isRetryableFailure(last) || attempt >= o.retries || (wait !== undefined && wait > o.maxRetryAfterMs)) break;
      const delay = Math.max(backoffDelay(attempt, o, o.random), wait !== undefined ? wait : 0);
      if (deadlineAt !== undefined && Date.now() + delay >= deadlineAt) break; // no time left to try again
      stats.retries++;
      await sleep(delay, signal);
    }
    return done(last, false);
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

// The schema travels in the first system message when the provider takes no
// json_schema: appended there (not as a message after the user's), every NLI batch keeps
// one byte-identical prefix, and chat templates that allow a system message only first
// accept it.
function withSchemaHint(messages, schema) {
  const hint = schemaHint(schema);
  const i = messages.findIndex((m) => m && m.role === 'system');
  if (i < 0) return [{ role: 'system', content: hint }, ...messages];
  return messages.map((m, k) => (k === i ? { ...m, content: `${m.content}\n\n${hint}` } : m));
}

function refusesFormat(status, text, format) {
  if (format === 'none') return false;
  if (status !== 400 && status !== 422 && status !== 501) return false;
  return /response_format|json_schema|json_object|schema|structured|grammar/i.test(text);
}

function trimUrl(u) {
  return String(u).replace(/\/+$/, '');
}

/** The error text of a failed response, read with a small cap. */
async function errorText(resp) {
  try {
    const b = await readBody(resp, 64 << 10);
    return new TextDecoder().decode(b);
  } catch {
    return '';
  }
}

/**
 * OpenAI-compatible chat completions (hosted APIs, vLLM, llama.cpp's server, Ollama,
 * or a proxy such as the edge worker).
 * @param {object} opts baseURL (…/v1), model, apiKey?, headers?, fetch?, jsonSchema
 *   (default true: response_format json_schema; any 400 to it is asked again once with
 *   json_object, and a refusal that names the format falls back to none, with the schema
 *   in the system message), temperature?, maxTokens?, extraBody?, stream (default false:
 *   ask for an event stream and stop reading once the JSON answer is complete),
 *   maxThinkChars (with stream: a reasoning model still thinking past this many
 *   characters is stopped, cause budget, and the offline reasoner answers),
 *   maxResponseBytes (4 MiB), countTokens?, and the shared options concurrency,
 *   timeoutMs, retries, backoffMs, maxBackoffMs, budget.
 */
export function openAIChat(opts = {}) {
  const { baseURL, model, apiKey, headers = {}, jsonSchema = true, temperature, maxTokens, extraBody, stream = false } = opts;
  if (typeof baseURL !== 'string' && !(baseURL instanceof URL)) {
    throw new AragError(Status.ARAG_E_INVALID, 'openAIChat: baseURL is required (e.g. http://127.0.0.1:8000/v1)');
  }
  const maxResponseBytes = opts.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  if (!(Number.isInteger(maxResponseBytes) && maxResponseBytes >= 1024)) {
    throw new AragError(Status.ARAG_E_INVALID, 'openAIChat: maxResponseBytes must be an integer >= 1024');
  }
  const maxThinkChars = opts.maxThinkChars ?? Infinity;
  if (!(maxThinkChars === Infinity || (Number.isInteger(maxThinkChars) && maxThinkChars > 0))) {
    throw new AragError(Status.ARAG_E_INVALID, 'openAIChat: maxThinkChars must be a positive integer');
  }
  const f = opts.fetch || globalThis.fetch;
  if (typeof f !== 'function') throw new AragError(Status.ARAG_E_INVALID, 'openAIChat: no fetch available');
  const url = `${trimUrl(baseURL)}/chat/completions`;
  const hdrs = { 'content-type': 'application/json', ...headers };
  if (apiKey) hdrs.authorization = `Bearer ${apiKey}`;
  const state = { format: jsonSchema ? 'json_schema' : 'json_object' };

  function buildBody(req, format) {
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
      messages = withSchemaHint(messages, schema);
    }
    body.messages = messages;
    const t = temperature ?? req.temperature;
    if (t !== undefined) body.temperature = t;
    const mt = maxTokens ?? req.max_tokens;
    if (mt !== undefined) body.max_tokens = mt;
    if (stream) {
      body.stream = true;
      body.stream_options = { include_usage: true };
    }
    return body;
  }

  async function once(req, { signal }) {
    let schemaRetried = false;
    for (;;) {
      const format = schemaRetried && state.format === 'json_schema' ? 'json_object' : state.format;
      const body = buildBody(req, format);
      const resp = await f(url, { method: 'POST', headers: hdrs, body: JSON.stringify(body), signal });
      if (!resp.ok) {
        const text = await errorText(resp);
        if (refusesFormat(resp.status, text, format)) {
          const next = FORMATS[FORMATS.indexOf(format) + 1];
          if (FORMATS.indexOf(state.format) < FORMATS.indexOf(next)) state.format = next; // sticky
          continue; // not an attempt: ask again in the simpler format
        }
        if (format === 'json_schema' && resp.status === 400 && !schemaRetried) {
          // Some servers answer a schema they cannot compile with a bare 400.
          schemaRetried = true;
          continue;
        }
        return { status: resp.status, error: httpErrorMessage(resp.status, text, resp.statusText), retryAfterMs: parseRetryAfter(resp.headers) };
      }
      if (schemaRetried && state.format === 'json_schema') state.format = 'json_object'; // json_object worked: keep it
      const ctype = (resp.headers && resp.headers.get('content-type')) || '';
      let acc;
      let assembled = false;
      let decoded = null;
      let stoppedEarly = false;
      if (stream && /text\/event-stream/i.test(ctype) && resp.body && typeof resp.body.getReader === 'function') {
        const sr = await readEventStream(resp, maxResponseBytes, maxThinkChars);
        acc = sr.acc;
        stoppedEarly = sr.stoppedEarly;
        assembled = true;
      } else {
        const bytes = await readBody(resp, maxResponseBytes);
        const d = await decodeBody(bytes, resp.headers, maxResponseBytes);
        decoded = d.decoded;
        if (isEventStream(d.text, ctype)) {
          acc = assembleStream(d.text);
          assembled = true;
        } else {
          let data;
          try {
            data = JSON.parse(d.text);
          } catch {
            throw new ResponseError(`the response is not JSON${providerMessage(d.text) ? `: ${providerMessage(d.text)}` : ''}`, { status: 502, retry: true });
          }
          acc = fromEnvelope(data);
        }
      }
      const ans = answerOf(acc, { streamed: stream, assembled });
      if (decoded) ans.repairs.unshift(`decompressed_${decoded}`);
      if (format !== 'json_schema' && jsonSchema && schemaRetried) ans.repairs.unshift('json_object_after_400');
      return { status: 200, content: ans.content, usage: acc.usage, timings: acc.timings, format, repairs: ans.repairs, finishReason: acc.finishReason, stoppedEarly };
    }
  }
  const a = makeAdapter('openai-chat', once, opts);
  Object.defineProperty(a, 'responseFormat', { get: () => state.format, enumerable: true });
  a.baseURL = trimUrl(baseURL);
  a.model = model;
  /** Replaces this adapter's API key in a text (for recordings and logs). */
  a.redact = (text) => (apiKey ? String(text).split(apiKey).join('[key]') : String(text));
  return a;
}

/**
 * Reads an event stream as it arrives and stops once the answer is complete: a JSON
 * value closed after any reasoning block, in the content (the tokens a model would
 * still send after it, and their time, are saved). Returns {acc, stoppedEarly}.
 */
async function readEventStream(resp, maxBytes, maxThinkChars = Infinity) {
  const reader = resp.body.getReader();
  const td = new TextDecoder();
  const acc = newAccumulator();
  const done = jsonEndTracker();
  let buf = '';
  let n = 0;
  let stoppedEarly = false;
  const take = (block) => {
    for (const data of sseEvents(block)) {
      const d = data.trim();
      if (!d || d === '[DONE]') continue;
      try {
        acc.chunks++;
        foldChunk(acc, JSON.parse(d));
      } catch {
        /* a partial or keep-alive line */
      }
    }
  };
  for (;;) {
    const { done: end, value } = await reader.read();
    if (end) break;
    n += value.length;
    if (n > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new ResponseError(`the answer is more than the ${maxBytes} bytes allowed`);
    }
    buf += td.decode(value, { stream: true });
    const cut = Math.max(buf.lastIndexOf('\n\n'), buf.lastIndexOf('\r\n\r\n'));
    if (cut < 0) continue;
    take(buf.slice(0, cut));
    buf = buf.slice(cut + 2);
    if (acc.usage || acc.error) continue; // the provider is finishing anyway
    if (done(acc.content)) {
      stoppedEarly = true;
      await reader.cancel().catch(() => {});
      break;
    }
    const thinking = thinkingChars(acc);
    if (thinking > maxThinkChars) {
      await reader.cancel().catch(() => {});
      throw new ResponseError(`the model was still thinking after ${thinking} characters (maxThinkChars ${maxThinkChars})`, { status: 0, cause: 'budget' });
    }
  }
  if (!stoppedEarly) take(buf + td.decode());
  return { acc, stoppedEarly };
}

const THINK_TAGS = ['think', 'thinking', 'reasoning'];

/** Characters of thought so far with no answer after them: a reasoning field, or a
 * reasoning block still open in the content. */
function thinkingChars(acc) {
  let n = acc.content.trim() ? 0 : acc.reasoning.length;
  const lower = acc.content.toLowerCase();
  for (const t of THINK_TAGS) {
    const o = lower.lastIndexOf(`<${t}>`);
    if (o >= 0 && lower.indexOf(`</${t}>`, o) < 0) n = Math.max(n, acc.content.length - o);
  }
  return n;
}

/** A function text -> whether it holds a complete JSON object or array after any
 * reasoning blocks; called again with the text grown, it resumes where it stopped. */
export function jsonEndTracker() {
  let from = 0;
  let seen = 0;
  return (text) => {
    const fresh = text.slice(seen);
    seen = text.length;
    if (!/[}\]]/.test(fresh)) return false; // nothing can have closed
    const lower = text.toLowerCase();
    let body = 0;
    for (const t of THINK_TAGS) {
      const c = lower.lastIndexOf(`</${t}>`);
      if (c >= 0) body = Math.max(body, c + t.length + 3);
    }
    for (const t of THINK_TAGS) if (lower.lastIndexOf(`<${t}>`) >= body) return false; // still thinking
    for (let start = Math.max(from, body); start < text.length; start++) {
      const c = text[start];
      if (c !== '{' && c !== '[') continue;
      const end = jsonValueEnd(text, start);
      if (end < 0) {
        from = start; // still open: look again from here next time
        return false;
      }
      try {
        JSON.parse(text.slice(start, end));
        return true;
      } catch {
        /* braces in prose: the next one */
      }
    }
    from = text.length;
    return false;
  };
}

// The index after the bracket that closes text[start], or -1 when it is still open.
function jsonValueEnd(text, start) {
  let depth = 0;
  let str = false;
  let esc = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (str) {
      if (esc) esc = false;
      else if (c === '\\') esc = true;
      else if (c === '"') str = false;
      continue;
    }
    if (c === '"') str = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
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
 * temperature}). Falls back to no response_format when the model refuses JSON mode. Reads
 * the answer wherever the model puts it: `response` (text or an object), an
 * OpenAI-shaped `choices`, tool-call arguments, a stream; `<think>` blocks are left to
 * the engine's parser.
 */
export function workersAI(ai, opts = {}) {
  if (!ai || typeof ai.run !== 'function') throw new AragError(Status.ARAG_E_INVALID, 'workersAI: pass the Workers AI binding (env.AI)');
  const { model, temperature, maxTokens } = opts;
  if (typeof model !== 'string' || !model) throw new AragError(Status.ARAG_E_INVALID, 'workersAI: model is required');
  const maxResponseBytes = opts.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  const state = { jsonMode: opts.jsonSchema !== false };
  async function once(req, { signal }) {
    for (;;) {
      const useSchema = state.jsonMode && !!req.response_schema;
      let messages = Array.isArray(req.messages) ? req.messages : [];
      if (req.response_schema && !useSchema) messages = withSchemaHint(messages, req.response_schema);
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
        return { status: st, error: st ? `Workers AI ${st}: ${shorten(msg)}` : networkErrorMessage(e), retryAfterMs: e && e.retryAfterMs };
      }
      let acc;
      let assembled = false;
      if (out && typeof out.getReader === 'function') {
        // A stream (the model streams whether asked or not): assemble it.
        const bytes = await readBody(new Response(out), maxResponseBytes);
        acc = assembleStream(new TextDecoder().decode(bytes));
        assembled = true;
      } else if (typeof out === 'string') {
        acc = newAccumulator();
        acc.content = out;
        acc.hasMessage = true;
      } else {
        acc = fromEnvelope(out);
      }
      const ans = answerOf(acc, { assembled });
      return { status: 200, content: ans.content, usage: acc.usage, repairs: ans.repairs };
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
 * Any other transport: fn(request, {signal}) resolves a string (the content), an
 * OpenAI-shaped completion ({choices: [...]}) or {content, usage?, status?, error?,
 * retryAfterMs?, cause?}. Throw an error with .status (and .retryAfterMs) to signal an
 * HTTP-like failure; other throws count as network errors.
 */
export function fromFunction(fn, opts = {}) {
  if (typeof fn !== 'function') throw new AragError(Status.ARAG_E_INVALID, 'fromFunction: pass an async function (request, {signal}) => response');
  async function once(req, ctx) {
    const r = await raceAbort(Promise.resolve().then(() => fn(req, { signal: ctx.signal })), ctx.signal);
    if (typeof r === 'string') return { status: 200, content: r };
    if (!r || typeof r !== 'object') return { status: 502, error: 'the function returned no response' };
    if (Array.isArray(r.choices)) {
      const acc = fromEnvelope(r);
      const ans = answerOf(acc);
      return { status: 200, content: ans.content, usage: acc.usage, repairs: ans.repairs };
    }
    const status = r.status ?? 200;
    let content = r.content;
    if (content !== null && typeof content === 'object') content = JSON.stringify(content);
    const cause = typeof r.cause === 'string' ? r.cause : undefined;
    return { status, content: content == null ? '' : String(content), usage: r.usage, error: r.error, retryAfterMs: r.retryAfterMs, cause };
  }
  return makeAdapter('function', once, opts);
}

/** True for the adapters above (and anything shaped like them). */
export function isLlmAdapter(x) {
  return !!x && typeof x === 'object' && typeof x.complete === 'function';
}
