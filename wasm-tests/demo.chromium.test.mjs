// The storefront demo end to end in headless Chromium: the module in a Web Worker,
// events, recommendations with reasons, the agent trace, IndexedDB persistence across
// a reload, "forget me", the CSP, keyboard use and a phone-sized viewport.
// Screenshots go to wasm-tests/artifacts/ (git-ignored).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const ARTIFACTS = join(ROOT, 'wasm-tests', 'artifacts');
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let server;
let baseUrl;
let profile;
let context;
let page;
const pageErrors = [];
const consoleErrors = [];
const foreignRequests = [];
let catalogCount = 0;

function startServe() {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [join(ROOT, 'web/demo/serve.mjs'), '--port', '0'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
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
  server = await startServe();
  baseUrl = server.url;
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
    if (!r.url().startsWith(baseUrl) && !r.url().startsWith('data:')) foreignRequests.push(r.url());
  });
});

after(async () => {
  if (context) await context.close();
  if (server) server.child.kill();
  if (profile) rmSync(profile, { recursive: true, force: true });
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

test('"forget me" empties the history, also after a reload', async () => {
  await page.click('#forget');
  await waitSettled(0);
  assert.equal((await page.$$('#history li')).length, 0);
  assert.equal((await page.$$('#recs li')).length, 0);
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
  await page.waitForFunction(() => /View, add to cart/.test(document.querySelector('#status').textContent));
  assert.equal(await count(), 0);
});

test('no page errors, no CSP violations, no request leaves the origin', () => {
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(consoleErrors.filter((m) => /Content Security Policy|Refused/.test(m)), []);
  assert.deepEqual(consoleErrors, []);
  assert.deepEqual(foreignRequests, []);
});
