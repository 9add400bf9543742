// The demo's Web Worker: it owns the arag module (catalog, the shopper's history,
// the engine), persists the history snapshot in IndexedDB and answers the page.
//
// Page -> worker: {type: 'init', settings} | {type: 'event', id, kind, watched} |
//                 {type: 'events', list: [{id, kind}]} (a checkout) | {type: 'forget'} |
//                 {type: 'settings', settings} | {type: 'refresh'}
// Worker -> page: {type: 'ready', ...} | {type: 'history', count, events}
//                 | {type: 'progress', seq, ev, t} (with a model only)
//                 | {type: 'shelf', seq, items: [{id, reason}], timing} (reason: plain words);
//                   on the page's {type: 'details', seq}
//                   (sent once the shelf is painted): the history, then {type: 'trace', seq, out, ms}
//                 | {type: 'idle', seq, reason} | {type: 'notice', level, text}
//                 | {type: 'error', seq, message, code}
// The shelf goes first and alone: it is what the shopper waits for. The IndexedDB write
// follows it, the history and the trace come when the page asks.
import { createRecommender, openAIChat } from './dist/index.mjs';
import { renderReason } from './dist/reasons.mjs';
import { money } from './money.mjs';
import { writeShelf } from './shelf-channel.mjs';

const DB_NAME = 'arag-demo';
const STORE = 'state';
const MAX_LOG = 200; // events kept for display next to the snapshot
const CONFIG = { top_k: 30, reasoner: { ira_div: 1 } };
const REACH_MS = 2000; // how long the edge worker may take to answer the reachability check
const RECHECK_MS = 10000; // how often an unreachable edge worker is tried again, at most

const state = {
  rec: null,
  catalog: null, // the catalog snapshot's bytes (catalog.snap): every recommender starts from them
  source: 'sample',
  settings: { backend: 'offline', edgeUrl: '', model: 'gpt-4o-mini', k: 6 },
  backend: 'offline', // what ranks now: the settings' choice, or offline while the edge worker is away
  checkedAt: 0,
  log: [], // [{id, kind, ts, title}] newest last, for display only
  seq: 0,
  abort: null,
  queue: Promise.resolve(),
  db: null,
  details: null, // the last recommendation's trace, until the page asks for it
  shared: null, // the page's SharedArrayBuffer for the shelf, when it is cross-origin isolated
};

const post = (msg) => self.postMessage(msg);
const notice = (level, text) => post({ type: 'notice', level, text });

// ---------------------------------------------------------------- IndexedDB
// One connection for the worker's life, opened on first use.
function db() {
  state.db ||= new Promise((ok, fail) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => ok(req.result);
    req.onerror = () => fail(req.error);
  });
  return state.db;
}

async function dbOp(mode, fn) {
  const conn = await db();
  return new Promise((ok, fail) => {
    const tx = conn.transaction(STORE, mode);
    const req = fn(tx.objectStore(STORE));
    tx.oncomplete = () => ok(req && req.result);
    tx.onerror = () => fail(tx.error);
    tx.onabort = () => fail(tx.error);
  });
}

const historyKey = () => `history:${state.source}`;
const loadSaved = () => dbOp('readonly', (s) => s.get(historyKey()));
const saveHistory = () =>
  dbOp('readwrite', (s) => s.put({ bytes: state.rec.history.snapshot(), log: state.log, saved: Date.now() }, historyKey()));
const deleteSaved = () => dbOp('readwrite', (s) => s.delete(historyKey()));

// ---------------------------------------------------------------- the model's way in
const edgeBase = (settings) => String(settings.edgeUrl || '').replace(/\/+$/, '');

// Does the edge worker answer at all? An opaque (no-cors) GET of /health: it resolves when
// something answers, and fails fast when nothing listens.
async function reachable(base) {
  try {
    await fetch(`${base}/health`, { mode: 'no-cors', cache: 'no-store', signal: AbortSignal.timeout(REACH_MS) });
    return true;
  } catch {
    return false;
  }
}

// The adapter for the settings, or 'offline' with the reason said in plain words.
async function llmFor(settings) {
  if (settings.backend !== 'openai') return 'offline';
  const base = edgeBase(settings);
  state.checkedAt = Date.now();
  if (!base) {
    notice('warn', 'No edge worker address is set, so the offline reasoner ranks. Set one in Settings to use a model.');
    return 'offline';
  }
  if (!(await reachable(base))) {
    notice('warn', `The edge worker at ${base} does not answer, so the offline reasoner ranks meanwhile. The shop tries the model again with your next click.`);
    return 'offline';
  }
  // The page holds no key: a short-lived page token from the demo's server lets it spend
  // LLM calls through the edge worker, which adds the upstream key.
  let token = null;
  try {
    const res = await fetch('/page-token', { cache: 'no-store' });
    if (res.ok) ({ token } = await res.json());
  } catch {
    /* said below */
  }
  if (!token) {
    notice('warn', 'This demo server gives the page no token for the edge worker (start it with PAGE_TOKEN_SECRET, the edge worker\'s secret), so the offline reasoner ranks.');
    return 'offline';
  }
  notice('ok', `A model (${settings.model || 'gpt-4o-mini'}) ranks, through the edge worker at ${base}.`);
  return openAIChat({ baseURL: `${base}/v1`, model: settings.model || 'gpt-4o-mini', apiKey: token });
}

async function buildRecommender(settings, historyBytes) {
  const llm = await llmFor(settings);
  // A shelf wants different products, not shades of one: the offline ranker's diversity
  // step (off by default, as the evaluation scores single targets) is on here.
  const rec = await createRecommender({ llm, config: CONFIG, catalogSnapshot: state.catalog });
  try {
    if (historyBytes && historyBytes.length) rec.history.restore(historyBytes);
  } catch (e) {
    rec.free();
    throw e;
  }
  state.backend = llm === 'offline' ? 'offline' : 'openai';
  return rec;
}

// While the model is wanted but away, try it again (at most every RECHECK_MS).
async function maybeReconnect() {
  if (state.settings.backend !== 'openai' || state.backend === 'openai' || Date.now() - state.checkedAt < RECHECK_MS) return;
  const rec = await buildRecommender(state.settings, state.rec.history.snapshot());
  state.rec.free();
  state.rec = rec;
}

// The engine's code is compiled on its first run and optimised only once it has run hot:
// after three recommendations the next was still about 1.3 times slower than later ones.
const WARM_UPS = 8;

// A first recommendation compiles and warms the module's hot paths; make it one nobody
// waits for: on a scratch event, right after start-up, then forgotten.
async function warmUp() {
  const index = state.rec.catalog.index;
  if (state.rec.history.count || !index.count) return;
  // Any three items: against a zero vector every score ties, and ties go by slot. Events
  // and reasons as a shopper's click makes them (the item's text embedded, the sentences
  // written), so that the first click runs none of it cold.
  const some = index.search(new Float32Array(index.dim), 3);
  for (let i = 0; i < WARM_UPS; i++) {
    state.rec.history.add(historyEvent(state.rec.catalog.get(some[i % some.length].id), 'view', i));
    const out = await state.rec.recommend({ k: 6 });
    out.items.forEach((it) => renderReason(it, { formatPrice: money }));
  }
  state.rec.history.clear();
}

function historyMsg() {
  return { type: 'history', count: state.rec ? state.rec.history.count : 0, events: state.log.slice(-30) };
}

function errorMsg(e, seq) {
  return { type: 'error', seq, message: e && e.message ? e.message : String(e), code: e && e.code };
}

// ---------------------------------------------------------------- recommend
// watched: the page reads this shelf from shared memory in its next frames (it said so
// with the event), so no message carries it too: one would reach the page right after the
// shelf's frame, a task to receive and drop before anything else.
async function recommend(timing = {}, watched = false) {
  const seq = ++state.seq;
  if (state.abort) state.abort.abort();
  if (!state.rec || state.rec.history.count === 0) {
    post({ type: 'idle', seq, reason: 'empty-history' });
    return;
  }
  const abort = new AbortController();
  state.abort = abort;
  const t0 = performance.now();
  const withModel = state.backend === 'openai';
  if (withModel) post({ type: 'progress', seq, ev: { type: 'begin' }, t: 0 });
  try {
    const k = Math.max(1, Math.min(20, Number(state.settings.k) || 6));
    const out = await state.rec.recommend(
      { k },
      {
        signal: abort.signal,
        onProgress: withModel ? (ev) => post({ type: 'progress', seq, ev: { ...ev }, t: performance.now() - t0 }) : undefined,
      }
    );
    if (abort.signal.aborted || seq !== state.seq) return;
    const ranked = performance.now();
    // The reason a shopper reads: the item's evidence in plain words (the package's
    // renderReason, the same sentences everywhere), never the ranker's own text or a number.
    const items = out.items.map((it) => ({ id: it.id, reason: renderReason(it, { formatPrice: money }) || 'Picked for you from your history.' }));
    const shelf = { type: 'shelf', seq, items, backend: state.backend, timing: { ...timing, ranked, origin: performance.timeOrigin } };
    shelf.timing.posted = performance.now();
    const written = state.shared ? writeShelf(state.shared, seq, shelf) : false;
    if (!(written && watched)) post(shelf);
    // The history and the trace wait for the page to ask (once the shelf is painted).
    // The result as it is: its trace is parsed when the page asks for it, after the shelf.
    state.details = { seq, out, ms: ranked - t0, backend: state.backend };
  } catch (e) {
    if (abort.signal.aborted || seq !== state.seq) return;
    post(historyMsg());
    post(errorMsg(e, seq));
  } finally {
    if (state.abort === abort) state.abort = null;
  }
}

// A history event carries the item's fields (its text, brand, categories, price).
function historyEvent(it, kind, ts) {
  const ev = { id: it.id, ts, kind, title: it.title };
  if (it.text) ev.text = it.text;
  if (it.brand) ev.brand = it.brand;
  if (it.categories) ev.categories = it.categories;
  if (Number.isFinite(it.price)) ev.price = it.price;
  return ev;
}

function addEvent(msg) {
  const it = typeof msg.id === 'string' ? state.rec.catalog.get(msg.id) : null;
  if (!it) throw new Error(`unknown product ${msg.id}`);
  const kind = ['view', 'cart', 'purchase'].includes(msg.kind) ? msg.kind : 'view';
  const ts = Date.now() / 1000;
  state.rec.history.add(historyEvent(it, kind, ts));
  state.log.push({ id: it.id, kind, ts, title: it.title });
  if (state.log.length > MAX_LOG) state.log.splice(0, state.log.length - MAX_LOG);
}

// After the shelf: without IndexedDB (some private modes) the history still works for this visit.
const persist = () => saveHistory().catch((e) => post(errorMsg(new Error(`history not saved: ${e && e.message}`))));

// ---------------------------------------------------------------- messages
async function handle(msg, recv) {
  switch (msg.type) {
    case 'init': {
      state.settings = { ...state.settings, ...(msg.settings || {}) };
      state.shared = msg.shared || null;
      const t0 = performance.now();
      // The catalog as the server built it: a snapshot, restored in milliseconds, with no
      // item embedded here (the page fetches catalog.json for its grid alone).
      const [res, config] = await Promise.all([fetch('./catalog.snap'), fetch('./config.json').then((r) => r.json())]);
      if (!res.ok) throw new Error(`catalog: HTTP ${res.status}`);
      state.catalog = await res.arrayBuffer();
      state.source = config.source || 'sample';
      let saved = null;
      try {
        saved = await loadSaved();
      } catch (e) {
        post(errorMsg(new Error(`IndexedDB unavailable: ${e.message}`)));
      }
      try {
        state.rec = await buildRecommender(state.settings, saved && saved.bytes);
        state.log = (saved && saved.log) || [];
      } catch (e) {
        if (!saved) throw e;
        // A snapshot this module cannot read (older format, corruption): start fresh.
        post(errorMsg(new Error(`saved history was unreadable and was dropped: ${e.message}`)));
        state.rec = await buildRecommender(state.settings, null);
        state.log = [];
        await deleteSaved().catch(() => {});
      }
      await warmUp();
      post({ type: 'ready', source: state.source, items: state.rec.catalog.count, ms: performance.now() - t0, restored: Boolean(saved) });
      post(historyMsg());
      await recommend();
      return;
    }
    case 'event':
    case 'events': {
      const list = msg.type === 'event' ? [msg] : msg.list;
      for (const e of list) addEvent(e);
      const added = performance.now();
      await maybeReconnect();
      await recommend({ recv, added }, msg.watched === true);
      await persist();
      return;
    }
    case 'forget': {
      if (state.abort) state.abort.abort();
      state.seq++;
      state.rec.history.clear();
      state.log = [];
      await deleteSaved().catch((e) => post(errorMsg(new Error(`saved history not deleted: ${e && e.message}`))));
      post(historyMsg());
      post({ type: 'idle', seq: state.seq, reason: 'forgotten' });
      return;
    }
    case 'settings': {
      const next = { ...state.settings, ...(msg.settings || {}) };
      const changed = next.backend !== state.settings.backend || next.edgeUrl !== state.settings.edgeUrl || next.model !== state.settings.model;
      state.settings = next;
      if (changed) {
        if (state.abort) state.abort.abort();
        const rec = await buildRecommender(next, state.rec.history.snapshot());
        state.rec.free();
        state.rec = rec;
        if (next.backend === 'offline') notice('ok', 'The offline reasoner ranks, in this page: nothing is sent anywhere.');
      }
      post({ type: 'settings', settings: next });
      await recommend();
      return;
    }
    case 'refresh':
      await recommend();
      return;
    case 'details': {
      post(historyMsg());
      const d = state.details;
      if (d && d.seq === msg.seq && msg.seq === state.seq) {
        const { trace, degraded, fallbacks, usage } = d.out;
        post({ type: 'trace', seq: d.seq, out: { trace, degraded, fallbacks, usage }, ms: d.ms, backend: d.backend });
      }
      return;
    }
    default:
      throw new Error(`unknown message ${msg.type}`);
  }
}

// Messages are handled one at a time, in order; a recommendation in flight is
// superseded (aborted) by the next event rather than waited for.
self.onmessage = (e) => {
  const recv = performance.now();
  const msg = e.data || {};
  if (msg.type === 'event' || msg.type === 'events' || msg.type === 'forget' || msg.type === 'settings') {
    if (state.abort) state.abort.abort();
  }
  state.queue = state.queue.then(
    () => handle(msg, recv).catch((err) => post(errorMsg(err))),
    () => {}
  );
};
