// The edge worker template (examples/edge-worker) in workerd through Miniflare, with the
// bindings its wrangler.toml declares: the TokenBudget and ShopperHistory Durable Objects,
// the rate-limiting binding and the catalog's static assets (all run locally in
// Miniflare), or the catalog in R2 or KV; Vectorize through a stand-in binding.
//
// stageWorker(dir) lays the template out with the built host library (dist/) as its
// `arag` package: src/ as it is, `arag` resolved to a module that imports the compiled
// wasm the way the package's workerd entry does. (The template as users build it, from
// the npm pack tarball with wrangler, is tested in edge-template.test.mjs.)
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { ROOT, DIST, requireFile } from './common.mjs';

export const TEMPLATE = join(ROOT, 'examples', 'edge-worker');
export const COMPAT_DATE = '2025-09-01';
export const COMPAT_FLAGS = ['enable_request_signal'];

export function stageWorker(dir) {
  requireFile(join(DIST, 'arag.wasm'), 'run `make wasm` first');
  mkdirSync(join(dir, 'src'), { recursive: true });
  mkdirSync(join(dir, 'lib'), { recursive: true });
  for (const f of readdirSync(join(TEMPLATE, 'src'))) {
    const text = readFileSync(join(TEMPLATE, 'src', f), 'utf8').replace(/from 'arag';/g, "from '../arag.mjs';");
    writeFileSync(join(dir, 'src', f), text);
  }
  for (const f of readdirSync(DIST)) if (f.endsWith('.mjs')) cpSync(join(DIST, f), join(dir, 'lib', f));
  cpSync(join(DIST, 'arag.wasm'), join(dir, 'arag.wasm'));
  const entry = existsSync(join(DIST, 'workerd.mjs'))
    ? "export * from './lib/workerd.mjs';\n"
    : [
        "import wasm from './arag.wasm';",
        "import * as lib from './lib/index.mjs';",
        "export * from './lib/index.mjs';",
        'export function createArag(opts = {}) { return lib.createArag({ wasm, ...opts }); }',
        'export function createRecommender(opts = {}) { return lib.createRecommender(opts.arag ? opts : { wasm, ...opts }); }',
        '',
      ].join('\n');
  writeFileSync(join(dir, 'arag.mjs'), entry);
  if (existsSync(join(DIST, 'workerd.mjs'))) cpSync(join(DIST, 'arag.wasm'), join(dir, 'lib', 'arag.wasm'));
  return dir;
}

/** The staged modules, listed for Miniflare (it cannot follow the host library's
 * Node-only computed import by itself). */
export function workerModules(dir) {
  const mods = [{ type: 'ESModule', path: join(dir, 'src', 'worker.mjs') }];
  for (const f of readdirSync(join(dir, 'src')).sort()) if (f !== 'worker.mjs') mods.push({ type: 'ESModule', path: join(dir, 'src', f) });
  mods.push({ type: 'ESModule', path: join(dir, 'arag.mjs') });
  for (const f of readdirSync(join(dir, 'lib')).sort()) {
    if (f.endsWith('.mjs')) mods.push({ type: 'ESModule', path: join(dir, 'lib', f) });
    if (f.endsWith('.wasm')) mods.push({ type: 'CompiledWasm', path: join(dir, 'lib', f) });
  }
  mods.push({ type: 'CompiledWasm', path: join(dir, 'arag.wasm') });
  return mods;
}

/**
 * The staged worker's Miniflare options, with the bindings wrangler.toml declares.
 * vars: its [vars] and secrets; ratePerMinute: the rate-limiting binding's limit (null:
 * no binding, the per-isolate fallback); noBudget: no TokenBudget binding (the
 * per-isolate fallback); catalog: where the catalog snapshot is, {assets: DIR} (the
 * static-asset folder, as wrangler.toml's [assets]), {r2: true} (CATALOG_BUCKET) or
 * {kv: true} (CATALOG_KV); extra: more Miniflare options.
 */
export function edgeWorkerOptions(dir, { vars = {}, ratePerMinute = 60, noBudget = false, catalog = null, log, extra = {} } = {}) {
  const opts = {
    modules: workerModules(dir),
    modulesRoot: dir,
    compatibilityDate: COMPAT_DATE,
    compatibilityFlags: COMPAT_FLAGS,
    bindings: vars,
    ...extra,
  };
  opts.durableObjects = { SHOPPER_HISTORY: { className: 'ShopperHistory', useSQLite: true } };
  if (!noBudget) opts.durableObjects.TOKEN_BUDGET = { className: 'TokenBudget', useSQLite: true };
  if (catalog && catalog.assets) opts.assets = { directory: catalog.assets, binding: 'CATALOG_ASSETS', routerConfig: { has_user_worker: true, invoke_user_worker_ahead_of_assets: true } };
  if (catalog && catalog.r2) opts.r2Buckets = ['CATALOG_BUCKET'];
  if (catalog && catalog.kv) opts.kvNamespaces = ['CATALOG_KV'];
  if (ratePerMinute !== null) opts.ratelimits = { RATE_LIMITER: { simple: { limit: ratePerMinute, period: 60 } } };
  return opts;
}

function withLog(opts, log) {
  if (log) {
    opts.handleRuntimeStdio = (stdout, stderr) => {
      stdout.on('data', (d) => log(String(d)));
      stderr.on('data', (d) => log(String(d)));
    };
  }
  return opts;
}

/** A Miniflare running the staged worker (options: edgeWorkerOptions). */
export function edgeMiniflare(dir, opts = {}) {
  return new Miniflare(withLog(edgeWorkerOptions(dir, opts), opts.log));
}

/**
 * A Miniflare running the staged worker beside a stand-in VECTORIZE binding (Miniflare
 * runs no Vectorize): a worker of its own serving Vectorize's documented query API
 * (wasm-tests/helpers/vectorize-standin.mjs) over the vectors of `ndjson` (the text
 * `arag catalog build --vectorize` writes), kept in an R2 bucket of its own.
 */
export async function edgeMiniflareWithVectorize(dir, { ndjson, dimensions = 512, ...rest } = {}) {
  const edge = edgeWorkerOptions(dir, rest);
  edge.name = 'edge';
  edge.wrappedBindings = { ...(edge.wrappedBindings || {}), VECTORIZE: { scriptName: 'vectorize-standin', bindings: { DIMENSIONS: dimensions } } };
  const mf = new Miniflare(
    withLog(
      {
        workers: [
          edge,
          {
            name: 'vectorize-standin',
            modules: true,
            scriptPath: join(ROOT, 'wasm-tests', 'helpers', 'vectorize-standin.mjs'),
            r2Buckets: ['VECTORS'],
          },
        ],
      },
      rest.log
    )
  );
  await mf.ready;
  const bucket = await mf.getR2Bucket('VECTORS', 'vectorize-standin');
  await bucket.put('vectors.ndjson', ndjson);
  return mf;
}
