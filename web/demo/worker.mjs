// The demo's Web Worker: it owns the arag module (catalog, the shopper's history,
// the engine), persists the history snapshot in IndexedDB and answers the page.
//
// Page -> worker: {type: 'init', settings} | {type: 'event', id, kind} | {type: 'forget'}
//                 | {type: 'settings', settings} | {type: 'refresh'}
// Worker -> page: {type: 'ready', ...} | {type: 'history', count, events}
//                 | {type: 'progress', seq, ev, t} | {type: 'result', seq, out, ms}
//                 | {type: 'idle', seq, reason} | {type: 'error', seq, message, code}
import { createRecommender, openAIChat } from './dist/index.mjs';

const DB_NAME = 'arag-demo';
const STORE = 'state';
const MAX_LOG = 200; // events kept for display next to the snapshot

const state = {
  rec: null,
  items: [],
  byId: new Map(),
  source: 'sample',
  settings: { backend: 'offline', edgeUrl: '', model: 'gpt-4o-mini', k: 6 },
  log: [], // [{id, kind, ts, title}] newest last, for display only
  seq: 0,
  abort: null,
  queue: Promise.resolve(),
};

const post = (msg) => self.postMessage(msg);

// ---------------------------------------------------------------- IndexedDB
function openDb() {
  return new Promise((ok, fail) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => ok(req.result);
    req.onerror = () => fail(req.error);
  });
}

async function dbOp(mode, fn) {
  const db = await openDb();
  try {
    return await new Promise((ok, fail) => {
      const tx = db.transaction(STORE, mode);
      const req = fn(tx.objectStore(STORE));
      tx.oncomplete = () => ok(req && req.result);
      tx.onerror = () => fail(tx.error);
      tx.onabort = () => fail(tx.error);
    });
  } finally {
    db.close();
  }
}

const historyKey = () => `history:${state.source}`;
const loadSaved = () => dbOp('readonly', (s) => s.get(historyKey()));
const saveHistory = () =>
  dbOp('readwrite', (s) =>
    s.put({ bytes: state.rec.history.snapshot(), log: state.log, saved: Date.now() }, historyKey())
  );
const deleteSaved = () => dbOp('readwrite', (s) => s.delete(historyKey()));

// ---------------------------------------------------------------- module
async function llmFor(settings) {
  if (settings.backend !== 'openai') return 'offline';
  const base = String(settings.edgeUrl || '').replace(/\/+$/, '');
  if (!base) throw new Error('Set the edge worker address to use a model.');
  // The page holds no key: a short-lived page token from the demo's server lets it spend
  // LLM calls through the edge worker, which adds the upstream key.
  const res = await fetch('/page-token', { cache: 'no-store' });
  if (!res.ok) throw new Error('The demo server mints no page tokens: start it with PAGE_TOKEN_SECRET (the edge worker\'s secret).');
  const { token } = await res.json();
  return openAIChat({ baseURL: `${base}/v1`, model: settings.model || 'gpt-4o-mini', apiKey: token });
}

async function buildRecommender(settings, historyBytes) {
  // A shelf wants different products, not shades of one: the offline ranker's diversity
  // step (off by default, as the evaluation scores single targets) is on here.
  const rec = await createRecommender({ llm: await llmFor(settings), config: { top_k: 30, reasoner: { ira_div: 1 } } });
  try {
    rec.catalog.add(state.items);
    if (historyBytes && historyBytes.length) rec.history.restore(historyBytes);
  } catch (e) {
    rec.free();
    throw e;
  }
  return rec;
}

function historyMsg() {
  return { type: 'history', count: state.rec ? state.rec.history.count : 0, events: state.log };
}

function errorMsg(e, seq) {
  return { type: 'error', seq, message: e && e.message ? e.message : String(e), code: e && e.code };
}

// ---------------------------------------------------------------- recommend
async function recommend() {
  const seq = ++state.seq;
  if (state.abort) state.abort.abort();
  if (!state.rec || state.rec.history.count === 0) {
    post({ type: 'idle', seq, reason: 'empty-history' });
    return;
  }
  const abort = new AbortController();
  state.abort = abort;
  const t0 = performance.now();
  post({ type: 'progress', seq, ev: { type: 'begin' }, t: 0 });
  try {
    const k = Math.max(1, Math.min(20, Number(state.settings.k) || 6));
    const out = await state.rec.recommend(
      { k },
      {
        signal: abort.signal,
        onProgress: (ev) => post({ type: 'progress', seq, ev: { ...ev }, t: performance.now() - t0 }),
      }
    );
    if (abort.signal.aborted || seq !== state.seq) return;
    const items = out.items.map((it) => ({ ...it, item: state.byId.get(it.id) || null }));
    post({ type: 'result', seq, out: { ...out, items }, ms: performance.now() - t0 });
  } catch (e) {
    if (abort.signal.aborted || seq !== state.seq) return;
    post(errorMsg(e, seq));
  } finally {
    if (state.abort === abort) state.abort = null;
  }
}

// ---------------------------------------------------------------- messages
async function handle(msg) {
  switch (msg.type) {
    case 'init': {
      state.settings = { ...state.settings, ...(msg.settings || {}) };
      const t0 = performance.now();
      const res = await fetch('./catalog.json');
      if (!res.ok) throw new Error(`catalog: HTTP ${res.status}`);
      const cat = await res.json();
      state.items = cat.items;
      state.source = cat.source || 'sample';
      state.byId = new Map(cat.items.map((it) => [it.id, it]));
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
      post({
        type: 'ready',
        source: state.source,
        items: state.items.length,
        ms: performance.now() - t0,
        restored: Boolean(saved),
      });
      post(historyMsg());
      await recommend();
      return;
    }
    case 'event': {
      const it = state.byId.get(msg.id);
      if (!it) throw new Error(`unknown product ${msg.id}`);
      const kind = ['view', 'cart', 'purchase'].includes(msg.kind) ? msg.kind : 'view';
      const ts = Date.now() / 1000;
      const ev = { id: it.id, ts, kind, title: it.title };
      if (it.text) ev.text = it.text;
      if (it.brand) ev.brand = it.brand;
      if (it.categories) ev.categories = it.categories;
      if (Number.isFinite(it.price)) ev.price = it.price;
      state.rec.history.add(ev);
      state.log.push({ id: it.id, kind, ts, title: it.title });
      if (state.log.length > MAX_LOG) state.log.splice(0, state.log.length - MAX_LOG);
      // Without IndexedDB (some private modes) the history still works for this visit.
      await saveHistory().catch((e) => post(errorMsg(new Error(`history not saved: ${e && e.message}`))));
      post(historyMsg());
      await recommend();
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
      if (next.backend !== state.settings.backend || next.edgeUrl !== state.settings.edgeUrl ||
          next.model !== state.settings.model) {
        if (state.abort) state.abort.abort();
        const bytes = state.rec.history.snapshot();
        const rec = await buildRecommender(next, bytes);
        state.rec.free();
        state.rec = rec;
      }
      state.settings = next;
      post({ type: 'settings', settings: next });
      await recommend();
      return;
    }
    case 'refresh':
      await recommend();
      return;
    default:
      throw new Error(`unknown message ${msg.type}`);
  }
}

// Messages are handled one at a time, in order; a recommendation in flight is
// superseded (aborted) by the next event rather than waited for.
self.onmessage = (e) => {
  const msg = e.data || {};
  if (msg.type === 'event' || msg.type === 'forget' || msg.type === 'settings') {
    if (state.abort) state.abort.abort();
  }
  state.queue = state.queue.then(
    () => handle(msg).catch((err) => post(errorMsg(err))),
    () => {}
  );
};
