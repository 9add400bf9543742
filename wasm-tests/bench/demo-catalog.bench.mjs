// How the storefront demo's catalog loads, measured in headless Chromium: the bytes the
// page and its worker fetch for the catalog (as sent: gzipped when the server does) and
// the time to the first recommendation, for the demo as it is and, with --before REV, as
// it was at a git revision (its web/demo files served the same way, with this dist/).
//
// Each run is a first visit (a fresh browser profile): the page loads, and as soon as
// its product grid shows, the shopper adds the first product to the cart; the time is
// from the navigation's start to that first shelf drawn, and to the worker's "ready"
// (its catalog loaded and its code warmed). Runs alternate before and after.
//
//   node wasm-tests/bench/demo-catalog.bench.mjs [--before REV] [--runs 5] [--json FILE]
// Sets: the sample catalog, and amazon-beauty when it is under $ARAG_DATA_ROOT.
// Numbers only: nothing here asserts a timing.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { ROOT } from '../helpers/common.mjs';
import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/chromium.mjs';
import { dataSet } from '../helpers/data.mjs';

function args(argv) {
  const o = { before: null, runs: 5, json: null };
  for (let i = 2; i < argv.length; i++) {
    const v = argv[i + 1];
    if (argv[i] === '--before') o.before = v;
    else if (argv[i] === '--runs') o.runs = Number(v);
    else if (argv[i] === '--json') o.json = v;
    else throw new Error(`unknown option ${argv[i]} (--before REV, --runs N, --json FILE)`);
    i++;
  }
  return o;
}

// The demo's files at a revision, in a folder of their own.
function demoAt(rev) {
  const dir = mkdtempSync(join(tmpdir(), 'arag-demo-before-'));
  const out = join(dir, 'web', 'demo');
  mkdirSync(out, { recursive: true });
  const files = execFileSync('git', ['ls-tree', '--name-only', `${rev}:web/demo`], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const f of files) writeFileSync(join(out, f), execFileSync('git', ['show', `${rev}:web/demo/${f}`], { cwd: ROOT, maxBuffer: 1 << 26 }));
  return { dir, demo: out };
}

// Installed before the page's scripts: when the first shelf and "ready" appear.
function harness() {
  window.__load = { ready: null, shelf: null, clicked: null, status: null };
  new MutationObserver(() => {
    const b = document.body;
    if (b && b.dataset.ready === 'true' && window.__load.ready === null) {
      window.__load.ready = performance.now();
      window.__load.status = document.querySelector('#status') && document.querySelector('#status').textContent;
    }
    if (b && b.dataset.recs && window.__load.shelf === null) window.__load.shelf = performance.now();
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-ready', 'data-recs'] });
}

async function oneVisit(demoDir, data) {
  const { startServer } = await import(pathToFileURL(join(demoDir, 'serve.mjs')).href);
  const server = await startServer({ port: 0, root: ROOT, data: data || undefined });
  const profile = mkdtempSync(join(tmpdir(), 'arag-demo-profile-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 900 } });
  try {
    const page = context.pages()[0] || (await context.newPage());
    await page.addInitScript(harness);
    const requests = [];
    context.on('requestfinished', (r) => requests.push(r));
    await page.goto(server.url);
    const button = await page.waitForSelector('#grid [data-act="cart"]', { timeout: 60000 });
    await button.click();
    await page.evaluate(() => (window.__load.clicked = performance.now()));
    await page.waitForFunction(() => window.__load.shelf !== null, null, { timeout: 120000 });
    const times = await page.evaluate(() => window.__load);
    const bytes = { catalog: 0, total: 0, catalogFiles: {} };
    for (const r of requests) {
      const size = (await r.sizes()).responseBodySize;
      const path = new URL(r.url()).pathname;
      bytes.total += size;
      if (path.startsWith('/catalog.')) {
        bytes.catalog += size;
        const f = (bytes.catalogFiles[path] ||= { bytes: 0, fetches: 0 });
        f.bytes += size;
        f.fetches++;
      }
    }
    // The worker's own count from its start to ready, as the page shows it ("... in 123 ms").
    const m = /in ([\d.]+) ms/.exec(times.status || '');
    return { ready_ms: times.ready, first_shelf_ms: times.shelf, worker_ready_ms: m ? Number(m[1]) : null, bytes };
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
    await server.close();
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const round = (x) => Math.round(x * 10) / 10;

async function main() {
  const o = args(process.argv);
  const versions = [{ name: 'after', demo: join(ROOT, 'web', 'demo') }];
  let tmp = null;
  if (o.before) {
    tmp = demoAt(o.before);
    versions.unshift({ name: 'before', demo: tmp.demo, rev: execFileSync('git', ['rev-parse', '--short', o.before], { cwd: ROOT, encoding: 'utf8' }).trim() });
  }
  const sets = [['sample', null]];
  const beauty = dataSet('amazon-beauty');
  if (beauty) sets.push(['amazon-beauty', beauty]);
  const out = { runs: o.runs, chromium: CHROMIUM, sets: [] };
  try {
    for (const [name, data] of sets) {
      const per = Object.fromEntries(versions.map((v) => [v.name, []]));
      for (let r = 0; r < o.runs; r++) {
        for (const v of versions) per[v.name].push(await oneVisit(v.demo, data));
      }
      const set = { name, versions: {} };
      for (const v of versions) {
        const runs = per[v.name];
        set.versions[v.name] = {
          rev: v.rev,
          first_shelf_ms: round(median(runs.map((x) => x.first_shelf_ms))),
          ready_ms: round(median(runs.map((x) => x.ready_ms))),
          worker_ready_ms: runs.every((x) => x.worker_ready_ms !== null) ? round(median(runs.map((x) => x.worker_ready_ms))) : null,
          catalog_bytes: runs[0].bytes.catalog,
          catalog_files: runs[0].bytes.catalogFiles,
          total_bytes: runs[0].bytes.total,
          first_shelf_ms_all: runs.map((x) => round(x.first_shelf_ms)),
        };
        console.error(`${name} ${v.name}: first shelf ${set.versions[v.name].first_shelf_ms} ms, ready ${set.versions[v.name].ready_ms} ms (worker ${set.versions[v.name].worker_ready_ms} ms), catalog ${set.versions[v.name].catalog_bytes} bytes (${JSON.stringify(runs[0].bytes.catalogFiles)}), all ${runs[0].bytes.total} bytes`);
      }
      out.sets.push(set);
    }
  } finally {
    if (tmp) rmSync(tmp.dir, { recursive: true, force: true });
  }
  console.log(JSON.stringify(out, null, 2));
  if (o.json) await writeFile(o.json, JSON.stringify(out, null, 2) + '\n');
}

await main();
