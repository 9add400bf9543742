// The package's entry in Cloudflare Workers and workerd (the "workerd" export condition,
// which wrangler resolves). Workers give a module no URL and refuse to compile wasm at run
// time, so the module comes in as an import that wrangler compiles at deploy time; the
// factories below use it when no `wasm` is given. Everything else is index.mjs.
import wasm from './arag.wasm';
import { loadModule as loadModuleFrom } from './loader.mjs';
import { createArag as createAragFrom } from './handles.mjs';
import { createRecommender as createRecommenderFrom } from './recommender.mjs';

export * from './index.mjs';

// The built-in Emscripten module unless the caller passes one (the WASI build is not
// bundled: pass `import wasiWasm from 'arag/arag-wasi.wasm'` with kind 'wasi').
function withModule(opts) {
  if (opts.wasm !== undefined && opts.wasm !== null) return opts;
  if (opts.kind === 'wasi' || opts.arag) return opts;
  return { ...opts, wasm };
}

export function loadModule(opts = {}) {
  return loadModuleFrom(withModule(opts));
}

export function createArag(opts = {}) {
  return createAragFrom(withModule(opts));
}

export function createRecommender(opts = {}) {
  return createRecommenderFrom(withModule(opts));
}
