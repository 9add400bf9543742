// The storefront demo end to end in headless Chromium: the module in a Web Worker,
// events, recommendations with reasons, the agent trace, IndexedDB persistence across
// a reload, "forget me", the CSP, keyboard use and a phone-sized viewport.
// Screenshots go to wasm-tests/artifacts/ (git-ignored).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { Miniflare } from 'miniflare';
import { stageWorker, workerModules, COMPAT_DATE, COMPAT_FLAGS } from './helpers/edge-worker.mjs';
import { startOpenAIServer } from './helpers/openai-test-server.mjs';
import { dataSet, needData } from './helpers/data.mjs';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const ARTIFACTS = join(ROOT, 'wasm-tests', 'artifacts');
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const KEY = 'demo-upstream-key-456';
let server;
let baseUrl;
let llm;
// The edge worker's page-token secret, which the demo's server shares to mint the page's token.
const PAGE_TOKEN_SECRET = 'demo-page-token-secret-0123456789abcdef';
let edge;
let edgeUrl;
let edgeDir;
const edgeRequests = [];
const servedOrigins = new Set(); // the demo servers this suite started
let profile;
let context;
let page;
const pageErrors = [];
const consoleErrors = [];
const foreignRequests = [];
let catalogCount = 0;

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

function startServe(port, edgeOrigin, extra = []) {
  return new Promise((ok, fail) => {
    const child = spawn(
      process.execPath,
      [join(ROOT, 'web/demo/serve.mjs'), '--port', String(port), '--edge-origin', edgeOrigin, ...extra],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PAGE_TOKEN_SECRET } }
    );
    let out = '';
    let err = '';
    const timer = setTimeout(() => fail(new Error(`serve.mjs did not start: ${out}${err}`)), 20000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/(http:\/\/127\.0\.0\.1:\d+\/)/);
      if (m) {
        clearTimeout(timer);
        ok({ child, url: m[1] });
      }
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => fail(new Error(`serve.mjs exited ${code}: ${err}`)));
  });
}

const count = () => page.$eval('#history-count', (e) => Number(e.dataset.count));
const recsSeq = () => page.evaluate(() => Number(document.body.dataset.recs || 0));

async function waitSettled(expectHistory) {
  await page.waitForFunction(
    (n) =>
      document.querySelector('#history-count').dataset.count === String(n) &&
      document.querySelector('#recs-panel').getAttribute('aria-busy') === 'false' &&
      (n === 0 || document.querySelectorAll('#recs li').length > 0),
    expectHistory,
    { timeout: 30000 }
  );
}

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  // The edge worker (workerd) in front of an OpenAI-compatible server: the page reaches
  // the model only through it, and only the worker knows the key.
  const demoPort = await freePort();
  llm = await startOpenAIServer();
  // Slow answers, so the progress indicator is seen while calls are in flight.
  llm.setFault(() => ({ delayMs: 150 }));
  edgeDir = mkdtempSync(join(tmpdir(), 'arag-demo-edge-'));
  stageWorker(edgeDir);
  edge = new Miniflare({
    modules: workerModules(edgeDir),
    modulesRoot: edgeDir,
    compatibilityDate: COMPAT_DATE,
    compatibilityFlags: COMPAT_FLAGS,
    host: '127.0.0.1',
    port: 0,
    bindings: {
      ARAG_LLM: 'offline',
      LLM_BASE_URL: llm.baseURL,
      LLM_API_KEY: KEY,
      LLM_MODEL: 'demo-model',
      PAGE_TOKEN_SECRET,
      ALLOWED_ORIGINS: `http://127.0.0.1:${demoPort}`,
    },
    handleRuntimeStdio() {},
  });
  edgeUrl = new URL(await edge.ready).origin;
  server = await startServe(demoPort, edgeUrl);
  baseUrl = server.url;
  servedOrigins.add(baseUrl);
  profile = mkdtempSync(join(tmpdir(), 'arag-demo-profile-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 900 },
  });
  page = context.pages()[0] || (await context.newPage());
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  context.on('request', (r) => {
    if (r.url().startsWith(edgeUrl)) edgeRequests.push({ url: r.url(), method: r.method(), headers: r.headers() });
    else if (![...servedOrigins].some((o) => r.url().startsWith(o)) && !r.url().startsWith('data:')) foreignRequests.push(r.url());
  });
});

after(async () => {
  if (context) await context.close();
  if (server) server.child.kill();
  if (profile) rmSync(profile, { recursive: true, force: true });
  if (edge) await edge.dispose();
  if (llm) await llm.close();
  if (edgeDir) rmSync(edgeDir, { recursive: true, force: true });
});

test('the page loads with a strict CSP, the sample catalog and the module in a worker', async () => {
  const res = await page.goto(baseUrl);
  assert.equal(res.status(), 200);
  const csp = res.headers()['content-security-policy'];
  assert.ok(csp, 'CSP header present');
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'(;|$)/);
  assert.doesNotMatch(csp, /'unsafe-inline'|'unsafe-eval'|\s\*/);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
  const catalog = await (await fetch(new URL('catalog.json', baseUrl))).json();
  assert.equal(catalog.source, 'sample');
  assert.ok(catalog.items.length >= 200, 'a few hundred sample products');
  catalogCount = catalog.items.length;
  assert.equal(await page.textContent('#grid-count'), `(${catalogCount})`);
  assert.ok((await page.$$('#grid .card')).length > 0);
  // Workers: the module runs off the main thread.
  assert.equal(page.workers().length, 1);
  assert.equal(await count(), 0);
});

test('search and category filter narrow the grid', async () => {
  await page.fill('#search', 'serum');
  await page.waitForFunction((n) => document.querySelector('#grid-count').textContent !== `(${n})`, catalogCount);
  const shown = await page.$$eval('#grid .card', (els) => els.map((e) => e.dataset.id));
  assert.ok(shown.length > 0 && shown.length < catalogCount);
  const byId = new Map((await (await fetch(new URL('catalog.json', baseUrl))).json()).items.map((it) => [it.id, it]));
  for (const id of shown) {
    const it = byId.get(id);
    const hay = `${it.title} ${it.brand} ${it.categories.join(' ')}`.toLowerCase();
    assert.ok(hay.includes('serum'), it.title);
  }
  await page.fill('#search', '');
  const options = await page.$$eval('#category option', (els) => els.map((e) => e.value).filter(Boolean));
  assert.ok(options.length >= 4, 'several categories');
  await page.selectOption('#category', options[1]);
  const metas = await page.$$eval('#grid .card .meta', (els) => els.map((e) => e.textContent));
  assert.ok(metas.length > 0);
  for (const m of metas) assert.ok(m.includes(options[1]), m);
  await page.selectOption('#category', '');
});

test('viewing and carting three products updates recommendations (reasons) and the trace (four agents)', async () => {
  const ids = await page.$$eval('#grid .card', (els) => els.slice(0, 3).map((e) => e.dataset.id));
  let seq = await recsSeq();
  let firstSeq = null;
  for (let i = 0; i < 3; i++) {
    await page.click(`#grid .card[data-id="${ids[i]}"] .view`);
    await page.waitForSelector('#product[open]');
    assert.equal(await page.textContent('#product-title'), await page.textContent(`#grid .card[data-id="${ids[i]}"] .view`));
    await page.click('#product-close');
    await page.click(`#grid .card[data-id="${ids[i]}"] button[data-act="cart"]`);
    await waitSettled(2 * (i + 1));
    const s = await recsSeq();
    assert.ok(s > seq, 'the panel re-ranked after the events');
    seq = s;
    if (firstSeq === null) firstSeq = s;
  }
  assert.ok(seq > firstSeq);
  const recs = await page.$$eval('#recs li', (els) =>
    els.map((e) => ({ id: e.dataset.id, reason: e.querySelector('.reason').textContent }))
  );
  assert.ok(recs.length >= 1);
  const catalogIds = new Set((await (await fetch(new URL('catalog.json', baseUrl))).json()).items.map((it) => it.id));
  for (const r of recs) {
    assert.ok(catalogIds.has(r.id), `${r.id} is a catalog item`);
    assert.ok(r.reason.length > 0 && r.reason !== '(no reason given)', `reason for ${r.id}`);
  }
  const agents = await page.$$eval('#timeline .call', (els) => els.map((e) => e.dataset.agent));
  for (const a of ['uua', 'nli', 'csa', 'ira']) assert.ok(agents.includes(a), `trace shows ${a}`);
  const durations = await page.$$eval('#timeline .call .ms', (els) => els.map((e) => e.textContent));
  for (const d of durations) assert.match(d, /\d(\.\d)? ms/);
  assert.notEqual(await page.textContent('#s-user'), '(not available)');
  assert.notEqual(await page.textContent('#s-ctx'), '(not available)');
  const labels = await page.$$eval('#nli tbody tr td:nth-child(3)', (els) => els.map((e) => e.textContent));
  assert.ok(labels.length > 0, 'NLI verdicts shown');
  for (const l of labels) assert.ok(['supports', 'neutral', 'contradicts'].includes(l), l);
  const history = await page.$$eval('#history li', (els) => els.map((e) => `${e.dataset.kind}:${e.dataset.id}`));
  assert.deepEqual(history, [...ids].reverse().flatMap((id) => [`cart:${id}`, `view:${id}`]));
  await page.screenshot({ path: join(ARTIFACTS, 'demo-desktop.png'), fullPage: true });
});

test('the history survives a reload (IndexedDB snapshot)', async () => {
  const before = await page.$$eval('#history li', (els) => els.map((e) => e.dataset.id));
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
  await waitSettled(6);
  const afterIds = await page.$$eval('#history li', (els) => els.map((e) => e.dataset.id));
  assert.deepEqual(afterIds, before);
  assert.ok((await page.$$('#recs li')).length > 0, 'recommendations are back after the reload');
});

test('keyboard: tab to a product, open it with Enter, buy, close with Escape', async () => {
  await page.focus('#search');
  // Search, category, then the first product's title button... walk with Tab until a product opens.
  let opened = false;
  for (let i = 0; i < 12 && !opened; i++) {
    await page.keyboard.press('Tab');
    const isView = await page.evaluate(() => document.activeElement && document.activeElement.classList.contains('view'));
    if (isView) {
      await page.keyboard.press('Enter');
      opened = Boolean(await page.$('#product[open]'));
    }
  }
  assert.ok(opened, 'a product opened from the keyboard');
  await page.focus('#product-buy');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !document.querySelector('#product[open]'));
  await waitSettled(8);
  const kinds = await page.$$eval('#history li', (els) => els.slice(0, 2).map((e) => e.dataset.kind));
  assert.deepEqual(kinds, ['purchase', 'view']);
  // Every control has an accessible name.
  const unlabeled = await page.$$eval('input, select', (els) =>
    els.filter((e) => e.type !== 'radio' && e.labels.length === 0 && !e.getAttribute('aria-label')).map((e) => e.id || e.name)
  );
  assert.deepEqual(unlabeled, []);
  const nameless = await page.$$eval('button', (els) =>
    els.filter((e) => !(e.textContent.trim() || e.getAttribute('aria-label'))).length
  );
  assert.equal(nameless, 0);
});

test('phone-sized viewport: no horizontal scrolling', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `page is ${overflow}px wider than the viewport`);
  await page.screenshot({ path: join(ARTIFACTS, 'demo-phone.png'), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });
});

test('settings: an OpenAI-compatible model through the edge worker, no key in the page', async () => {
  assert.deepEqual(edgeRequests, [], 'the offline reasoner made no network request');
  await page.click('#settings-open');
  await page.waitForSelector('#settings[open]');
  assert.equal(await page.inputValue('#edge-url'), edgeUrl, 'the edge address comes from the server');
  await page.check('input[name="backend"][value="openai"]');
  await page.fill('#model', 'demo-model');
  await page.click('#settings-save');
  await page.waitForSelector('#progress:not([hidden])', { timeout: 10000 });
  await page.waitForFunction(
    () =>
      document.querySelector('#recs-panel').getAttribute('aria-busy') === 'false' &&
      [...document.querySelectorAll('#recs .reason')].some((e) => /^server rank \d+$/.test(e.textContent)),
    null,
    { timeout: 30000 }
  );
  const reasons = await page.$$eval('#recs .reason', (els) => els.map((e) => e.textContent));
  reasons.forEach((r, i) => assert.equal(r, `server rank ${i + 1}`));
  assert.match(await page.textContent('#s-user'), /^server summary of \d+ events/);
  assert.match(await page.textContent('#s-ctx'), /^server context of \d+ accepted items/);
  const chat = llm.chat();
  const agents = new Set(chat.map((r) => r.agent));
  for (const a of ['uua', 'nli', 'csa', 'ira']) assert.ok(agents.has(a), `${a} reached the model`);
  for (const r of chat) assert.equal(r.headers.authorization, `Bearer ${KEY}`, 'the edge worker added the key');
  const posts = edgeRequests.filter((r) => r.method === 'POST');
  assert.ok(posts.length >= 4);
  for (const r of edgeRequests) {
    assert.equal(r.url, `${edgeUrl}/v1/chat/completions`);
    if (r.method === 'POST') assert.match(r.headers.authorization, /^Bearer apt1\./, 'the page sends its page token from the demo server');
    assert.ok(!JSON.stringify(r.headers).includes(KEY), 'the page holds no key');
  }
  const timeline = await page.$$eval('#timeline .call', (els) => els.map((e) => e.dataset.agent));
  for (const a of ['uua', 'nli', 'csa', 'ira']) assert.ok(timeline.includes(a));
  assert.match(await page.textContent('#trace-meta'), /demo-model via the edge worker/);
  await page.screenshot({ path: join(ARTIFACTS, 'demo-llm.png') });
  // A failing agent degrades the run; the page says so and the trace lists it.
  llm.setFault(({ agent }) => (agent === 'csa' ? { status: 400 } : { delayMs: 150 }));
  const before = await recsSeq();
  const n = await count();
  await page.click('#grid .card:nth-child(5) button[data-act="cart"]');
  await waitSettled(n + 1);
  await page.waitForFunction((s) => Number(document.body.dataset.recs) > s, before);
  llm.setFault(() => ({ delayMs: 150 }));
  const degraded = await page.$$eval('#degraded li', (els) => els.map((e) => e.textContent));
  assert.ok(degraded.length > 0 && degraded[0] !== 'None.', `degradations listed: ${degraded}`);
  assert.ok(degraded.some((d) => /csa/i.test(d)), degraded.join(' | '));
  assert.match(await page.textContent('#status'), /degraded/);
  assert.ok((await page.$$('#recs li')).length > 0, 'still recommends');
  // Back to the offline reasoner for the rest of the suite.
  await page.click('#settings-open');
  await page.check('input[name="backend"][value="offline"]');
  await page.click('#settings-save');
  await page.waitForFunction(
    () =>
      document.querySelector('#recs-panel').getAttribute('aria-busy') === 'false' &&
      [...document.querySelectorAll('#recs .reason')].every((e) => !/^server rank/.test(e.textContent)),
    null,
    { timeout: 30000 }
  );
});

test('"forget me" empties the history, also after a reload', async () => {
  await page.click('#forget');
  await waitSettled(0);
  assert.equal((await page.$$('#history li')).length, 0);
  assert.equal((await page.$$('#recs li')).length, 0);
  // The trace quoted the history: it is cleared too.
  assert.equal((await page.$$('#timeline .call')).length, 0);
  assert.equal((await page.$$('#nli tbody tr')).length, 0);
  assert.equal(await page.textContent('#s-user'), '–');
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
  await page.waitForFunction(() => /View, add to cart/.test(document.querySelector('#status').textContent));
  assert.equal(await count(), 0);
});

test('--data: the amazon-beauty data set in the same page', needData('amazon-beauty'), async () => {
  const data = await startServe(0, edgeUrl, ['--data', dataSet('amazon-beauty')]);
  servedOrigins.add(data.url);
  const p = await context.newPage();
  const errors = [];
  p.on('pageerror', (e) => errors.push(e.message));
  try {
    await p.goto(data.url);
    await p.waitForSelector('body[data-ready="true"]', { timeout: 60000 });
    const cat = await (await fetch(new URL('catalog.json', data.url))).json();
    assert.equal(cat.source, 'amazon-beauty');
    assert.equal(await p.textContent('#grid-count'), `(${cat.items.length})`);
    assert.match(await p.textContent('#catalog-info'), /data set amazon-beauty/);
    // The category filter uses the first level with several values ("Beauty" is the root).
    const options = await p.$$eval('#category option', (els) => els.map((e) => e.value).filter(Boolean));
    assert.ok(options.includes('Makeup') && !options.includes('Beauty'), options.join(', '));
    await p.fill('#search', 'shampoo');
    const first = await p.$eval('#grid .card', (e) => e.dataset.id);
    await p.click(`#grid .card[data-id="${first}"] button[data-act="purchase"]`);
    await p.waitForFunction(() => document.querySelectorAll('#recs li').length > 0, null, { timeout: 30000 });
    const ids = await p.$$eval('#recs li', (els) => els.map((e) => e.dataset.id));
    const known = new Set(cat.items.map((it) => it.id));
    for (const id of ids) assert.ok(known.has(id), id);
    assert.ok(!ids.includes(first), 'the purchased item is not recommended back');
    assert.deepEqual(errors, []);
  } finally {
    await p.close();
    data.child.kill();
  }
});

test('no page errors, no CSP violations, no request leaves the origin', () => {
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(consoleErrors.filter((m) => /Content Security Policy|Refused/.test(m)), []);
  assert.deepEqual(consoleErrors, []);
  assert.deepEqual(foreignRequests, []);
});
