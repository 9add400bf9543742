// The package as users consume it: the tarball `npm pack` makes, installed into fresh apps
// (wasm-tests/consumers/), built with each bundler with no arag-specific configuration
// (esbuild and Rollup only copy the wasm file beside the bundle, as docs/install.md says),
// and run where users run them: pages and module Web Workers in headless Chromium, Node,
// strict TypeScript under both module resolutions, and a Worker under wrangler.
// Every run must give the recommendation Node gives.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CONSUMERS, addCommon, bin, installConsumer, packTarball, sh, wranglerDev } from './helpers/tarball.mjs';
import { startStaticServer } from './helpers/static-server.mjs';
import { launchChromium } from './helpers/chromium.mjs';
import { ROOT } from './helpers/common.mjs';

let reference; // the Node consumer's recommendation
let browser;
const stops = [];

before(async () => {
  packTarball();
  browser = await launchChromium();
});
after(async () => {
  for (const s of stops.reverse()) await s();
  if (browser) await browser.close();
});

function checkRecommendation(r, where) {
  assert.equal(typeof r, 'object', `${where}: ${r}`);
  assert.equal(r.order.length, 3, `${where}: ${JSON.stringify(r)}`);
  for (const id of r.order) assert.match(id, /^p[245678]$/, `${where}: recommends only catalog items outside the history`);
  // The reasons are the items' evidence in plain words, rendered alike by the package's
  // renderReason; the Bramble items share the brand of the history's.
  assert.deepEqual(r.rendered, r.reasons, `${where}: renderReason gives the reasons`);
  assert.ok(r.reasons.some((x) => x.includes('From Bramble, like 2 of your items.')), `${where}: ${JSON.stringify(r.reasons)}`);
}

// A page served at url: the page's and the Web Worker's recommendations.
async function openPage(url, where) {
  const page = await browser.context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.goto(url);
    const out = page.locator('#out');
    await page.waitForFunction(() => {
      const d = document.getElementById('out').dataset;
      return d.page && d.worker;
    }, null, { timeout: 60000 });
    const [pageResult, workerResult] = [await out.getAttribute('data-page'), await out.getAttribute('data-worker')];
    assert.doesNotMatch(pageResult, /^error/, `${where}, page: ${pageResult}`);
    assert.doesNotMatch(workerResult, /^error/, `${where}, Web Worker: ${workerResult}`);
    assert.deepEqual(errors, [], `${where}: page errors`);
    for (const [r, w] of [[pageResult, 'page'], [workerResult, 'Web Worker']]) {
      const parsed = JSON.parse(r);
      checkRecommendation(parsed, `${where}, ${w}`);
      assert.deepEqual(parsed, reference, `${where}, ${w}: the same recommendation as Node`);
    }
  } finally {
    await page.close();
  }
}

// Serves a built folder and opens its index.html.
async function serveAndOpen(dir, where) {
  const server = await startStaticServer(dir, ['/']);
  stops.push(() => server.close());
  await openPage(`${server.url}/index.html`, where);
  return server;
}

// The wasm files a build folder holds (name -> bytes).
function wasmFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (f.endsWith('.wasm')) out.push(p.slice(dir.length + 1));
    }
  };
  walk(dir);
  return out;
}

test('npm pack: the tarball holds the modules, both wasm builds, types, the CLI, LICENSE and cJSON\'s notice, and nothing of the build', () => {
  const { files, size } = packTarball();
  for (const f of ['package.json', 'LICENSE', 'README.md', 'dist/index.mjs', 'dist/workerd.mjs', 'dist/index.d.ts', 'dist/wasm-module.d.ts',
    'dist/arag.mjs', 'dist/arag.wasm', 'dist/arag-wasi.wasm', 'dist/THIRD-PARTY-NOTICES.txt', 'web/bin/arag.mjs', 'web/bin/commands/eval.mjs',
    'web/src/eval/index.mjs', 'web/src/eval/index.d.mts']) {
    assert.ok(files.includes(f), `${f} is in the tarball`);
  }
  for (const f of files) assert.match(f, /^(package\.json|LICENSE|README\.md|dist\/[^/]+|web\/bin\/.+|web\/src\/eval\/.+)$/, `${f} belongs in the package`);
  assert.ok(size < 1 << 20, `tarball ${size} bytes`);
});

test('Node ESM consumer: the default module file, kind wasi, the wasm subpaths, package.json and the arag command', () => {
  const dir = installConsumer(join(CONSUMERS, 'node'));
  addCommon(dir);
  const installed = JSON.parse(readFileSync(join(dir, 'node_modules', 'arag', 'package.json'), 'utf8'));
  assert.equal(installed.sideEffects, false);
  assert.match(readFileSync(join(dir, 'node_modules', 'arag', 'LICENSE'), 'utf8'), /^MIT License/);
  assert.match(readFileSync(join(dir, 'node_modules', 'arag', 'dist', 'THIRD-PARTY-NOTICES.txt'), 'utf8'), /cJSON[\s\S]*Dave Gamble[\s\S]*Permission is hereby granted/);
  const r = JSON.parse(sh(process.execPath, ['index.mjs'], { cwd: dir }).stdout);
  assert.equal(r.version, installed.version);
  checkRecommendation(r.byDefault, 'node');
  for (const k of ['wasi', 'fromBytes', 'wasiFromBytes']) assert.deepEqual(r[k], r.byDefault, `node ${k}: the same recommendation`);
  reference = r.byDefault;
  const v = sh(join(dir, 'node_modules', '.bin', 'arag'), ['--version'], { cwd: dir });
  assert.equal(v.stdout, `arag ${installed.version}\n`);
  const help = sh(join(dir, 'node_modules', '.bin', 'arag'), ['eval', '--help'], { cwd: dir });
  assert.match(help.stdout, /^usage: arag eval/);
});

test('TypeScript consumer: strict type-check under moduleResolution bundler and nodenext', () => {
  const dir = installConsumer(join(CONSUMERS, 'typescript'));
  for (const config of ['tsconfig.bundler.json', 'tsconfig.nodenext.json']) sh(bin('tsc'), ['-p', config], { cwd: dir });
  // The check can fail: a number where the types say a promise is refused.
  writeFileSync(join(dir, 'wrong.ts'), "import { createRecommender, openAIEmbeddings } from 'arag';\n" +
    "export const n: Promise<number> = (await createRecommender()).catalog.add({ id: 'a' });\n" +
    "void openAIEmbeddings;\n");
  const cfg = JSON.parse(readFileSync(join(dir, 'tsconfig.bundler.json'), 'utf8'));
  writeFileSync(join(dir, 'tsconfig.wrong.json'), JSON.stringify({ ...cfg, files: ['wrong.ts'] }));
  assert.throws(() => sh(bin('tsc'), ['-p', 'tsconfig.wrong.json'], { cwd: dir }), /wrong\.ts.*Type 'number' is not assignable to type 'Promise<number>'/s);
});

test('esbuild bundle (page and Web Worker): the wasm file copied beside the bundle, as documented', async () => {
  assert.ok(reference, 'the Node consumer ran first');
  const dir = installConsumer(join(CONSUMERS, 'common'), 'esbuild');
  const out = join(dir, 'out');
  sh(bin('esbuild'), ['main.js', 'worker.js', '--bundle', '--format=esm', '--minify', `--outdir=${out}`], { cwd: dir });
  copyFileSync(join(dir, 'node_modules', 'arag', 'dist', 'arag.wasm'), join(out, 'arag.wasm'));
  copyFileSync(join(dir, 'index.html'), join(out, 'index.html'));
  await serveAndOpen(out, 'esbuild');
  // sideEffects: false lets a bundle that imports only the LLM adapter leave the module out.
  writeFileSync(join(dir, 'llm-only.js'), "import { openAIChat } from 'arag';\nexport const llm = openAIChat({ baseURL: '/v1', model: 'm' });\n");
  sh(bin('esbuild'), ['llm-only.js', '--bundle', '--format=esm', '--minify', `--outfile=${join(dir, 'llm-only.out.js')}`], { cwd: dir });
  const small = readFileSync(join(dir, 'llm-only.out.js'), 'utf8');
  assert.doesNotMatch(small, /arag\.wasm|createAragModule|WebAssembly\.instantiate/, 'no Emscripten glue or loader in an LLM-only bundle');
});

test('Rollup bundle (node-resolve; page and Web Worker): the wasm file copied beside the bundle', async () => {
  assert.ok(reference, 'the Node consumer ran first');
  const dir = installConsumer(join(CONSUMERS, 'common'), 'rollup');
  writeFileSync(join(dir, 'rollup.config.mjs'), "import { nodeResolve } from '@rollup/plugin-node-resolve';\n" +
    "export default { input: ['main.js', 'worker.js'], output: { dir: 'out', format: 'es' }, plugins: [nodeResolve({ browser: true })] };\n");
  sh(bin('rollup'), ['-c', 'rollup.config.mjs'], { cwd: dir });
  copyFileSync(join(dir, 'node_modules', 'arag', 'dist', 'arag.wasm'), join(dir, 'out', 'arag.wasm'));
  copyFileSync(join(dir, 'index.html'), join(dir, 'out', 'index.html'));
  await serveAndOpen(join(dir, 'out'), 'rollup');
});

test('webpack 5 bundle (page and Web Worker): the wasm emitted as an asset, no configuration', async () => {
  assert.ok(reference, 'the Node consumer ran first');
  const dir = installConsumer(join(CONSUMERS, 'common'), 'webpack');
  const { default: webpack } = await import(pathToFileURL(join(ROOT, 'node_modules', 'webpack', 'lib', 'index.js')).href);
  const stats = await new Promise((resolve, reject) =>
    webpack({ mode: 'production', context: dir, entry: './main.js', output: { path: join(dir, 'out') } }, (err, s) => (err ? reject(err) : resolve(s)))
  );
  const info = stats.toJson({ all: false, errors: true, warnings: true });
  assert.deepEqual(info.errors, [], 'webpack errors');
  assert.deepEqual(info.warnings.filter((w) => !/size limit|performance/i.test(w.message)), [], 'webpack warnings');
  const wasm = wasmFiles(join(dir, 'out'));
  assert.ok(wasm.length >= 1, 'webpack emitted the wasm file');
  writeFileSync(join(dir, 'out', 'index.html'), readFileSync(join(dir, 'index.html'), 'utf8').replace('type="module" src="./main.js"', 'src="./main.js"'));
  await serveAndOpen(join(dir, 'out'), 'webpack');
});

test('Vite: vite build served and opened (page and Web Worker), and vite dev, no configuration', async () => {
  assert.ok(reference, 'the Node consumer ran first');
  const dir = installConsumer(join(CONSUMERS, 'vite'));
  addCommon(dir);
  const vite = await import(pathToFileURL(join(ROOT, 'node_modules', 'vite', 'dist', 'node', 'index.js')).href);
  await vite.build({ root: dir, logLevel: 'silent', build: { outDir: join(dir, 'out') } });
  const wasm = wasmFiles(join(dir, 'out'));
  assert.ok(wasm.length >= 1 && wasm.every((f) => /^assets\/arag-.+\.wasm$/.test(f)), `vite build emitted ${wasm.join(', ')}`);
  const preview = await vite.preview({ root: dir, logLevel: 'silent', build: { outDir: join(dir, 'out') }, preview: { host: '127.0.0.1', port: 0, strictPort: false } });
  stops.push(() => preview.close());
  await openPage(preview.resolvedUrls.local[0], 'vite build + preview');

  const server = await vite.createServer({ root: dir, logLevel: 'silent', server: { host: '127.0.0.1', port: 0 } });
  stops.push(() => server.close());
  await server.listen();
  await openPage(server.resolvedUrls.local[0], 'vite dev');
});

test('Cloudflare Worker from the tarball: wrangler deploy --dry-run without warnings, wrangler dev --local answers POST /recommend', async () => {
  assert.ok(reference, 'the Node consumer ran first');
  const dir = installConsumer(join(CONSUMERS, 'worker'));
  copyFileSync(join(CONSUMERS, 'common', 'recommend.js'), join(dir, 'src', 'recommend.js'));
  const env = { WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', XDG_CONFIG_HOME: join(dir, '.config') };
  const dry = sh(bin('wrangler'), ['deploy', '--dry-run', '--outdir', 'out'], { cwd: dir, env });
  assert.doesNotMatch(dry.out, /WARNING|\[warn/i, `wrangler deploy --dry-run warned:\n${dry.out}`);
  const wasm = wasmFiles(join(dir, 'out'));
  assert.equal(wasm.length, 1, `one wasm module in the upload: ${wasm.join(', ')}`);
  assert.equal(statSync(join(dir, 'out', wasm[0])).size, statSync(join(dir, 'node_modules', 'arag', 'dist', 'arag.wasm')).size);

  const dev = await wranglerDev(dir);
  stops.push(dev.stop);
  const res = await fetch(`${dev.url}/recommend`, { method: 'POST' });
  const body = await res.text();
  assert.equal(res.status, 200, body);
  const r = JSON.parse(body);
  checkRecommendation(r, 'wrangler dev');
  assert.deepEqual(r, reference, 'wrangler dev: the same recommendation as Node');
  assert.equal((await fetch(`${dev.url}/recommend`)).status, 404);
});
