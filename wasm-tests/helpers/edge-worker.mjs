// The edge worker template (examples/edge-worker) in workerd through Miniflare, with the
// bindings its wrangler.toml declares: the TokenBudget Durable Object and the
// rate-limiting binding (both run locally in Miniflare).
//
// stageWorker(dir) lays the template out with the built host library (dist/) as its
// `arag` package: src/ as it is, `arag` resolved to a module that imports the compiled
// wasm the way the package's workerd entry does. (The template as users build it, from
// the npm pack tarball with wrangler, is tested in edge-template.test.mjs.)
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
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
 * A Miniflare running the staged worker. vars: its [vars] and secrets; ratePerMinute: the
 * rate-limiting binding's limit (null: no binding, the per-isolate fallback); noBudget:
 * no Durable Object binding (the per-isolate fallback); extra: more Miniflare options.
 */
export function edgeMiniflare(dir, { vars = {}, ratePerMinute = 60, noBudget = false, log, extra = {} } = {}) {
  const opts = {
    modules: workerModules(dir),
    modulesRoot: dir,
    compatibilityDate: COMPAT_DATE,
    compatibilityFlags: COMPAT_FLAGS,
    bindings: vars,
    ...extra,
  };
  if (!noBudget) opts.durableObjects = { TOKEN_BUDGET: { className: 'TokenBudget', useSQLite: true } };
  if (ratePerMinute !== null) opts.ratelimits = { RATE_LIMITER: { simple: { limit: ratePerMinute, period: 60 } } };
  if (log) {
    opts.handleRuntimeStdio = (stdout, stderr) => {
      stdout.on('data', (d) => log(String(d)));
      stderr.on('data', (d) => log(String(d)));
    };
  }
  return new Miniflare(opts);
}

let nodeStage = null;
/** One of the template's modules (those that run outside workerd: config, http,
 * recommend, proxy), imported in Node with `arag` as the built host library. */
export async function importWorkerModule(name) {
  if (!nodeStage) {
    nodeStage = mkdtempSync(join(tmpdir(), 'arag-edge-node-'));
    const lib = pathToFileURL(join(DIST, 'index.mjs')).href;
    for (const f of readdirSync(join(TEMPLATE, 'src'))) {
      writeFileSync(join(nodeStage, f), readFileSync(join(TEMPLATE, 'src', f), 'utf8').replace(/from 'arag';/g, `from '${lib}';`));
    }
  }
  return import(pathToFileURL(join(nodeStage, name)).href);
}
