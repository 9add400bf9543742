// The demo's static server and sample catalog, without a browser: headers, routes,
// the sample catalog by default, a data set with --data, the catalog snapshot the page's
// worker restores, and errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { get } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../web/demo/serve.mjs';
import { makeCatalog } from '../web/demo/make-catalog.mjs';
import { sampleDataSet } from './helpers/data.mjs';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const DATA = sampleDataSet();
const run = promisify(execFile);

test('the committed sample catalog is what make-catalog.mjs writes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'arag-catalog-'));
  try {
    const out = join(dir, 'catalog.json');
    await run(process.execPath, [join(ROOT, 'web/demo/make-catalog.mjs'), '--out', out]);
    assert.equal(readFileSync(out, 'utf8'), readFileSync(join(ROOT, 'web/demo/catalog.json'), 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sample catalog: a few hundred products, several categories, brands, text and prices', () => {
  const { items } = makeCatalog();
  assert.deepEqual(makeCatalog(), makeCatalog(), 'deterministic');
  assert.ok(items.length >= 200 && items.length <= 1000, `${items.length} items`);
  assert.equal(new Set(items.map((it) => it.id)).size, items.length, 'unique ids');
  assert.equal(new Set(items.map((it) => it.title)).size, items.length, 'unique titles');
  const cats = new Set(items.map((it) => it.categories[0]));
  assert.ok(cats.size >= 6, `${cats.size} categories`);
  for (const it of items) {
    assert.ok(it.brand && it.title.startsWith(it.brand), it.title);
    assert.ok(it.text.length > 20 && it.text.length < 300, it.text);
    assert.ok(Number.isFinite(it.price) && it.price > 0, `${it.id} price`);
  }
  const other = makeCatalog({ seed: 7 });
  assert.notDeepEqual(other.items.map((it) => it.title), items.map((it) => it.title), 'the seed matters');
});

async function withServer(opts, fn) {
  const s = await startServer({ port: 0, ...opts });
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}

test('serves the page with security headers, the module files, and nothing else', async () => {
  await withServer({ edgeOrigin: 'https://edge.example' }, async (s) => {
    const res = await fetch(s.url);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /text\/html/);
    const csp = res.headers.get('content-security-policy');
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
    assert.match(csp, /connect-src 'self' https:\/\/edge\.example(;|$)/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    // Cross-origin isolated (the shelf's shared memory), and still able to check the edge worker.
    assert.equal(res.headers.get('cross-origin-opener-policy'), 'same-origin');
    assert.equal(res.headers.get('cross-origin-embedder-policy'), 'credentialless');
    for (const f of ['app.mjs', 'worker.mjs', 'pictures.mjs', 'money.mjs', 'shelf-channel.mjs', 'styles.css']) {
      const r = await fetch(new URL(f, s.url));
      assert.equal(r.status, 200, f);
      assert.equal(r.headers.get('cross-origin-embedder-policy'), 'credentialless', f);
    }
    const html = await res.text();
    assert.doesNotMatch(html, /<script>|<style>|style="|(src|href)="(https?:)?\/\//, 'no inline code or external resources');
    const wasm = await fetch(new URL('dist/arag.wasm', s.url));
    assert.equal(wasm.status, 200);
    assert.equal(wasm.headers.get('content-type'), 'application/wasm');
    for (const path of ['dist/../Makefile', 'web/demo/serve.mjs', 'serve.mjs', 'make-catalog.mjs', 'dist/index.d.ts', '%2e%2e/Makefile', 'catalog.jsonx']) {
      const r = await fetch(new URL(path, s.url));
      assert.equal(r.status, 404, path);
    }
    const post = await fetch(s.url, { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    const cfg = await (await fetch(new URL('config.json', s.url))).json();
    assert.deepEqual(cfg, { source: 'sample', items: makeCatalog().items.length, edgeOrigin: 'https://edge.example' });
  });
});

// GET without fetch's content decoding: the status, headers and the bytes as sent.
function rawGet(url, headers = {}) {
  return new Promise((ok, fail) => {
    get(url, { headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', fail);
  });
}

test('catalog.snap: the int8 snapshot of catalog.json\'s items, gzipped for a client that takes it', async () => {
  const { createArag } = await import('../dist/index.mjs');
  await withServer({ data: DATA }, async (s) => {
    const json = await rawGet(new URL('catalog.json', s.url));
    const plain = await rawGet(new URL('catalog.snap', s.url));
    const zipped = await rawGet(new URL('catalog.snap', s.url), { 'accept-encoding': 'br, gzip' });
    assert.equal(plain.status, 200);
    assert.equal(plain.headers['content-type'], 'application/octet-stream');
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.equal(zipped.headers.vary, 'Accept-Encoding');
    assert.deepEqual(gunzipSync(zipped.body), plain.body);
    assert.ok(zipped.body.length < plain.body.length / 2, `${zipped.body.length} of ${plain.body.length} bytes`);
    const items = JSON.parse(json.body).items;
    const cat = (await createArag()).createCatalog({ snapshot: plain.body });
    assert.equal(cat.count, items.length);
    assert.equal(cat.index.dim, 512);
    assert.ok(plain.body.length < items.length * 1024, 'int8 rows: about 516 bytes an item and its text');
    for (const it of items) assert.deepEqual(cat.get(it.id), it);
    cat.free();
  });
});

test('--data serves a data set in the common format instead of the sample', async () => {
  await withServer({ data: DATA }, async (s) => {
    const cat = await (await fetch(new URL('catalog.json', s.url))).json();
    const lines = readFileSync(join(DATA, 'items.jsonl'), 'utf8').split('\n').filter((l) => l.trim());
    assert.equal(cat.source, 'sample-shop');
    assert.equal(cat.items.length, lines.length);
    assert.deepEqual(cat.items[0], JSON.parse(lines[0]));
  });
});

test('a broken data set fails at start-up with the file and line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'arag-data-'));
  try {
    writeFileSync(join(dir, 'items.jsonl'), '{"id":"a","title":"ok"}\n{"id": broken\n');
    await assert.rejects(startServer({ port: 0, data: dir }), /items\.jsonl:2:/);
    writeFileSync(join(dir, 'items.jsonl'), '{"id":"a"}\n');
    await assert.rejects(startServer({ port: 0, data: dir }), /needs string "id" and "title"/);
    await assert.rejects(startServer({ port: 0, data: join(dir, 'nope') }), /no items\.jsonl/);
    await assert.rejects(startServer({ port: 0, edgeOrigin: 'javascript:alert(1)' }), /edge origin must be http/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serving the demo needs no npm package: serve.mjs imports only Node modules and web/demo files', () => {
  const seen = new Set();
  const walk = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const src = readFileSync(file, 'utf8');
    for (const [, spec] of src.matchAll(/^\s*import\s[^'"]*['"]([^'"]+)['"]/gm)) {
      if (spec.startsWith('node:')) continue;
      assert.ok(spec.startsWith('./'), `${file} imports ${spec}`);
      walk(resolve(dirname(file), spec));
    }
  };
  walk(join(ROOT, 'web/demo/serve.mjs'));
  assert.ok(seen.size >= 2);
  for (const f of seen) assert.ok(f.startsWith(join(ROOT, 'web/demo/')), f);
  // ... and make demo sets up with the demo profile, which runs no npm install.
  const make = readFileSync(join(ROOT, 'Makefile'), 'utf8');
  assert.match(make, /^demo: SETUP_PROFILE = demo$/m);
  const setup = readFileSync(join(ROOT, 'scripts/setup.sh'), 'utf8');
  assert.match(setup, /if \[ "\$profile" = all \] && \{ \[ ! -d node_modules \]/);
});
