// Load errors a user meets when the module file is not where the package looks for it: a
// dev server's index.html for the .wasm, a 404, no server, a runtime that gives modules
// no URL (workerd). Each names the address, what came back and what to pass instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { ROOT, DIST, requireFile } from './helpers/common.mjs';

requireFile(join(DIST, 'index.mjs'), 'run `make wasm` first');
const { createArag, createRecommender, AragError } = await import('../dist/index.mjs');

const HINT = /Pass the module as \{ wasm \}.*copy node_modules\/arag\/dist\/arag\.wasm.*import wasm from 'arag\/arag\.wasm'/;

async function serve(handler) {
  const server = createServer(handler);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail('expected a rejection');
}

test('an HTML page where the wasm should be: the URL, status, content type and first bytes, and what to pass', async () => {
  const s = await serve((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><html><body>app</body></html>');
  });
  try {
    const e = await rejection(createRecommender({ wasm: `${s.url}/assets/arag.wasm` }));
    assert.ok(e instanceof AragError, String(e));
    assert.equal(e.code, 'ARAG_E_INVALID');
    assert.ok(e.message.includes(`${s.url}/assets/arag.wasm is not a WebAssembly module`), e.message);
    assert.match(e.message, /HTTP 200, content-type text\/html, 44 bytes starting with "<!doctype html><html><body>app" \(3c 21 64 6f\)/);
    assert.match(e.message, HINT);
  } finally {
    await s.close();
  }
});

test('a 404 and a server that is not there name the address; the WASI kind names its own file', async () => {
  const s = await serve((req, res) => {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });
  try {
    const e = await rejection(createArag({ wasm: `${s.url}/arag-wasi.wasm`, kind: 'wasi' }));
    assert.ok(e.message.startsWith(`fetching the wasm module ${s.url}/arag-wasi.wasm failed: HTTP 404, content-type text/plain.`), e.message);
    assert.match(e.message, /copy node_modules\/arag\/dist\/arag-wasi\.wasm/);
  } finally {
    await s.close();
  }
  const gone = await rejection(createArag({ wasm: `${s.url}/arag.wasm` }));
  assert.ok(gone.message.startsWith(`fetching the wasm module ${s.url}/arag.wasm failed: `), gone.message);
  assert.match(gone.message, HINT);
  // Bytes that are not a module still fail as the engine says (no URL to name).
  await assert.rejects(createArag({ wasm: new Uint8Array([0, 97, 115, 109, 9, 9]) }), WebAssembly.CompileError);
});

test('workerd: the plain entry with no wasm says to import the module (the "workerd" entry does that itself)', async () => {
  const mf = new Miniflare({
    modules: true,
    scriptPath: join(ROOT, 'wasm-tests', 'workers', 'no-wasm.mjs'),
    modulesRoot: ROOT,
    modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
    compatibilityDate: '2024-09-23',
  });
  try {
    const body = await (await mf.dispatchFetch('http://worker/')).json();
    assert.equal(body.code, 'ARAG_E_INVALID', JSON.stringify(body));
    assert.match(body.message, /no default address for arag\.wasm: this runtime gives the module no URL/);
    assert.match(body.message, HINT);
  } finally {
    await mf.dispose();
  }
});
