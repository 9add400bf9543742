// Test page: loads the host library from /dist/ and exposes window.aragTest for the
// Chromium suite (wasm-tests/chromium.test.mjs), which calls it through page.evaluate.
import { createArag, createRecommender, openAIChat, AragError } from '/dist/index.mjs';

const modules = {};
function aragFor(kind, source) {
  const key = `${kind}:${source}`;
  if (!modules[key]) {
    let wasm;
    if (source === 'bytes') {
      wasm = fetch(`/dist/${kind === 'wasi' ? 'arag-wasi.wasm' : 'arag.wasm'}`).then((r) => r.arrayBuffer());
    } else if (source === 'module') {
      wasm = WebAssembly.compileStreaming(fetch(`/dist/${kind === 'wasi' ? 'arag-wasi.wasm' : 'arag.wasm'}`));
    }
    // source 'default': the library finds the .wasm next to itself (import.meta.url).
    modules[key] = createArag({ kind, wasm });
  }
  return modules[key];
}

async function search({ kind, source = 'default', docs, queries, k }) {
  const arag = await aragFor(kind, source);
  const ix = arag.createIndex({ dim: 256 });
  for (const d of docs) ix.add(d.id, arag.embed(d.text, 256));
  const results = queries.map((q) => ix.search(arag.embed(q, 256), k));
  let error = null;
  try {
    ix.add('bad', new Float32Array(3));
  } catch (e) {
    error = { isAragError: e instanceof AragError, code: e.code, message: e.message };
  }
  const snapshot = ix.snapshot();
  const copy = arag.createIndex({ dim: 8 });
  copy.restore(snapshot);
  const restored = queries.map((q) => copy.search(arag.embed(q, 256), k));
  ix.free();
  copy.free();
  return { kind: arag.kind, results, restored, error };
}

async function recommend({ kind = 'emscripten', items, events, candidates, k, llm, abortAfterMs, config }) {
  const arag = await aragFor(kind, 'default');
  const adapter = llm ? openAIChat({ baseURL: llm.baseURL, model: llm.model, timeoutMs: llm.timeoutMs ?? 5000, backoffMs: 5 }) : undefined;
  const rec = await createRecommender({ arag, llm: adapter, catalog: items, config });
  try {
    rec.history.add(events);
    const progress = [];
    const ctrl = new AbortController();
    if (abortAfterMs) setTimeout(() => ctrl.abort(), abortAfterMs);
    try {
      const t0 = performance.now();
      const out = await rec.recommend({ candidates, k }, { signal: ctrl.signal, onProgress: (e) => progress.push(e) });
      const ms = performance.now() - t0;
      return {
        ok: true,
        items: out.items,
        order: out.order,
        degraded: out.degraded,
        fallbacks: out.fallbacks,
        progress,
        agents: out.trace.messages.map((m) => m.agent),
        responseFormat: adapter ? adapter.responseFormat : null,
        deadlineMs: rec.config.deadline_ms,
        ms,
        sessions: rec.sessions,
      };
    } catch (e) {
      return { ok: false, name: e.name, message: e.message, sessions: rec.sessions };
    }
  } finally {
    rec.free();
  }
}

window.aragTest = { search, recommend };
document.getElementById('status').textContent = 'ready';
