// Copies the built module and host library (dist/, from `make wasm`) next to the
// worker, where `import wasm from './arag.wasm'` and './lib/index.mjs' find them.
// wrangler.toml runs this as the build command; the copies are git-ignored.
//
//   node examples/edge-worker/prepare.mjs [OUT_DIR]
// With OUT_DIR, the worker itself is copied there too (a self-contained bundle root).
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const DIST = resolve(HERE, '..', '..', 'dist');

export function prepare(outDir = HERE) {
  if (!existsSync(join(DIST, 'arag.wasm')) || !existsSync(join(DIST, 'index.mjs'))) {
    throw new Error('dist/ has no arag.wasm or index.mjs: run `make wasm` first');
  }
  mkdirSync(join(outDir, 'lib'), { recursive: true });
  copyFileSync(join(DIST, 'arag.wasm'), join(outDir, 'arag.wasm'));
  for (const f of readdirSync(DIST)) {
    if (f.endsWith('.mjs')) copyFileSync(join(DIST, f), join(outDir, 'lib', f));
  }
  if (resolve(outDir) !== resolve(HERE)) copyFileSync(join(HERE, 'worker.mjs'), join(outDir, 'worker.mjs'));
  return outDir;
}

/**
 * The modules of a prepared bundle, listed for Miniflare (`modules: miniflareModules(dir)`,
 * `modulesRoot: dir`): the worker first, the host library, the compiled module. Listing
 * them spares Miniflare from following imports itself (it cannot follow the host
 * library's computed, Node-only import).
 */
export function miniflareModules(dir) {
  const lib = readdirSync(join(dir, 'lib'))
    .filter((f) => f.endsWith('.mjs'))
    .sort()
    .map((f) => ({ type: 'ESModule', path: join(dir, 'lib', f) }));
  return [
    { type: 'ESModule', path: join(dir, 'worker.mjs') },
    ...lib,
    { type: 'CompiledWasm', path: join(dir, 'arag.wasm') },
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const out = prepare(process.argv[2] ? resolve(process.argv[2]) : HERE);
    console.log(`edge worker ready in ${out}`);
  } catch (e) {
    console.error(`prepare: ${e.message}`);
    process.exit(1);
  }
}
