// Speed a shopper feels in the storefront demo: from a click on "Add to cart" in the
// product grid to the re-ranked "Recommended for you" shelf painted, in headless
// Chromium, with the CPU throttled through the DevTools protocol (4x: a phone-class
// device) and not, at the sample catalog and at amazon-beauty scale (its 7,416 items when
// the data set is under $ARAG_DATA_ROOT, else a generated fictional catalog that large).
//
// The harness measures from outside the app: a capture-phase click listener notes the
// click's time, a MutationObserver notes when the shelf's list changes, and the frame that
// paints the change (the one under way when the change was made in an animation frame
// callback, else the next; then a task after it) counts as painted: the page's main
// thread is through with that frame (style, layout, paint, commit; the compositor draws it
// after). (Element Timing, asked too before, reports an element's first paint of text or an
// image of its own: never a shelf row, whose text is in its children, nor a row changed in
// place; every figure came from the frame.) When the page reports where the time went
// (performance marks arag:* of the app and its worker), those are split out too. A fresh
// browser profile per run, so the first event is a first visit's.
//
//   node wasm-tests/bench/demo-speed.bench.mjs [--clicks 30] [--rates 1,4] [--json FILE]
//        [--data DIR] [--catalogs sample,big] [--demo DIR | --versus DIR] [--label 'what DIR is']
//        [--frame-trace N]
// Numbers only: nothing here asserts a timing.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { pathToFileURL } from 'node:url';
import { startServer as startHere } from '../../web/demo/serve.mjs';
import { ROOT } from '../helpers/common.mjs';
import { makeCatalog } from '../../web/demo/make-catalog.mjs';
import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/chromium.mjs';
import { dataSet } from '../helpers/data.mjs';

function args(argv) {
  const o = { clicks: 30, rates: [1, 4], json: null, data: null, demo: null, versus: null, label: null, catalogs: ['sample', 'big'], frameTrace: 0 };
  for (let i = 2; i < argv.length; i++) {
    const v = argv[i + 1];
    if (argv[i] === '--clicks') o.clicks = Number(v);
    else if (argv[i] === '--rates') o.rates = v.split(',').map(Number);
    else if (argv[i] === '--json') o.json = v;
    else if (argv[i] === '--data') o.data = resolve(v);
    else if (argv[i] === '--demo') o.demo = resolve(v);
    else if (argv[i] === '--versus') o.versus = resolve(v);
    else if (argv[i] === '--label') o.label = v;
    else if (argv[i] === '--catalogs') o.catalogs = v.split(',');
    else if (argv[i] === '--frame-trace') o.frameTrace = Number(v);
    else throw new Error(`unknown option ${argv[i]}`);
    i++;
  }
  return o;
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] : null;
};
const round = (x) => (x === null || x === undefined ? null : Math.round(x * 10) / 10);

// Installed in the page before any of its scripts: click and shelf-painted times. A change
// made inside an animation frame callback is painted in that frame (a task after it
// runs after the paint); a change made elsewhere is painted in the next frame.
function harness(marks) {
  // With marks (a traced browser): the click, the shelf's change and its paint as user
  // timing marks, which the trace shows on the main thread's timeline.
  const mark = marks ? (name) => performance.mark(`speed:${name}`) : () => {};
  window.__speed = { clicks: [], painted: [], waiters: new Set() };
  // Resolves when the n-th shelf is painted and the panel is no longer busy. The bench waits
  // on this rather than on Playwright's waitForFunction, which polls in every animation frame
  // and so adds a callback of its own to each frame it measures.
  window.__speed.until = (n) =>
    new Promise((resolve, reject) => {
      const panel = document.querySelector('#recs-panel');
      const ok = () => window.__speed.painted.length > n && panel.getAttribute('aria-busy') === 'false';
      if (ok()) return resolve();
      const timer = setTimeout(() => reject(new Error('no shelf painted in 120 s')), 120000);
      const check = () => {
        if (!ok()) return;
        clearTimeout(timer);
        mo.disconnect();
        window.__speed.waiters.delete(check);
        resolve();
      };
      const mo = new MutationObserver(check);
      mo.observe(panel, { attributes: true, attributeFilter: ['aria-busy'] });
      window.__speed.waiters.add(check);
    });
  let inFrame = false;
  const raf = window.requestAnimationFrame.bind(window);
  window.requestAnimationFrame = (cb) =>
    raf((t) => {
      inFrame = true;
      try {
        cb(t);
      } finally {
        // The observer's records of a change made in cb arrive in a microtask after cb:
        // the flag holds until then (cleared in a microtask queued after theirs), so such
        // a change counts as painted in this frame, not the next.
        queueMicrotask(() => {
          inFrame = false;
        });
      }
    });
  document.addEventListener('click', (e) => {
    if (e.target.closest && e.target.closest('#grid button[data-act]')) {
      window.__speed.clicks.push(performance.now());
      mark('click');
    }
  }, true);
  const watch = () => {
    const list = document.querySelector('#recs');
    if (!list) return void raf(watch);
    new MutationObserver(() => {
      const changed = performance.now();
      mark('changed');
      const done = () =>
        setTimeout(() => {
          mark('painted');
          window.__speed.painted.push({ changed, painted: performance.now() });
          for (const check of [...window.__speed.waiters]) check();
        }, 0);
      if (inFrame) done();
      else raf(done);
    }).observe(list, { childList: true, subtree: true, characterData: true });
  };
  document.addEventListener('DOMContentLoaded', watch);
}

// One browser with the demo at url, throttled; click(i) adds the i-th grid product to the
// cart and returns where the time went.
async function openSession({ url, rate, marks = false }) {
  const profile = mkdtempSync(join(tmpdir(), 'arag-speed-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 900 } });
  const close = async () => {
    await context.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  };
  try {
    const page = context.pages()[0] || (await context.newPage());
    await page.addInitScript(harness, marks);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate });
    await cdp.send('Performance.enable');
    const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 120000 });
    await page.waitForFunction(() => document.querySelector('#recs-panel').getAttribute('aria-busy') === 'false', null, { timeout: 120000 });
    await page.waitForTimeout(500);
    const ids = await page.$$eval('#grid .card', (els) => els.map((e) => e.dataset.id));
    const click = async (i) => {
      const button = page.locator(`#grid .card[data-id="${ids[i % ids.length]}"] button[data-act="cart"]`);
      await button.scrollIntoViewIfNeeded();
      const box = await button.boundingBox();
      const before = await page.evaluate(() => window.__speed.painted.length);
      const m0 = await metrics();
      // The mouse's own events, and nothing sent to the page until its shelf is surely
      // painted: Playwright's click() asks the page, right after the release, whether the
      // click landed on its target, and the page answered that inside the very frame
      // measured here (a DevTools message in the trace, about 4 ms of it at 4x).
      await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
      await page.waitForTimeout(300);
      await page.evaluate((n) => window.__speed.until(n), before);
      await page.waitForTimeout(150);
      const s = await page.evaluate((n) => {
        const click = window.__speed.clicks.at(-1);
        const p = window.__speed.painted[n];
        const marks = {};
        for (const m of performance.getEntriesByType('measure')) if (m.name.startsWith('arag:')) marks[m.name.slice(5)] = m.duration;
        performance.clearMeasures();
        // The shelf's frame from the change to painted (its style, layout, paint, commit).
        marks.frame = p.painted - p.changed;
        return { total: p.painted - click, toChange: p.changed - click, marks };
      }, before);
      // The page's main thread over the click (until the next click): style, layout, script, all tasks.
      const m1 = await metrics();
      for (const [k, name] of [['RecalcStyleDuration', 'main-style'], ['LayoutDuration', 'main-layout'], ['ScriptDuration', 'main-script'], ['TaskDuration', 'main-tasks']]) {
        s.marks[name] = 1000 * (m1[k] - m0[k]);
      }
      return s;
    };
    return { click, close, cdp, page };
  } catch (e) {
    await close();
    throw e;
  }
}

// Clicks in one browser per demo, taking turns click by click when there are two (this
// demo and --versus's), so that both see the same machine: a shared machine's load moves
// more from minute to minute than the difference between two versions.
async function runTurns(sessions, clicks) {
  const samples = sessions.map(() => []);
  for (let i = 0; i < clicks; i++) {
    for (let k = 0; k < sessions.length; k++) samples[k].push(await sessions[k].click(i));
  }
  return samples;
}

// The shelf's frame as a Chromium trace shows it (--frame-trace N): N clicks, after three
// untraced ones, in a browser of their own; the page's main thread from the shelf's change
// to its paint, by lifecycle phase (style, layout, pre-paint, paint, layerize, commit),
// script, the rest of its tasks (observers, hit tests, messages, the task overheads) and the
// time it ran none. Medians, ms.
// Tracing costs a little time of its own: these split a frame, the figures above time it.
const PHASES = [
  ['UpdateLayoutTree', 'style'],
  ['Layout', 'layout'],
  ['PrePaint', 'prepaint'],
  ['Paint', 'paint'],
  ['Layerize', 'layerize'],
  ['Commit', 'commit'],
  ['FunctionCall', 'script'],
];
async function frameTrace({ url, rate, clicks }) {
  const session = await openSession({ url, rate, marks: true });
  try {
    for (let i = 0; i < 3; i++) await session.click(i);
    const events = [];
    session.cdp.on('Tracing.dataCollected', (d) => events.push(...d.value));
    const complete = new Promise((resolve) => session.cdp.once('Tracing.tracingComplete', resolve));
    await session.cdp.send('Tracing.start', { traceConfig: { includedCategories: ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink.user_timing'] }, transferMode: 'ReportEvents' });
    for (let i = 0; i < clicks; i++) await session.click(3 + i);
    // What any frame of this page costs: one that changes nothing, one that changes a
    // character of the status line.
    for (const kind of ['empty', 'one-word']) await session.page.evaluate(probeFrames, { kind, n: clicks });
    await session.cdp.send('Tracing.end');
    await complete;
    const parts = frameParts(events, 'speed');
    return parts && { ...parts, empty: frameParts(events, 'speed-empty'), 'one-word': frameParts(events, 'speed-one-word') };
  } finally {
    await session.close();
  }
}

// In the page: n animation frames, each its own change (none, or a character of the
// status line) marked as changed, and a task after the frame marked as painted.
async function probeFrames({ kind, n }) {
  const status = document.querySelector('#status');
  for (let i = 0; i < n; i++) {
    await new Promise((resolve) =>
      requestAnimationFrame(() => {
        performance.mark(`speed-${kind}:click`);
        performance.mark(`speed-${kind}:changed`);
        if (kind === 'one-word') status.textContent = status.textContent.replace(/[.!]$/, (c) => (c === '.' ? '!' : '.'));
        setTimeout(() => {
          performance.mark(`speed-${kind}:painted`);
          resolve();
        }, 0);
      })
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function frameParts(events, prefix) {
  const threadName = new Map(events.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => [`${e.pid}:${e.tid}`, e.args.name]));
  const marks = events.filter((e) => typeof e.name === 'string' && e.name.startsWith(`${prefix}:`) && threadName.get(`${e.pid}:${e.tid}`) === 'CrRendererMain').sort((a, b) => a.ts - b.ts);
  if (!marks.length) return null;
  const { pid, tid } = marks[0];
  // Complete events of the page's main thread (X, or B/E pairs), in microseconds.
  const spans = [];
  const open = [];
  for (const e of events.filter((x) => x.pid === pid && x.tid === tid).sort((a, b) => a.ts - b.ts)) {
    if (e.ph === 'X') spans.push({ name: e.name, ts: e.ts, end: e.ts + (e.dur || 0) });
    else if (e.ph === 'B') open.push(e);
    else if (e.ph === 'E' && open.length) {
      const b = open.pop();
      spans.push({ name: b.name, ts: b.ts, end: e.ts });
    }
  }
  // The outermost spans of each name, clipped to [a, b], summed.
  const within = (names, a, b) => {
    const mine = spans.filter((x) => names.includes(x.name) && x.end > a && x.ts < b).sort((x, y) => x.ts - y.ts || y.end - x.end);
    let sum = 0;
    let reach = -Infinity;
    for (const x of mine) {
      if (x.ts < reach) continue; // inside one already counted
      sum += Math.min(b, x.end) - Math.max(a, x.ts);
      reach = x.end;
    }
    return sum / 1000;
  };
  const clicks = [];
  let c = null;
  for (const m of marks) {
    if (m.name === `${prefix}:click`) c = { click: m.ts };
    else if (c && m.name === `${prefix}:changed` && c.changed === undefined) c.changed = m.ts;
    else if (c && m.name === `${prefix}:painted` && c.changed !== undefined) {
      c.painted = m.ts;
      clicks.push(c);
      c = null;
    }
  }
  const rows = clicks.map(({ click, changed, painted }) => {
    const r = { 'to change': (changed - click) / 1000, frame: (painted - changed) / 1000 };
    let phases = 0;
    for (const [name, key] of PHASES) phases += r[key] = within([name], changed, painted);
    const busy = within(['RunTask'], changed, painted);
    r['other tasks'] = Math.max(0, busy - phases);
    r['no task'] = Math.max(0, r.frame - busy);
    return r;
  });
  if (!rows.length) return null;
  const out = { clicks: rows.length };
  for (const k of Object.keys(rows[0])) out[k] = round(quantile(rows.map((r) => r[k]), 0.5));
  return out;
}

function summarize(samples) {
  const t = samples.map((s) => s.total);
  const out = {
    clicks: samples.length,
    first_ms: round(t[0]),
    first_parts_ms: Object.fromEntries(Object.entries(samples[0].marks).map(([k, v]) => [k, round(v)])),
    p50_ms: round(quantile(t, 0.5)),
    p95_ms: round(quantile(t, 0.95)),
    max_ms: round(Math.max(...t)),
    p50_to_dom_change_ms: round(quantile(samples.map((s) => s.toChange), 0.5)),
  };
  const names = [...new Set(samples.flatMap((s) => Object.keys(s.marks)))];
  if (names.length) {
    out.parts_p50_ms = {};
    for (const n of names) out.parts_p50_ms[n] = round(quantile(samples.map((s) => s.marks[n]).filter((x) => x !== undefined), 0.5));
  }
  return out;
}

async function main() {
  const o = args(process.argv);
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (make setup)`);
  const big = o.data || dataSet('amazon-beauty');
  let bigDir = big;
  let tmp = null;
  if (!bigDir) {
    // amazon-beauty's size from the fictional generator.
    tmp = mkdtempSync(join(tmpdir(), 'arag-speed-data-'));
    const { items } = makeCatalog({ count: 7416 });
    writeFileSync(join(tmp, 'items.jsonl'), `${items.map((it) => JSON.stringify(it)).join('\n')}\n`);
    bigDir = tmp;
  }
  const catalogs = [['sample', undefined], [big ? 'amazon-beauty' : 'fictional-7416', bigDir]].filter((_, i) => o.catalogs.includes(['sample', 'big'][i]));
  // --demo DIR: another copy of the demo (a folder holding web/demo/, say an older commit's)
  // served with this repository's dist/ instead of this one. --versus DIR: that copy and this
  // demo side by side, taking turns click by click (runs of demo "other" and "this").
  const serverOf = async (dir) => (dir ? (await import(pathToFileURL(join(dir, 'web/demo/serve.mjs')).href)).startServer : startHere);
  const demos = o.versus ? [['other', await serverOf(o.versus)], ['this', startHere]] : [[o.demo ? 'other' : 'this', await serverOf(o.demo)]];
  const result = { node: process.version, clicks: o.clicks, demo: o.versus ? 'both' : demos[0][0], ...(o.versus && o.label ? { versus: o.label } : {}), ...(o.demo && o.label ? { label: o.label } : {}), runs: [] };
  try {
    for (const [name, data] of catalogs) {
      const servers = [];
      try {
        for (const [, start] of demos) servers.push(await start({ port: 0, data, root: ROOT }));
        for (const rate of o.rates) {
          const sessions = [];
          let samples;
          try {
            for (const server of servers) sessions.push(await openSession({ url: server.url, rate }));
            samples = await runTurns(sessions, o.clicks);
          } finally {
            for (const session of sessions) await session.close();
          }
          const traced = [];
          if (o.frameTrace > 0) for (const server of servers) traced.push(await frameTrace({ url: server.url, rate, clicks: o.frameTrace }));
          demos.forEach(([demo], k) => {
            const s = { catalog: name, items: servers[k].catalog.items, cpu_throttle: rate, ...(o.versus ? { demo } : {}), ...summarize(samples[k]), samples_ms: samples[k].map((x) => round(x.total)) };
            if (traced[k]) s.frame_trace_p50_ms = traced[k];
            result.runs.push(s);
            console.log(`${o.versus ? `${demo}: ` : ''}${name} (${s.items} items), CPU ${rate}x: first ${s.first_ms} ms, p50 ${s.p50_ms}, p95 ${s.p95_ms}, max ${s.max_ms}` + (s.parts_p50_ms ? `; p50 parts ${JSON.stringify(s.parts_p50_ms)}; first ${JSON.stringify(s.first_parts_ms)}` : '') + (s.frame_trace_p50_ms ? `; traced ${JSON.stringify(s.frame_trace_p50_ms)}` : ''));
          });
        }
      } finally {
        for (const server of servers) await server.close();
      }
    }
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
  if (o.json) {
    mkdirSync(dirname(resolve(o.json)), { recursive: true });
    writeFileSync(o.json, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`wrote ${o.json}`);
  }
}

await main();
