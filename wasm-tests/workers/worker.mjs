// Test worker for workerd (run by wasm-tests/workerd.test.mjs through Miniflare). The
// modules come compiled at deploy time: workers refuse to compile wasm from bytes.
//
// POST /search     {kind, docs: [{id, text}], queries: [text], k}  -> {kind, version, results}
// POST /recommend  {kind, items, events, candidates, k, llm?: {baseURL, model, timeoutMs?} |
//                   {aiURL, model}, abortAfterMs?, config?}          -> recommend() output
import emscriptenWasm from '../../dist/arag.wasm';
import wasiWasm from '../../dist/arag-wasi.wasm';
import { createArag, createRecommender, openAIChat, workersAI, AragError } from '../../dist/index.mjs';

const modules = {};
function aragFor(kind) {
  if (!modules[kind]) modules[kind] = createArag({ wasm: kind === 'wasi' ? wasiWasm : emscriptenWasm, kind });
  return modules[kind];
}

/** A stand-in for the Workers AI binding that forwards to the test server over HTTP. */
function httpAI(aiURL) {
  return {
    async run(model, inputs) {
      const r = await fetch(`${aiURL}/${encodeURIComponent(model)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(inputs),
      });
      const j = await r.json();
      if (!r.ok) throw new Error(`${r.status}: ${j.error ? j.error.message : 'error'}`);
      return j.result;
    },
  };
}

async function search(body) {
  const arag = await aragFor(body.kind);
  const ix = arag.createIndex({ dim: 256 });
  try {
    for (const d of body.docs) ix.add(d.id, arag.embed(d.text, 256));
    const results = body.queries.map((q) => ix.search(arag.embed(q, 256), body.k));
    return { kind: arag.kind, version: arag.version, count: ix.count, results };
  } finally {
    ix.free();
  }
}

async function recommend(body) {
  const arag = await aragFor(body.kind);
  let llm;
  if (body.llm && body.llm.baseURL) llm = openAIChat({ baseURL: body.llm.baseURL, model: body.llm.model, timeoutMs: body.llm.timeoutMs ?? 5000, backoffMs: 5 });
  else if (body.llm && body.llm.aiURL) llm = workersAI(httpAI(body.llm.aiURL), { model: body.llm.model, timeoutMs: 5000, backoffMs: 5 });
  const rec = await createRecommender({ arag, llm, catalog: body.items, config: body.config });
  try {
    rec.history.add(body.events);
    const progress = [];
    const signal = body.abortAfterMs ? AbortSignal.timeout(body.abortAfterMs) : undefined;
    const t0 = Date.now();
    const out = await rec.recommend({ candidates: body.candidates, k: body.k }, { signal, onProgress: (e) => progress.push(e) });
    return { ...out, progress, backend: rec.backend, deadlineMs: rec.config.deadline_ms, sessions: rec.sessions, ms: Date.now() - t0 };
  } finally {
    rec.free();
  }
}

export default {
  async fetch(request) {
    const url = new URL(request.url);
    try {
      const body = request.method === 'POST' ? await request.json() : {};
      let out;
      if (url.pathname === '/search') out = await search(body);
      else if (url.pathname === '/recommend') out = await recommend(body);
      else return new Response('not found', { status: 404 });
      return Response.json(out);
    } catch (e) {
      const err = { name: e.name, message: e.message, code: e instanceof AragError ? e.code : undefined };
      return Response.json({ error: err }, { status: 500 });
    }
  },
};
