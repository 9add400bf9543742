// The evaluation engine over the wasm module and the JS host library (dist/index.mjs):
// catalog vectors for the baselines, and one recommender per concurrent user for the
// pipeline methods. Ablations switch agents off through the request's config.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const WASM_FILE = { emscripten: 'arag.wasm', wasi: 'arag-wasi.wasm' };

// opts: { dist, kind, backend: 'offline'|'openai', baseURL, model, apiKey, config, items,
//         llm (an adapter; overrides backend), llmOptions (extra adapter options), dim,
//         record (entry => void: every call recorded), replay (a recording to answer from) }
export async function createEvalEngine(opts) {
  const { dist, kind = 'emscripten', backend = 'offline', config = {}, items, dim = 512, itemsFile = 'items.jsonl' } = opts;
  for (const f of ['index.mjs', WASM_FILE[kind]]) {
    if (!existsSync(join(dist, f))) throw new Error(`${join(dist, f)} not found: build the module first (make wasm) or pass --dist DIR`);
  }
  const lib = await import(pathToFileURL(join(dist, 'index.mjs')).href);
  const bytes = await readFile(join(dist, WASM_FILE[kind]));
  const moduleHash = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  const wasm = await WebAssembly.compile(bytes);
  const arag = await lib.createArag({ wasm, kind });

  let llm = 'offline';
  if (opts.replay) llm = lib.fromRecording(opts.replay, opts.llmOptions || {});
  else if (opts.llm) llm = opts.llm;
  else if (backend === 'openai') {
    llm = lib.openAIChat({ baseURL: opts.baseURL, model: opts.model, apiKey: opts.apiKey, ...(opts.llmOptions || {}) });
  }
  // Every call and its answer, keyed by the request, for a replay without the model.
  if (opts.record && llm !== 'offline') llm = lib.recordTo(llm, { onEntry: opts.record, model: opts.model });
  // An evaluation measures the model, not a shop's patience: no deadline unless the
  // config sets one (a slow local model would otherwise be cut at the default 20 s).
  const baseConfig = { deadline_ms: 0, ...config, session_len: 5, long_term_len: 50 };

  // The catalog the baselines read their vectors from gets the same item lines as the
  // pipeline's catalogs: the same vectors (index.get returns the stored, normalized row).
  const catalog = arag.createCatalog({ dim });
  addItems(catalog, items, itemsFile);
  const vecCache = new Map();
  function vector(id) {
    let v = vecCache.get(id);
    if (!v) {
      v = catalog.index.get(id);
      if (!v) throw new Error(`item "${id}" has no vector in the catalog`);
      vecCache.set(id, v);
    }
    return v;
  }

  const workers = new Set();
  return {
    moduleHash,
    llm: llm === 'offline' ? null : llm,
    vectors: (ids) => ids.map(vector),
    createWorker() {
      // One recommender (its own engine, catalog and history) per concurrent user, all
      // in the one module instance; made on first use (baseline-only runs need none).
      let recPromise = null;
      let lastHistory = null;
      const worker = {
        async rankArag(history, candidates, agents, config = {}) {
          if (!recPromise) {
            recPromise = (async () => {
              const r = await lib.createRecommender({ arag, llm, config: baseConfig });
              addItems(r.catalog.handle, items, itemsFile);
              return r;
            })();
          }
          const rec = await recPromise;
          if (lastHistory !== history) {
            rec.history.clear();
            rec.history.add(history.map((e) => ({ id: e.item, ts: e.ts })));
            lastHistory = history;
          }
          const out = await rec.recommend({
            candidates,
            k: candidates.length,
            topK: candidates.length,
            config: { ...config, agents },
          });
          return { order: out.order, usage: normalizeUsage(out.usage), degraded: out.degraded || [] };
        },
        free() {
          workers.delete(worker);
          const p = recPromise;
          recPromise = null;
          if (p) p.then((r) => r.free()).catch(() => {});
        },
      };
      workers.add(worker);
      return worker;
    },
    free() {
      for (const w of [...workers]) w.free();
      catalog.free();
    },
  };
}

function addItems(catalog, items, file) {
  // Batches of JSON lines keep the calls few; a refused batch is retried line by line so
  // the error names the item's line (the catalog is all-or-nothing per call).
  const B = 512;
  for (let s = 0; s < items.length; s += B) {
    const batch = items.slice(s, s + B);
    try {
      catalog.add(batch.map((it) => it.json).join('\n'));
    } catch {
      for (const it of batch) {
        try {
          catalog.add(it.json);
        } catch (e) {
          // The item went in alone: the parser's "line 1" is this line.
          const why = String(e.message).replace(/(^|: )line 1: /, '$1');
          throw new Error(`${file}:${it.line}: the catalog refused item "${it.id}": ${why}`);
        }
      }
    }
  }
}

// Usage of one recommendation: the engine's counters where it has them, the host
// adapter's (calls that left the module, tokens, failures after retries) otherwise.
export function normalizeUsage(u) {
  u = u || {};
  const h = u.host || {};
  const pick = (...vals) => {
    for (const v of vals) if (typeof v === 'number' && Number.isFinite(v)) return v;
    return 0;
  };
  return {
    calls: pick(u.calls, u.requests, h.calls),
    prompt_tokens: pick(u.prompt_tokens, h.promptTokens),
    completion_tokens: pick(u.completion_tokens, h.completionTokens),
    failures: pick(h.failures, u.failures),
  };
}
