// createRecommender: one engine with its catalog and the shopper's history, and
// recommend() as a promise. Agent requests leave the module through env.arag_host_fetch
// (routed here by the engine's pointer), run through the LLM adapter, and go back with
// arag_report_usage + arag_deliver. With the default offline backend the module answers
// every agent itself and the recommendation completes inside arag_recommend_start.
import { AragError, Status, abortError, isAbortError, enumByName } from './errors.mjs';
import { Budget, isLlmAdapter } from './llm.mjs';
import { itemText } from './embeddings.mjs';
import { toJsonText, invalid, checkU32, createArag, catalogSnapshotDim, Catalog } from './handles.mjs';

const SESSION = enumByName('arag_session_state', 'ARAG_SESSION_'); // running, done, cancelled

// The status a failed call is delivered with (arag_fetch_status in include/arag.h): the
// engine names the fallback's cause from it ({ network: 0, timeout: 1, ... }).
const CAUSE_STATUS = enumByName('arag_fetch_status', 'ARAG_FETCH_');

const utf8 = new TextEncoder();

/** text cut to at most max UTF-8 bytes on a character boundary: {text, bytes: the
 * original length}, or null when it fits. */
function cutUtf8(text, max) {
  if (!max || text.length * 3 <= max) return null;
  const b = utf8.encode(text);
  if (b.length <= max) return null;
  let end = max;
  while (end > 0 && (b[end] & 0xc0) === 0x80) end--;
  return { text: new TextDecoder().decode(b.subarray(0, end)), bytes: b.length };
}

/** Calls a host callback and swallows what it throws or rejects: a listener must never
 * break the pipeline or leave an unhandled rejection. */
function callQuietly(fn, ...args) {
  try {
    const r = fn(...args);
    if (r && typeof r.then === 'function') r.then(undefined, () => {});
  } catch {
    /* ignored */
  }
}

// The result's JSON ends with its trace, most of its bytes (about 40 KB of the 43 KB of
// an offline top-30 recommendation), which a shelf does not read: the rest is parsed at
// once, the trace when first read (see readResult).
const TRACE_KEY = utf8.encode(',"trace":');
const traceText = new TextDecoder();

/** Where the result's top-level "trace" member starts (its key's comma), or -1. The
 * engine writes it last; JSON strings cannot hold the key's bytes (a quote in a string
 * is escaped), and readResult checks that what comes before it parses alone. */
function traceKeyAt(u8, start, end) {
  const k = TRACE_KEY;
  for (let i = start; i + k.length <= end; i++) {
    if (u8[i] !== 0x2c || u8[i + 1] !== 0x22 || u8[i + 2] !== 0x74) continue;
    let j = 3;
    while (j < k.length && u8[i + j] === k[j]) j++;
    if (j === k.length) return i;
  }
  return -1;
}

/** The result JSON at (ptr, len): {head: every member but the trace, parsed; trace: a
 * function that parses the trace (once) from a copy of its bytes}. */
function readResult(raw, ptr, len) {
  const u8 = raw.u8();
  const end = ptr + len;
  const at = len ? traceKeyAt(u8, ptr, end) : -1;
  if (at >= 0 && u8[end - 1] === 0x7d) {
    let head = null;
    try {
      head = JSON.parse(`${raw.getString(ptr, at - ptr)}}`);
    } catch {
      head = null; // not the top-level member after all: parse the whole text below
    }
    if (head && typeof head === 'object' && !Array.isArray(head)) {
      const bytes = u8.slice(at + TRACE_KEY.length, end - 1);
      let parsed;
      return { head, trace: () => (parsed === undefined ? (parsed = JSON.parse(traceText.decode(bytes))) : parsed) };
    }
  }
  const whole = JSON.parse(raw.getString(ptr, len));
  return { head: whole, trace: () => whole.trace };
}

/** obj[key] computed by get() when first read, then an ordinary data property (the key
 * keeps its place among obj's keys; JSON.stringify, spreading and structured cloning
 * read it as any other). */
function lazyProperty(obj, key, get) {
  const settle = (v) => {
    Object.defineProperty(obj, key, { value: v, writable: true, enumerable: true, configurable: true });
    return v;
  };
  Object.defineProperty(obj, key, {
    get: () => settle(get()),
    set: (v) => settle(v),
    enumerable: true,
    configurable: true,
  });
}

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

function objectsIn(x) {
  if (Array.isArray(x)) return x;
  if (x && typeof x === 'object') return [x];
  return [];
}

/** Adds `vector` from an external embedder to items/events that carry text but no vector. */
async function withVectors(embedder, value, signal) {
  if (!embedder || typeof value === 'string') return value;
  const list = objectsIn(value);
  const need = list.filter((it) => it && typeof it === 'object' && it.vector == null && itemText(it));
  if (need.length === 0) return value;
  const vecs = await embedder.embed(need.map(itemText), { signal });
  const byObj = new Map(need.map((it, i) => [it, vecs[i]]));
  const fill = (it) => (byObj.has(it) ? { ...it, vector: byObj.get(it) } : it);
  return Array.isArray(value) ? value.map(fill) : fill(value);
}

class CatalogView {
  constructor(rec, handle) {
    this._rec = rec;
    this.handle = handle;
  }
  get count() {
    return this.handle.count;
  }
  get index() {
    return this.handle.index;
  }
  has(id) {
    return this.handle.has(id);
  }
  remove(id) {
    this.handle.remove(id);
    return this;
  }
  /** Adds items. Returns the new count, or a promise of it with an external embedder. */
  add(items) {
    const emb = this._rec._embed;
    if (!emb) return this.handle.add(items);
    return withVectors(emb, items).then((v) => this.handle.add(v));
  }
  /** The item with this id (as given, without its vector), or null. */
  get(id) {
    return this.handle.get(id);
  }
  /** Versioned, checksummed bytes of the catalog (items, vectors, word counts). */
  snapshot() {
    return this.handle.snapshot();
  }
  /** Replaces the catalog with a snapshot of the same dimension as the shopper's history. */
  restore(bytes) {
    const dim = catalogSnapshotDim(bytes);
    const want = this._rec._dim;
    if (dim && dim !== want) {
      throw new AragError(Status.ARAG_E_DIM, `catalog snapshot has dimension ${dim}, this recommender ${want}`);
    }
    this.handle.restore(bytes);
    return this;
  }
}

class HistoryView {
  constructor(rec, handle) {
    this._rec = rec;
    this.handle = handle;
  }
  get count() {
    return this.handle.count;
  }
  add(events) {
    const emb = this._rec._embed;
    if (!emb) return this.handle.add(events);
    // Events that name a catalog item without its text take the catalog's vector.
    const idx = this._rec.catalog.handle.index;
    const fromCatalog = (e) => {
      if (!e || typeof e !== 'object' || e.vector != null || itemText(e) || typeof e.id !== 'string') return e;
      const v = idx.get(e.id);
      return v ? { ...e, vector: v } : e;
    };
    const filled = typeof events === 'string' ? events : Array.isArray(events) ? events.map(fromCatalog) : fromCatalog(events);
    return withVectors(emb, filled).then((v) => this.handle.add(v));
  }
  clear() {
    this.handle.clear();
    return this;
  }
  snapshot() {
    return this.handle.snapshot();
  }
  restore(bytes) {
    this.handle.restore(bytes);
    return this;
  }
}

/** The engine's fetch route to rec. It holds rec weakly (where the host has WeakRef), so
 * that a recommender dropped without free() can be collected and its engine finalized; a
 * running recommendation keeps it alive. (Made out here: a closure in the constructor
 * would share its scope, and so rec, with every other closure there.) */
const strongRef = (x) => ({ deref: () => x });
function fetchHandler(rec) {
  const ref = typeof WeakRef === 'function' ? new WeakRef(rec) : strongRef(rec);
  return (session, requestId, json) => {
    const r = ref.deref();
    if (!r) throw new AragError(Status.ARAG_E_STATE, 'the recommender was collected');
    r._onFetch(session, requestId, json);
  };
}

export class Recommender {
  /** @internal use createRecommender() */
  constructor(arag, { llm, embed, engine, catalog, history, ownsModule, dim, ownsCatalog = true }) {
    this.arag = arag;
    this._ownsCatalog = ownsCatalog;
    this.llm = llm || null;
    this._embed = embed || null;
    this._dim = dim;
    this._raw = arag.raw;
    this.engine = engine; // an Engine handle (handles.mjs)
    this._ownsModule = ownsModule;
    this.catalog = new CatalogView(this, catalog);
    this.history = new HistoryView(this, history);
    this._sessions = new Map(); // session id -> context of a running recommend()
    this._maxAnswerBytes = 0; // the engine's max_answer_bytes, read below
    this._starting = null; // requests emitted during arag_recommend_start
    this._raw.route(engine.ptr, fetchHandler(this));
    try {
      this._maxAnswerBytes = this.config.max_answer_bytes >>> 0;
    } catch {
      this._maxAnswerBytes = 0;
    }
  }

  get backend() {
    return this.llm ? 'host' : 'offline';
  }
  /** The engine's effective configuration. */
  get config() {
    this._enginePtr();
    return this.engine.config;
  }
  /** Live sessions inside the engine (0 when idle). */
  get sessions() {
    this._enginePtr();
    return this.engine.sessions;
  }

  /** The engine's pointer, 0 once freed. */
  get _engine() {
    return this.engine.freed ? 0 : this.engine._ptr;
  }
  _enginePtr() {
    if (this.engine.freed) throw new AragError(Status.ARAG_E_STATE, 'this recommender was freed');
    return this.engine._ptr;
  }
  _check(st) {
    this.engine._check(st);
  }

  /**
   * The unit vector recommend() retrieves the catalog's top_k with: the recency-weighted
   * mean of the history's window of events (session_len + long_term_len, events that
   * name a catalog item without text taking its vector). null when no event has a
   * vector. For retrieving candidates from a vector index of your own (a catalog too
   * large to hold, such as Cloudflare Vectorize) and passing them to recommend().
   */
  contextVector() {
    const raw = this._raw;
    const eng = this._enginePtr();
    const catalog = this.catalog.handle;
    const dim = catalog.dim;
    return raw.scope((s) => {
      const out = s.alloc(dim * 4);
      const st = raw.need('arag_context_vector')(eng, catalog.ptr, this.history.handle.ptr, out, dim);
      this._check(st);
      const v = raw.f32Copy(out, dim);
      return v.some((x) => x !== 0) ? v : null;
    });
  }

  /**
   * One recommendation.
   * @param {object} input {candidates?: (string|object)[], k?, topK?, config?}
   * @param {object} [opts] {signal?: AbortSignal, onProgress?: (ev) => void, budget?:
   *   {calls, tokens, promptBytes}} (onProgress may be async: what it throws or rejects
   *   is ignored)
   */
  async recommend(input = {}, opts = {}) {
    this._enginePtr();
    const { signal, onProgress } = opts;
    if (input === null || typeof input !== 'object' || Array.isArray(input)) throw invalid('recommend: input must be an object');
    if (signal && signal.aborted) throw abortError(signal);
    const req = {};
    if (input.candidates !== undefined) {
      if (!Array.isArray(input.candidates)) throw invalid('recommend: candidates must be an array of ids or items');
      req.candidates = this._embed ? await withVectors(this._embed, input.candidates, signal) : input.candidates;
    }
    if (input.k !== undefined) req.k = checkU32('k', input.k, { min: 1 });
    const topK = input.topK ?? input.top_k;
    if (topK !== undefined) req.top_k = checkU32('topK', topK, { min: 1 });
    if (input.config !== undefined) {
      if (!input.config || typeof input.config !== 'object') throw invalid('recommend: config must be an object');
      req.config = input.config;
    }
    if (signal && signal.aborted) throw abortError(signal);
    const budgetLimits = opts.budget ?? (this.llm && this.llm.options && this.llm.options.budget);
    if (budgetLimits != null && typeof budgetLimits !== 'object') throw invalid('recommend: budget must be an object {calls, tokens, promptBytes}');
    const ctx = {
      session: 0,
      requests: [],
      inflight: new Map(),
      finished: false,
      budget: new Budget(budgetLimits || {}),
      nliBatches: 0,
      host: { calls: 0, attempts: 0, retries: 0, failures: 0, timeouts: 0, promptTokens: 0, completionTokens: 0, cachedPromptTokens: 0, countedCalls: 0 },
      deadlineAt: undefined, // Date.now() terms, for the adapter's retries
      unreachable: null, // set when a call found the provider unreachable: later calls are not sent
      deadlineTimer: null,
      progress: typeof onProgress === 'function' ? onProgress : null,
      signal,
      t0: now(),
    };
    const done = new Promise((resolve, reject) => {
      ctx.resolve = resolve;
      ctx.reject = reject;
    });
    const raw = this._raw;
    const engineNow = this._enginePtr(); // may have been freed while embedding
    const catalog = this.catalog.handle.ptr;
    const history = this.history.handle.ptr;
    const text = toJsonText(req, 'request');
    this._starting = [];
    let started;
    let early;
    const tStart = Date.now();
    try {
      started = raw.scope((s) => {
        const [p, n] = s.str(text);
        const out = s.alloc(4);
        this._check(raw.fn.arag_recommend_start(engineNow, catalog, history, p, n, out));
        return raw.getU32(out);
      });
    } finally {
      early = this._starting;
      this._starting = null;
    }
    ctx.session = started;
    this._sessions.set(started, ctx);
    this._armDeadline(ctx, tStart);
    if (signal) {
      ctx.onAbort = () => this._abort(ctx);
      signal.addEventListener('abort', ctx.onAbort, { once: true });
    }
    for (const [session, requestId, json] of early) {
      if (session === started) this._dispatch(ctx, requestId, json);
      else this._deliverRaw(session, requestId, 0, 'request from an unknown session');
    }
    this._maybeFinish(ctx);
    return done;
  }

  /** The engine's deadline for this recommendation, enforced from a timer: the engine
   * cannot wake up by itself, so at the deadline the host tells it (arag_session_expire)
   * and it answers every agent still waiting with its fallback. */
  _armDeadline(ctx, tStart) {
    const raw = this._raw;
    if (!this.llm || !raw.has('arag_session_deadline_ms')) return;
    const ms = raw.scope((s) => {
      const out = s.alloc(4);
      return raw.fn.arag_session_deadline_ms(this._engine, ctx.session, out) === 0 ? raw.getU32(out) : 0;
    });
    if (!ms) return;
    ctx.deadlineAt = tStart + ms;
    ctx.deadlineTimer = setTimeout(() => this._expire(ctx), Math.max(0, ctx.deadlineAt - Date.now()));
  }

  _expire(ctx) {
    ctx.deadlineTimer = null;
    if (ctx.finished || !this._engine) return;
    try {
      this._raw.fn.arag_session_expire(this._engine, ctx.session);
    } catch (e) {
      this._fail(ctx, e);
      return;
    }
    this._maybeFinish(ctx);
  }

  _onFetch(session, requestId, json) {
    if (this._starting) {
      this._starting.push([session, requestId, json]);
      return;
    }
    const ctx = this._sessions.get(session);
    if (!ctx) {
      // Not from inside the engine's own callback: answer on the next microtask.
      Promise.resolve()
        .then(() => this._deliverRaw(session, requestId, 0, 'request from an unknown session'))
        .catch(() => {});
      return;
    }
    this._dispatch(ctx, requestId, json);
  }

  _deliverRaw(session, requestId, status, body) {
    const raw = this._raw;
    if (!this._engine) return Status.ARAG_E_STATE;
    return raw.scope((s) => {
      const [p, n] = s.str(body);
      return raw.fn.arag_deliver(this._engine, session, requestId, status, p, n);
    });
  }

  _emit(ctx, ev) {
    if (ctx.progress) callQuietly(ctx.progress, ev);
  }

  _dispatch(ctx, requestId, json) {
    const ctrl = new AbortController();
    ctx.inflight.set(requestId, ctrl);
    let request;
    try {
      request = JSON.parse(json);
    } catch {
      request = null;
    }
    const agent = request && typeof request.agent === 'string' ? request.agent : 'unknown';
    const batch = agent === 'nli' ? ctx.nliBatches++ : undefined;
    ctx.requests.push({ requestId, agent, batch });
    // Run after the current wasm call returns: the engine is never re-entered from
    // inside its own fetch callback. Nothing in here may reject unhandled.
    Promise.resolve()
      .then(() => this._run(ctx, requestId, request, agent, batch, ctrl))
      .catch((e) => this._fail(ctx, e instanceof AragError ? e : new AragError(Status.ARAG_E_STATE, `delivering an answer failed: ${(e && e.message) || e}`)));
  }

  async _run(ctx, requestId, request, agent, batch, ctrl) {
    const t = now();
    this._emit(ctx, { type: 'start', agent, requestId, batch });
    let r;
    if (!request) {
      r = { status: 0, cause: 'network', error: 'malformed request JSON from the engine' };
    } else if (!this.llm) {
      r = { status: 0, cause: 'network', error: 'no LLM adapter for the host backend' };
    } else if (ctx.unreachable) {
      // A call of this recommendation found the provider unreachable (no connection at all,
      // after its retries): the later ones do not wait for the same, the offline reasoner
      // answers them.
      r = { status: 0, cause: 'network', error: `not sent: ${ctx.unreachable}` };
    } else {
      try {
        // A thrown error of a host's adapter, synchronous or not, is a failed call.
        r = await this.llm.complete(request, { signal: ctrl.signal, budget: ctx.budget, deadlineAt: ctx.deadlineAt });
        if (!r || typeof r !== 'object') r = { status: 0, cause: 'network', error: 'the adapter returned no result' };
      } catch (e) {
        if (ctx.finished) return; // cancelled with the recommendation: nothing is delivered
        r = isAbortError(e) ? { status: 0, cause: 'cancelled', error: 'the call was cancelled' } : { status: 0, cause: 'network', error: (e && e.message) || String(e) };
      }
    }
    if (ctx.finished) return;
    ctx.inflight.delete(requestId);
    const ok = r.status === 200 && !r.cause;
    if (r.unreachable && !ctx.unreachable) ctx.unreachable = `an earlier call found the provider unreachable (${String(r.error).slice(0, 120)})`;
    const h = ctx.host;
    h.calls++;
    h.attempts += r.attempts || 0;
    h.retries += r.retries || 0;
    if (!ok) h.failures++;
    if (r.cause === 'timeout') h.timeouts++;
    const raw = this._raw;
    if (r.usage) {
      h.promptTokens += r.usage.promptTokens || 0;
      h.completionTokens += r.usage.completionTokens || 0;
      h.cachedPromptTokens += r.usage.cachedPromptTokens || 0;
      if (r.usage.counted) h.countedCalls++;
      raw.fn.arag_report_usage(this._engine, ctx.session, requestId, r.usage.promptTokens >>> 0, r.usage.completionTokens >>> 0);
    }
    if (ok && Array.isArray(r.repairs) && raw.has('arag_report_repair')) {
      for (const note of r.repairs) {
        raw.scope((s) => {
          const [p, n] = s.str(String(note));
          raw.fn.arag_report_repair(this._engine, ctx.session, requestId, p, n);
        });
      }
    }
    let status;
    let body;
    if (ok) {
      status = 200;
      body = r.content || '';
      // Only what the engine would parse enters the module (its max_answer_bytes).
      const cut = cutUtf8(body, this._maxAnswerBytes);
      if (cut !== null) {
        if (raw.has('arag_report_repair')) {
          raw.scope((s) => {
            const [p, n] = s.str(`answer_cut:${cut.bytes}`);
            raw.fn.arag_report_repair(this._engine, ctx.session, requestId, p, n);
          });
        }
        body = cut.text;
      }
    } else {
      const cause = r.cause || (r.status ? 'status' : 'network');
      status = cause in CAUSE_STATUS ? CAUSE_STATUS[cause] : r.status >= 100 && r.status <= 999 && r.status !== 200 ? r.status : 0;
      body = r.error || `HTTP ${r.status}`;
    }
    const st = this._deliverRaw(ctx.session, requestId, status, body);
    this._emit(ctx, {
      type: 'end',
      agent,
      requestId,
      batch,
      status: r.status,
      ms: now() - t,
      attempts: r.attempts,
      ...(ok ? {} : { cause: r.cause || (r.status ? 'status' : 'network') }),
      ...(r.budgetExhausted ? { budgetExhausted: true } : {}),
      ...(r.error && !ok ? { error: String(r.error).slice(0, 300) } : {}),
    });
    if (st !== 0 && st !== Status.ARAG_E_NOT_FOUND) {
      try {
        this._check(st);
      } catch (e) {
        this._fail(ctx, e);
      }
      return;
    }
    this._maybeFinish(ctx);
  }

  _state(ctx) {
    const raw = this._raw;
    return raw.scope((s) => {
      const out = s.alloc(4);
      const st = raw.fn.arag_session_state_get(this._engine, ctx.session, out);
      this._check(st);
      return raw.getU32(out);
    });
  }

  _maybeFinish(ctx) {
    if (ctx.finished) return;
    let state;
    try {
      state = this._state(ctx);
    } catch (e) {
      this._fail(ctx, e);
      return;
    }
    if (state === SESSION.running) {
      if (ctx.inflight.size === 0) {
        this._fail(ctx, new AragError(Status.ARAG_E_STATE, 'the recommendation stalled: the engine waits for no request'));
      }
      return;
    }
    if (state !== SESSION.done) {
      this._fail(ctx, new AragError(Status.ARAG_E_CANCELLED, 'the session was cancelled'));
      return;
    }
    const raw = this._raw;
    let result;
    try {
      result = raw.scope((s) => {
        const out = s.alloc(8);
        this._check(raw.fn.arag_session_result(this._engine, ctx.session, out, out + 4));
        return readResult(raw, raw.getU32(out), raw.getU32(out + 4));
      });
    } catch (e) {
      this._fail(ctx, e);
      return;
    }
    this._end(ctx);
    const { head, trace } = result;
    const items = Array.isArray(head.items) ? head.items : [];
    if (!this.llm && ctx.progress) this._replayProgress(ctx, trace());
    const usage = { ...(head.usage || {}) };
    if (this.llm) usage.cached_prompt_tokens = ctx.host.cachedPromptTokens;
    usage.host = { ...ctx.host, budget: ctx.budget.toJSON() };
    const value = {
      items,
      order: items.map((it) => it.id),
      trace: null,
      usage,
      degraded: Array.isArray(head.degraded) ? head.degraded : [],
      fallbacks: Array.isArray(head.fallbacks) ? head.fallbacks : [],
      ms: now() - ctx.t0,
    };
    lazyProperty(value, 'trace', () => trace() ?? null);
    ctx.resolve(value);
  }

  /** Offline runs finish inside the start call: report their agent steps from the trace. */
  _replayProgress(ctx, trace) {
    const msgs = trace && Array.isArray(trace.messages) ? trace.messages : [];
    for (const m of msgs) {
      const ev = { agent: m.agent, requestId: m.request_id ?? m.requestId, batch: Number.isInteger(m.batch) && m.batch >= 0 ? m.batch : undefined };
      this._emit(ctx, { type: 'start', ...ev });
      const ms = Number.isFinite(m.ended_ms) && Number.isFinite(m.started_ms) ? m.ended_ms - m.started_ms : 0;
      this._emit(ctx, { type: 'end', ...ev, status: m.status, ms });
    }
  }

  _end(ctx) {
    ctx.finished = true;
    if (ctx.deadlineTimer) clearTimeout(ctx.deadlineTimer);
    ctx.deadlineTimer = null;
    this._sessions.delete(ctx.session);
    if (ctx.signal && ctx.onAbort) ctx.signal.removeEventListener('abort', ctx.onAbort);
    for (const c of ctx.inflight.values()) c.abort();
    ctx.inflight.clear();
    if (this._engine) this._raw.fn.arag_session_free(this._engine, ctx.session);
  }

  _fail(ctx, err) {
    if (ctx.finished) return;
    if (this._engine) this._raw.fn.arag_session_cancel(this._engine, ctx.session);
    this._end(ctx);
    ctx.reject(err);
  }

  _abort(ctx) {
    if (ctx.finished) return;
    this._fail(ctx, abortError(ctx.signal));
  }

  /** Cancels running recommendations and frees the engine, catalog and history. */
  free() {
    if (!this._engine) return;
    for (const ctx of [...this._sessions.values()]) {
      this._fail(ctx, new AragError(Status.ARAG_E_CANCELLED, 'the recommender was freed'));
    }
    this.engine.free(); // unroutes it: a late request of it is dropped
    if (this._ownsCatalog) this.catalog.handle.free();
    this.history.handle.free();
  }
}

/**
 * @param {object} [opts] wasm, kind (module source, see createArag), arag (an already
 *   loaded module to share), llm ('offline' | adapter), embed (openAIEmbeddings(...)),
 *   config (engine config), catalogSnapshot (bytes of catalog.snapshot(): the catalog
 *   to start from, its dim and dtype included), catalog (items to load, after the
 *   snapshot's), catalogDtype ('f32' | 'int8': the catalog index's row type), limits,
 *   sharedCatalog (a Catalog of opts.arag, arag.createCatalog(): borrowed, not copied
 *   and not freed with the recommender, so that one catalog serves many recommenders;
 *   the engine reads it only while a recommendation starts).
 */
export async function createRecommender(opts = {}) {
  const { llm, embed, config = {}, limits, catalogDtype = 'f32', catalogSnapshot } = opts;
  if (llm !== undefined && llm !== null && llm !== 'offline' && !isLlmAdapter(llm)) {
    throw invalid("llm must be 'offline' or an adapter (openAIChat, workersAI, fromFunction)");
  }
  if (embed !== undefined && embed !== null && (typeof embed !== 'object' || typeof embed.embed !== 'function')) {
    throw invalid('embed must be an embeddings adapter (openAIEmbeddings)');
  }
  if (config === null || typeof config !== 'object' || Array.isArray(config)) throw invalid('config must be an object');
  const adapter = isLlmAdapter(llm) ? llm : null;
  const backend = adapter ? 'host' : 'offline';
  if (config.backend !== undefined && config.backend !== backend) {
    throw invalid(`config.backend ${JSON.stringify(config.backend)} contradicts llm (${adapter ? 'an adapter' : 'offline'})`);
  }
  const hasSnapshot = catalogSnapshot !== undefined && catalogSnapshot !== null;
  const shared = opts.sharedCatalog ?? null;
  if (shared !== null) {
    if (!(shared instanceof Catalog)) throw invalid('sharedCatalog must be a Catalog (arag.createCatalog())');
    if (!opts.arag || shared._raw !== opts.arag.raw) throw invalid('sharedCatalog must come from the module passed as arag');
    if (shared.freed) throw new AragError(Status.ARAG_E_STATE, 'sharedCatalog was freed');
    if (hasSnapshot || opts.catalog || opts.catalogDtype) throw invalid('sharedCatalog excludes catalogSnapshot, catalog and catalogDtype');
  }
  const snapDim = hasSnapshot ? catalogSnapshotDim(catalogSnapshot) : shared ? shared.dim : 0;
  const arag = opts.arag || (await createArag({ wasm: opts.wasm, kind: opts.kind, createModule: opts.createModule }));
  let dim = snapDim || 512;
  if (embed) {
    if (!embed.dim) await embed.embed(['dimension probe']);
    if (snapDim && embed.dim !== snapDim) {
      throw new AragError(Status.ARAG_E_DIM, `catalog ${shared ? '' : 'snapshot '}has dimension ${snapDim}, the embedder ${embed.dim}`);
    }
    dim = embed.dim;
  }
  // With a snapshot, the catalog is restored from it (refusing corrupt bytes) first.
  const catalog = shared || arag.createCatalog({ dim, dtype: catalogDtype, limits, snapshot: hasSnapshot ? catalogSnapshot : undefined });
  let history;
  let engine;
  try {
    history = arag.createHistory({ dim, limits });
    engine = arag.createEngine({ ...config, backend });
  } catch (e) {
    if (!shared) catalog.free();
    if (history) history.free();
    throw e;
  }
  const rec = new Recommender(arag, { llm: adapter, embed, engine, catalog, history, ownsModule: !opts.arag, dim, ownsCatalog: !shared });
  if (opts.catalog) {
    try {
      await rec.catalog.add(opts.catalog);
    } catch (e) {
      rec.free();
      throw e;
    }
  }
  return rec;
}
