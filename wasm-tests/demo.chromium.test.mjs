// The storefront demo as a shopper uses it, in headless Chromium: the module in a Web
// Worker, product pictures, the cart (count, drawer, remove), checkout and buy-now with a
// confirmation, the shelf's plain-words reasons, a trace a newcomer can read, IndexedDB
// persistence across a reload, "forget me" behind a confirmation, keyboard use (skip link,
// focus after dialogs), a phone-sized screen, the model setting through the edge worker and
// without one. Every run takes its screenshots into build/screenshots/ (desktop and phone
// among them). The two the documentation shows (docs/images/demo-desktop.png in README.md,
// demo-phone.png in docs/demo.md) each have a JSON of what they show next to them: the
// products, words and colours on screen and the boxes of the page's parts, as the page
// reported them when the picture was taken, and the picture's hash. Each run compares what
// the demo shows now with that JSON and fails when they differ (make screenshots takes both
// again: ARAG_SCREENSHOTS=docs). Not the pixels: fonts and antialiasing differ between
// machines and Chromium versions while the shop on screen is the same.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { Miniflare } from 'miniflare';
import { stageWorker, workerModules, COMPAT_DATE, COMPAT_FLAGS } from './helpers/edge-worker.mjs';
import { startOpenAIServer } from './helpers/openai-test-server.mjs';
import { dataSet, needData } from './helpers/data.mjs';
import { kindOf } from '../web/demo/pictures.mjs';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const ARTIFACTS = join(ROOT, 'build', 'screenshots');
const DOCS_IMAGES = join(ROOT, 'docs', 'images');
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const KEY = 'demo-upstream-key-456';
// The edge worker's page-token secret, which the demo's server shares to mint the page's token.
const PAGE_TOKEN_SECRET = 'demo-page-token-secret-0123456789abcdef';
let server;
let baseUrl;
let llm;
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
const servedRequests = []; // paths asked of the demo servers (page and worker)
let catalog;
let byId;

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
const cartCount = () => page.$eval('#cart-count', (e) => Number(e.textContent));
const recsSeq = () => page.evaluate(() => Number(document.body.dataset.recs || 0));
const shelf = () => page.$$eval('#recs li.rec[data-id]', (els) => els.map((e) => ({ id: e.dataset.id, reason: e.querySelector('.reason').textContent })));

// Settled: the history holds n events, the shelf and its trace are drawn, nothing is busy.
async function waitSettled(n) {
  await page.waitForFunction(
    (k) =>
      document.querySelector('#history-count').dataset.count === String(k) &&
      document.querySelector('#recs-panel').getAttribute('aria-busy') === 'false' &&
      (k === 0 || (document.querySelectorAll('#recs li.rec[data-id]').length > 0 && document.body.dataset.trace === document.body.dataset.recs)),
    n,
    { timeout: 30000 }
  );
}

// The trace is drawn when it comes into view: scroll to it and wait for the latest.
async function traceDrawn() {
  await page.$eval('.trace', (e) => e.scrollIntoView());
  await page.waitForFunction(() => document.body.dataset.traceDrawn === document.body.dataset.recs, null, { timeout: 30000 });
}

// What a screenshot shows, as the page reports it: the viewport; the header's, the shelf's
// and the status's words; the shelf's products (rank, title, reason, brand and price); the
// grid's products whose card starts in the top three quarters of the viewport; the boxes of
// the page's parts on screen; the colours of the parts a shopper sees first. Times in a text ("4.2
// ms") and the cart buttons' passing "Added" are left out: they change from run to run.
function screenState() {
  const text = (e) => (e ? e.textContent.replace(/\s+/g, ' ').replace(/\d+(\.\d+)? ms\b/g, 'N ms').trim() : null);
  // A part's box within the viewport (what of it the picture shows), or null.
  const box = (e) => {
    if (!e || !e.checkVisibility()) return null;
    const r = e.getBoundingClientRect();
    const top = Math.max(0, r.top);
    const bottom = Math.min(window.innerHeight, r.bottom);
    return bottom <= top ? null : [r.left, top, r.width, bottom - top].map(Math.round);
  };
  const style = (e) => {
    if (!e) return null;
    const c = getComputedStyle(e);
    return { background: c.backgroundColor, color: c.color };
  };
  const $ = (q) => document.querySelector(q);
  const vh = window.innerHeight;
  return {
    viewport: [window.innerWidth, vh],
    header: text($('.top')),
    notice: $('#notice').hidden ? null : text($('#notice')),
    status: text($('#status')),
    cart: text($('#cart-count')),
    shelf: [...document.querySelectorAll('#recs li.rec[data-id]')].map((li) => ({
      id: li.dataset.id,
      rank: text(li.querySelector('.rank')),
      title: text(li.querySelector('.view')),
      reason: text(li.querySelector('.reason')),
      meta: text(li.querySelector('.meta')),
      kind: li.querySelector('svg.picture').dataset.kind,
    })),
    grid: [...document.querySelectorAll('#grid .card')]
      .filter((c) => { const r = c.getBoundingClientRect(); return r.top >= 0 && r.top < 0.75 * vh; })
      .map((c) => ({ id: c.dataset.id, title: text(c.querySelector('h3')), meta: text(c.querySelector('.meta')), price: text(c.querySelector('.price')) })),
    boxes: {
      header: box($('.top')),
      shelf: box($('#recs-panel')),
      grid: box($('.catalog')),
      trace: box($('.trace')),
      history: box($('.history')),
      firstShelfRow: box($('#recs li.rec')),
      firstCard: box($('#grid .card')),
    },
    colours: {
      page: style(document.body),
      header: style($('.top')),
      shelf: style($('#recs-panel')),
      card: style($('#grid .card')),
      buy: style($('#grid .card button.primary')),
      cart: style($('#cart-open')),
    },
  };
}

// Boxes may move by BOX_SLACK px (fonts of another machine); everything else must be equal.
const BOX_SLACK = 24;
function stateDifferences(was, now) {
  const out = [];
  for (const key of Object.keys({ ...was, ...now })) {
    if (key === 'png_sha256') continue;
    if (key === 'boxes') {
      for (const part of Object.keys({ ...was.boxes, ...now.boxes })) {
        const a = was.boxes[part];
        const b = now.boxes[part];
        if (!a || !b ? a !== b : a.some((v, i) => Math.abs(v - b[i]) > BOX_SLACK)) out.push(`box of ${part}: ${JSON.stringify(a)} then, ${JSON.stringify(b)} now`);
      }
    } else if (JSON.stringify(was[key]) !== JSON.stringify(now[key])) {
      out.push(`${key}: ${JSON.stringify(was[key])} then, ${JSON.stringify(now[key])} now`);
    }
  }
  return out;
}

// A screenshot into build/screenshots/; with docs, it is one the documentation shows.
async function shot(name, { docs = false, fullPage = false } = {}) {
  const file = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  if (!docs) return;
  const now = await page.evaluate(screenState);
  writeFileSync(join(ARTIFACTS, `${name}.json`), `${JSON.stringify(now, null, 1)}\n`);
  const png = join(DOCS_IMAGES, `${name}.png`);
  const json = join(DOCS_IMAGES, `${name}.json`);
  if (process.env.ARAG_SCREENSHOTS === 'docs') {
    mkdirSync(DOCS_IMAGES, { recursive: true });
    copyFileSync(file, png);
    now.png_sha256 = createHash('sha256').update(readFileSync(png)).digest('hex');
    writeFileSync(json, `${JSON.stringify(now, null, 1)}\n`);
    return;
  }
  assert.ok(existsSync(png) && existsSync(json), `docs/images/${name}.png and .json are missing: make screenshots`);
  const was = JSON.parse(readFileSync(json, 'utf8'));
  assert.equal(createHash('sha256').update(readFileSync(png)).digest('hex'), was.png_sha256, `docs/images/${name}.png is not the picture docs/images/${name}.json describes: make screenshots`);
  const diff = stateDifferences(was, now);
  assert.deepEqual(diff, [], `docs/images/${name}.png no longer shows what the demo shows (make screenshots takes it again; this run's picture: build/screenshots/${name}.png):\n${diff.join('\n')}`);
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
  catalog = await (await fetch(new URL('catalog.json', baseUrl))).json();
  byId = new Map(catalog.items.map((it) => [it.id, it]));
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
    else if (!r.url().startsWith('data:')) servedRequests.push(new URL(r.url()).pathname);
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

test('the shop loads: strict CSP, cross-origin isolated, the module in a worker, a picture per product, an explained empty shelf and trace', async () => {
  const res = await page.goto(baseUrl);
  assert.equal(res.status(), 200);
  const h = res.headers();
  assert.match(h['content-security-policy'], /default-src 'none'/);
  assert.match(h['content-security-policy'], /script-src 'self' 'wasm-unsafe-eval'(;|$)/);
  assert.doesNotMatch(h['content-security-policy'], /'unsafe-inline'|'unsafe-eval'|\s\*/);
  assert.equal(h['cross-origin-embedder-policy'], 'credentialless');
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
  assert.equal(await page.evaluate(() => self.crossOriginIsolated), true, 'shared memory for the shelf is available');
  assert.equal(catalog.source, 'sample');
  assert.equal(await page.textContent('#grid-count'), `(${catalog.items.length})`);
  assert.equal(page.workers().length, 1);
  // The worker restores the catalog snapshot; only the page asks for catalog.json (its grid).
  assert.deepEqual(servedRequests.filter((p) => p.startsWith('/catalog.')).sort(), ['/catalog.json', '/catalog.snap']);
  assert.equal(await count(), 0);
  assert.equal(await cartCount(), 0);
  // Every card has its own picture, drawn by the page: an inline SVG, no image file.
  const pics = await page.$$eval('#grid .card', (els) => els.map((e) => {
    const svg = e.querySelector('svg.picture');
    return svg && { kind: svg.dataset.kind, shapes: svg.querySelectorAll('rect, circle, path:not([d=""])').length, html: svg.outerHTML };
  }));
  assert.ok(pics.length >= 12 && pics.every((p) => p && p.shapes >= 4), 'a picture per card');
  assert.ok(new Set(pics.map((p) => p.kind)).size >= 6, 'products of different kinds look different');
  assert.ok(new Set(pics.map((p) => p.html)).size === pics.length, 'no two products draw the same picture');
  // A picture on the page that shows another product (a shelf row's, when its product
  // changes) is then the same as that product's own picture, whatever it showed before:
  // every pair of kinds, with and without a label band, and from the blank one.
  const redrawn = await page.evaluate(async (items) => {
    const { blankPicture, drawPicture, productPicture } = await import('./pictures.mjs');
    const bad = [];
    for (const a of [null, ...items]) {
      for (const b of items) {
        const svg = a ? productPicture(a) : blankPicture();
        drawPicture(svg, b);
        if (svg.outerHTML !== productPicture(b).outerHTML) bad.push(`${a ? a.id : 'blank'} -> ${b.id}`);
      }
    }
    return { bad, kinds: new Set(items.map((it) => productPicture(it).dataset.kind)).size };
  }, [...new Map(catalog.items.map((it) => [kindOf(it.title), it])).values()]);
  assert.deepEqual(redrawn.bad, []);
  assert.ok(redrawn.kinds >= 12, `${redrawn.kinds} kinds redrawn`);
  assert.equal(await page.$$eval('img', (els) => els.length), 0);
  // Before any event: the shelf keeps its place and says what will appear; the trace too.
  assert.match(await page.textContent('#status'), /View, add to the cart or buy a product: recommendations appear here/);
  assert.ok((await page.$$('#recs li.skeleton')).length > 0);
  assert.ok(await page.isVisible('#trace-empty'));
  assert.match(await page.textContent('#trace-empty'), /each agent's call .* NLI's verdict on every candidate/);
  assert.equal(await page.isVisible('#nli'), false, 'no bare table header');
});

test('search and category filter narrow the grid', async () => {
  await page.fill('#search', 'serum');
  await page.waitForFunction((n) => document.querySelector('#grid-count').textContent !== `(${n})`, catalog.items.length);
  const shown = await page.$$eval('#grid .card', (els) => els.map((e) => e.dataset.id));
  assert.ok(shown.length > 0 && shown.length < catalog.items.length);
  for (const id of shown) {
    const it = byId.get(id);
    assert.ok(`${it.title} ${it.brand} ${it.categories.join(' ')}`.toLowerCase().includes('serum'), it.title);
  }
  await page.fill('#search', '');
  const options = await page.$$eval('#category option', (els) => els.map((e) => e.value).filter(Boolean));
  assert.ok(options.length >= 4);
  await page.selectOption('#category', options[1]);
  const metas = await page.$$eval('#grid .card .meta', (els) => els.map((e) => e.textContent));
  assert.ok(metas.length > 0 && metas.every((m) => m.includes(options[1])));
  await page.selectOption('#category', '');
});

let carted = [];
// Each shelf row's parts apart and inside the row: the title, the reason, the price under
// each other, none drawn over the next, the picture and the price within the row's box.
async function assertShelfRowsLaidOut(where) {
  const rows = await page.$$eval('#recs > .rec:not(.skeleton)', (els) =>
    els.map((li) => {
      const box = (s) => li.querySelector(s).getBoundingClientRect();
      const row = li.getBoundingClientRect();
      const [title, reason, meta, pic] = ['.link', '.reason', '.meta', '.picture'].map(box);
      return { id: li.dataset.id, gaps: [reason.top - title.bottom, meta.top - reason.bottom], outside: [meta.bottom - row.bottom, pic.bottom - row.bottom] };
    })
  );
  assert.ok(rows.length >= 3, where);
  for (const r of rows) {
    assert.ok(r.gaps.every((g) => g >= -1), `${where}: ${r.id}'s lines overlap by ${r.gaps.map((g) => -g)} px`);
    assert.ok(r.outside.every((o) => o <= 1), `${where}: ${r.id}'s price or picture leaves its row by ${r.outside} px`);
  }
}

test('adding to the cart: the count in the header, the button says so, the shelf re-ranks with plain-words reasons', async () => {
  const ids = await page.$$eval('#grid .card', (els) => els.slice(0, 3).map((e) => e.dataset.id));
  let seq = await recsSeq();
  const cartButton = (id) => `#grid .card[data-id="${id}"] button[data-act="cart"]`;
  // The words a shopper sees (innerText) are there once the card is rendered: a card just
  // put back by the filter above is skipped (content-visibility) until the next frame.
  await page.waitForFunction((sel) => document.querySelector(sel).checkVisibility({ contentVisibilityAuto: true }), cartButton(ids[0]));
  assert.equal(await page.innerText(cartButton(ids[0])), 'Add to cart');
  // A new shelf changes what its rows say and show (texts, the pictures' attributes): it
  // adds and removes no element, the first one included, which fills the placeholder rows.
  await page.evaluate(() => {
    window.shelfElementsChanged = [];
    new MutationObserver((records) => {
      for (const r of records) for (const n of [...r.addedNodes, ...r.removedNodes]) if (n.nodeType === Node.ELEMENT_NODE) window.shelfElementsChanged.push(n.outerHTML.slice(0, 60));
    }).observe(document.querySelector('#recs'), { childList: true, subtree: true });
  });
  for (let i = 0; i < 3; i++) {
    await page.click(cartButton(ids[i]));
    await waitSettled(i + 1);
    assert.equal(await cartCount(), i + 1, 'the header counts the cart');
    const s = await recsSeq();
    assert.ok(s > seq, 'the shelf re-ranked');
    seq = s;
  }
  carted = ids;
  assert.deepEqual(await page.evaluate(() => window.shelfElementsChanged), []);
  // The button says it (the words a shopper sees: the other word is hidden), then again
  // what it does.
  assert.equal(await page.innerText(cartButton(ids[2])), 'Added ✓');
  await page.waitForFunction((sel) => document.querySelector(sel).innerText === 'Add to cart', cartButton(ids[0]), { timeout: 10000 });
  const recs = await shelf();
  assert.ok(recs.length >= 3);
  for (const r of recs) {
    assert.ok(byId.has(r.id), `${r.id} is a product`);
    assert.ok(r.reason.length > 10, r.reason);
    // The shopper reads words: no scores, no bookkeeping in parentheses.
    assert.doesNotMatch(r.reason, /\(|\)|overlap|\b0\.\d/, r.reason);
    assert.match(r.reason, /^[A-Z].*\.$/, r.reason);
  }
  // ... while the trace keeps the numbers: the same item's NLI rationale and score.
  await traceDrawn();
  const scores = await page.$$eval('#nli tbody tr', (els) => els.map((e) => e.querySelector('td.num').textContent));
  assert.ok(scores.every((x) => /^\d\.\d\d$/.test(x)));
  assert.doesNotMatch(await page.textContent('#recs'), /score/i);
  // Pictures on the shelf are the grid's.
  const first = recs[0].id;
  const shelfPic = await page.$eval(`#recs li[data-id="${first}"] svg.picture`, (e) => e.outerHTML);
  await page.fill('#search', byId.get(first).title);
  const gridPic = await page.$eval(`#grid .card[data-id="${first}"] svg.picture`, (e) => e.outerHTML);
  assert.equal(shelfPic, gridPic);
  await page.fill('#search', '');
  await page.evaluate(() => {
    document.activeElement.blur();
    window.scrollTo(0, 0);
  });
  await assertShelfRowsLaidOut('desktop');
  await shot('demo-desktop', { docs: true });
});

test('a trace a newcomer can read: the legend, whole texts, every candidate with its reason', async () => {
  await traceDrawn();
  // The legend names every agent and term the trace uses.
  await page.click('#legend summary');
  const legend = await page.textContent('#legend');
  for (const term of ['UUA', 'NLI', 'CSA', 'IRA', 'Suser', 'Sctx', 'I+', '2 of 4, 33%']) assert.ok(legend.replace(/\s+/g, '').includes(term.replace(/\s+/g, '')), `legend explains ${term}`);
  const agents = await page.$$eval('#timeline .call', (els) => els.map((e) => e.dataset.agent));
  for (const a of ['uua', 'nli', 'csa', 'ira']) assert.ok(agents.includes(a), `the timeline shows ${a}`);
  // S_user and S_ctx whole, not in a scroll box of their own.
  for (const id of ['#s-user', '#s-ctx']) {
    const box = await page.$eval(id, (e) => ({ text: e.textContent, clipped: e.scrollHeight > e.clientHeight + 1, overflow: getComputedStyle(e).overflowY }));
    assert.ok(box.text.length > 40 && !box.clipped && box.overflow === 'visible', `${id} shown whole`);
  }
  assert.match(await page.textContent('#s-user'), /Words: /, 'the last line of S_user is there too');
  // Every candidate the NLI judged: as many rows as the trace's candidates (top_k 30).
  const rows = await page.$$eval('#nli tbody tr', (els) => els.map((e) => ({
    title: e.querySelector('th').textContent, label: e.querySelector('.pill').textContent, kept: e.children[3].textContent,
    why: e.querySelector('.rationale').textContent, width: e.querySelector('.rationale').getBoundingClientRect().width,
  })));
  assert.equal(rows.length, 30);
  assert.match(await page.textContent('#trace-meta'), /30 candidates/);
  assert.ok(rows.some((r) => r.kept === 'kept') && rows.every((r) => ['kept', 'filtered out'].includes(r.kept)));
  for (const r of rows) assert.ok(['supports', 'neutral', 'contradicts'].includes(r.label), r.label);
  assert.ok(rows.filter((r) => r.why.length > 20).length >= 10, 'rationales in words');
  assert.ok(Math.min(...rows.map((r) => r.width)) > 200, 'the rationale column is wide enough to read');
  assert.equal(await page.isVisible('#trace-empty'), false);
  await shot('demo-trace', { fullPage: true });
  const box = await page.$eval('.trace', (e) => { const r = e.getBoundingClientRect(); return { x: r.x, y: r.y + window.scrollY, width: r.width, height: Math.min(r.height, 1800) }; });
  await page.screenshot({ path: join(ARTIFACTS, 'demo-trace-panel.png'), clip: box, fullPage: true });
});

test('the cart: a drawer with the products, remove one, buy everything, a confirmation, the purchases in the history', async () => {
  await page.click('#cart-open');
  await page.waitForSelector('#cart[open]');
  const lines = await page.$$eval('#cart-items li', (els) => els.map((e) => e.dataset.id));
  assert.deepEqual(lines, carted);
  const price = (id) => byId.get(id).price;
  assert.equal(await page.textContent('#cart-total'), `$${(price(carted[0]) + price(carted[1]) + price(carted[2])).toFixed(2)}`);
  await shot('demo-cart');
  // Remove the first: gone from the cart and the count; focus stays in the drawer.
  await page.click(`#cart-items li[data-id="${carted[0]}"] .remove`);
  assert.deepEqual(await page.$$eval('#cart-items li', (els) => els.map((e) => e.dataset.id)), carted.slice(1));
  assert.equal(await cartCount(), 2);
  assert.equal(await page.textContent('#cart-total'), `$${(price(carted[1]) + price(carted[2])).toFixed(2)}`);
  assert.equal(await page.evaluate(() => document.activeElement.closest('#cart') !== null), true);
  const n = await count();
  await page.click('#checkout');
  await page.waitForSelector('#order[open]');
  assert.equal(await page.isVisible('#cart'), false);
  assert.deepEqual(await page.$$eval('#order-items li', (els) => els.map((e) => e.dataset.id)), carted.slice(1));
  assert.equal(await page.textContent('#order-total'), `$${(price(carted[1]) + price(carted[2])).toFixed(2)}`);
  assert.match(await page.textContent('#order'), /nothing is charged/);
  await waitSettled(n + 2);
  assert.equal(await cartCount(), 0);
  const kinds = await page.$$eval('#history li', (els) => els.slice(0, 2).map((e) => `${e.dataset.kind}:${e.dataset.id}`));
  assert.deepEqual(kinds.sort(), carted.slice(1).map((id) => `purchase:${id}`).sort());
  for (const r of await shelf()) assert.ok(!carted.slice(1).includes(r.id), 'what was just bought is not offered back');
  await page.click('#order-close');
  // The dialog's close event moves the focus to the shelf (a task after the dialog is gone).
  await page.waitForFunction(() => document.activeElement.id === 'recs-title', null, { timeout: 5000 });
  // Buy now from a card: a confirmation with that product alone.
  const other = await page.$eval('#grid .card:nth-child(7)', (e) => e.dataset.id);
  await page.click(`#grid .card[data-id="${other}"] button[data-act="purchase"]`);
  await page.waitForSelector('#order[open]');
  assert.deepEqual(await page.$$eval('#order-items li', (els) => els.map((e) => e.dataset.id)), [other]);
  await page.keyboard.press('Escape');
  await waitSettled(n + 3);
});

test('the history and the cart survive a reload (IndexedDB, localStorage)', async () => {
  const n = await count();
  await page.click(`#grid .card:nth-child(9) button[data-act="cart"]`);
  await waitSettled(n + 1);
  const before = await page.$$eval('#history li', (els) => els.map((e) => e.dataset.id));
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
  await waitSettled(n + 1);
  assert.deepEqual(await page.$$eval('#history li', (els) => els.map((e) => e.dataset.id)), before);
  assert.equal(await cartCount(), 1);
  assert.ok((await shelf()).length > 0, 'the shelf is back after the reload');
});

test('keyboard: a skip link to the shelf, the shelf before the grid, focus back where it was after a dialog', async () => {
  // From the top of the page the first Tab is the skip link; it lands on the shelf.
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'skip');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'recs-title');
  await page.keyboard.press('Tab');
  const first = await page.evaluate(() => document.activeElement.closest('#recs li') && document.activeElement.dataset.id);
  assert.ok(first, 'the next Tab is the first recommendation');
  // From the search box the first recommendation is a few presses away, not 77.
  await page.focus('#search');
  let presses = 0;
  while (presses < 20) {
    await page.keyboard.press('Tab');
    presses++;
    if (await page.evaluate(() => Boolean(document.activeElement.closest('#recs li')))) break;
  }
  assert.ok(presses <= 6, `${presses} Tab presses from the search box to the first recommendation`);
  // Open that recommendation with Enter; the view re-ranks the shelf under the dialog;
  // Escape brings the focus back to the same product on the new shelf, or to its heading.
  const id = await page.evaluate(() => document.activeElement.dataset.id);
  const n = await count();
  await page.keyboard.press('Enter');
  await page.waitForSelector('#product[open]');
  assert.equal(await page.textContent('#product-title'), byId.get(id).title);
  assert.ok(await page.$('#product-picture svg.picture'), 'the dialog shows the picture');
  await waitSettled(n + 1);
  await page.keyboard.press('Escape');
  // The dialog's close event moves the focus (a task after the dialog is gone).
  await page.waitForFunction(() => !document.querySelector('#product[open]') && !document.activeElement.closest('dialog'));
  const focus = await page.evaluate(() => ({ tag: document.activeElement.tagName, id: document.activeElement.id, rec: document.activeElement.dataset.id || null, inRecs: Boolean(document.activeElement.closest('#recs-panel')) }));
  assert.notEqual(focus.tag, 'BODY', 'focus is not dropped');
  assert.ok(focus.inRecs, `focus on the shelf: ${JSON.stringify(focus)}`);
  if (focus.rec) assert.equal(focus.rec, id);
  else assert.equal(focus.id, 'recs-title');
  // Every control has an accessible name.
  const unlabeled = await page.$$eval('input, select', (els) => els.filter((e) => e.type !== 'radio' && e.labels.length === 0 && !e.getAttribute('aria-label')).map((e) => e.id || e.name));
  assert.deepEqual(unlabeled, []);
  assert.equal(await page.$$eval('button', (els) => els.filter((e) => !(e.textContent.trim() || e.getAttribute('aria-label'))).length), 0);
});

// Each card's "Add to cart" and "Buy now" inside the card, with every word of them shown:
// on a narrow card they take a line each rather than cut a word or leave the card.
async function assertCardButtonsFit(where) {
  const bad = await page.$$eval('#grid .card', (cards) =>
    cards.flatMap((c) => {
      c.scrollIntoView();
      const card = c.getBoundingClientRect();
      return [...c.querySelectorAll('.row button')].flatMap((b) => {
        const r = b.getBoundingClientRect();
        const out = r.left < card.left || r.right > card.right;
        const cut = b.scrollWidth > b.clientWidth + 1;
        return out || cut ? [`${c.dataset.id} ${b.dataset.act}: ${out ? 'leaves the card' : 'words cut'}`] : [];
      });
    })
  );
  assert.deepEqual(bad, [], where);
}

test('a phone: a compact header, the shelf first, no sideways scrolling, the trace as cards', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.evaluate(() => window.scrollTo(0, 0));
  const m = await page.evaluate(() => ({
    header: document.querySelector('.top').getBoundingClientRect().height,
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    shelfTop: document.querySelector('#recs-panel').getBoundingClientRect().top,
    gridTop: document.querySelector('.catalog').getBoundingClientRect().top,
    nliOverflow: document.querySelector('#nli').scrollWidth - document.querySelector('#nli').clientWidth,
  }));
  assert.ok(m.header <= 0.15 * 844, `the header takes ${m.header}px of 844`);
  assert.ok(m.overflow <= 1, `the page is ${m.overflow}px wider than the screen`);
  assert.ok(m.shelfTop < m.gridTop, 'recommendations come before the grid');
  assert.ok(m.nliOverflow <= 1, 'the NLI table fits');
  await page.evaluate(() => document.activeElement.blur());
  await assertCardButtonsFit('phone');
  await page.evaluate(() => window.scrollTo(0, 0));
  await assertShelfRowsLaidOut('phone');
  await shot('demo-phone', { docs: true });
  // The header stays in view: the cart count is seen after adding far down the grid.
  await page.evaluate(() => window.scrollTo(0, 3000));
  assert.ok(await page.evaluate(() => document.querySelector('#cart-open').getBoundingClientRect().top >= 0));
  await page.click('#cart-open');
  await page.waitForSelector('#cart[open]');
  const drawer = await page.$eval('#cart', (e) => e.getBoundingClientRect().width);
  assert.ok(drawer <= 390 && drawer > 300);
  await page.keyboard.press('Escape');
  // A tablet, and the narrowest two-column page: the grid's cards at their narrowest.
  for (const width of [600, 800]) {
    await page.setViewportSize({ width, height: 900 });
    await assertCardButtonsFit(`${width} px wide`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  await assertCardButtonsFit('desktop');
  await page.evaluate(() => window.scrollTo(0, 0));
});

test('settings: a model through the edge worker, with a page token and no key in the page', async () => {
  assert.deepEqual(edgeRequests, [], 'the offline reasoner made no network request');
  await page.click('#settings-open');
  await page.waitForSelector('#settings[open]');
  assert.equal(await page.inputValue('#edge-url'), edgeUrl, 'the edge address comes from the server');
  await page.check('input[name="backend"][value="openai"]');
  await page.fill('#model', 'demo-model');
  await page.click('#settings-save');
  await page.waitForFunction(
    () => document.querySelector('#recs-panel').getAttribute('aria-busy') === 'false' && /re-ranked by the model/.test(document.querySelector('#status').textContent),
    null,
    { timeout: 30000 }
  );
  assert.match(await page.textContent('#notice'), /A model \(demo-model\) ranks, through the edge worker/);
  // The model's own words ("server rank N") never reach the shelf: the shopper reads the
  // items' evidence, rendered by the package's renderReason.
  const reasons = (await shelf()).map((r) => r.reason);
  assert.ok(reasons.length > 0);
  for (const r of reasons) assert.doesNotMatch(r, /server rank/i, r);
  await traceDrawn();
  assert.match(await page.textContent('#s-user'), /^server summary of \d+ events/);
  const chat = llm.chat();
  for (const a of ['uua', 'nli', 'csa', 'ira']) assert.ok(chat.some((r) => r.agent === a), `${a} reached the model`);
  for (const r of chat) assert.equal(r.headers.authorization, `Bearer ${KEY}`, 'the edge worker added the key');
  for (const r of edgeRequests.filter((x) => x.method === 'POST')) {
    assert.equal(r.url, `${edgeUrl}/v1/chat/completions`);
    assert.match(r.headers.authorization, /^Bearer apt1\./, 'the page sends its page token from the demo server');
    assert.ok(!JSON.stringify(r.headers).includes(KEY), 'the page holds no key');
  }
  assert.match(await page.textContent('#trace-meta'), /demo-model through the edge worker/);
  // A failing agent: the offline reasoner answers it, and the page says so in words.
  llm.setFault(({ agent }) => (agent === 'csa' ? { status: 400 } : { delayMs: 150 }));
  const n = await count();
  await page.click('#grid .card:nth-child(5) button[data-act="cart"]');
  await waitSettled(n + 1);
  llm.setFault(() => ({ delayMs: 150 }));
  assert.match(await page.textContent('#status'), /The model failed for 1 agent call; the offline reasoner answered instead/);
  await traceDrawn();
  const fb = await page.$$eval('#degraded li', (els) => els.map((e) => e.textContent));
  assert.ok(fb.some((t) => /^CSA \(csa\): the model server answered with an error, so the offline reasoner answered\.$/.test(t)), fb.join(' | '));
  await shot('demo-llm');
});

test('settings: a model, but no edge worker answering: said at once, and the offline reasoner ranks meanwhile', async () => {
  const deadPort = await freePort();
  const before = llm.chat().length;
  await page.click('#settings-open');
  await page.fill('#edge-url', `http://127.0.0.1:${deadPort}`);
  await page.click('#settings-save');
  await page.waitForFunction(() => /does not answer/.test(document.querySelector('#notice').textContent), null, { timeout: 10000 });
  assert.match(await page.textContent('#notice'), new RegExp(`The edge worker at http://127.0.0.1:${deadPort} does not answer, so the offline reasoner ranks meanwhile`));
  await page.waitForFunction(() => document.querySelector('#recs-panel').getAttribute('aria-busy') === 'false' && document.querySelectorAll('#recs li.rec[data-id]').length > 0, null, { timeout: 10000 });
  assert.match(await page.textContent('#status'), /by the offline reasoner/);
  for (const r of await shelf()) assert.doesNotMatch(r.reason, /Server rank/);
  // An event meanwhile re-ranks offline too, without a request to the model.
  const n = await count();
  await page.click('#grid .card:nth-child(6) button[data-act="cart"]');
  await waitSettled(n + 1);
  await traceDrawn();
  assert.match(await page.textContent('#trace-meta'), /offline reasoner/);
  assert.equal(llm.chat().length, before);
  // Back to the offline reasoner for the rest of the suite.
  await page.click('#settings-open');
  await page.fill('#edge-url', edgeUrl);
  await page.check('input[name="backend"][value="offline"]');
  await page.click('#settings-save');
  await page.waitForFunction(() => document.querySelector('#recs-panel').getAttribute('aria-busy') === 'false' && [...document.querySelectorAll('#recs .reason')].every((e) => !/^Server rank/.test(e.textContent)), null, { timeout: 30000 });
});

test('"forget me" asks first; keeping changes nothing; forgetting empties history, cart, shelf and trace, also after a reload', async () => {
  const n = await count();
  assert.ok(n > 0);
  await page.click('#forget');
  await page.waitForSelector('#forget-confirm[open]');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'forget-cancel', 'the safe choice has the focus');
  assert.match(await page.textContent('#forget-text'), /cannot be undone/);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => !document.querySelector('#forget-confirm[open]'));
  assert.equal(await count(), n, 'keeping the history changed nothing');
  await page.click('#grid .card:nth-child(3) button[data-act="cart"]');
  await waitSettled(n + 1);
  assert.ok((await cartCount()) > 0);
  await page.click('#forget');
  await page.click('#forget-yes');
  await waitSettled(0);
  assert.equal((await page.$$('#history li')).length, 0);
  assert.equal((await shelf()).length, 0);
  assert.equal(await cartCount(), 0);
  // The trace quoted the history: it is gone too, back to its empty state.
  assert.ok(await page.isVisible('#trace-empty'));
  assert.equal((await page.$$('#nli tbody tr')).length, 0);
  assert.equal(await page.textContent('#s-user'), '–');
  assert.match(await page.textContent('#status'), /Your history is forgotten/);
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
  await page.waitForFunction(() => /recommendations appear here/.test(document.querySelector('#status').textContent));
  assert.equal(await count(), 0);
  assert.equal(await cartCount(), 0);
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
    await p.waitForFunction(() => document.querySelectorAll('#recs li.rec[data-id]').length > 0, null, { timeout: 30000 });
    const ids = await p.$$eval('#recs li.rec[data-id]', (els) => els.map((e) => e.dataset.id));
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
  assert.deepEqual(consoleErrors.filter((m) => !/ERR_CONNECTION_REFUSED|net::ERR/.test(m)), []);
  assert.deepEqual(foreignRequests.filter((u) => !/^http:\/\/127\.0\.0\.1:\d+\/health$/.test(u)), []);
});
