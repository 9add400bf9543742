// One offline recommendation as the storefront demo's Web Worker makes it: an int8
// catalog restored from a snapshot, config {top_k: 30, reasoner: {ira_div: 1}},
// recommend({k: 6}) over a history of events that carry their item's text, then
// renderReason per item. Where its time goes, and (with --before DIR, a dist/ of
// another build) the same runs side by side, interleaved round by round.
//
//   node wasm-tests/bench/recommend.bench.mjs [--data DIR] [--before DIR] [--before-label S]
//        [--dist DIR] [--rounds 5] [--reps 15] [--cold-runs 3] [--sizes 1,10,40,100,200]
//        [--json FILE]
// --data defaults to amazon-beauty under $ARAG_DATA_ROOT, else the sample data set.
//
// Per build and round: in --cold-runs Node processes of their own, "cold", the first
// recommend of a freshly compiled module (one event), and "warm_first", the first one
// after three warm-up recommends (the demo's start-up). Those processes run with one V8
// worker thread (--v8-pool-size=1): the engine compiles wasm functions on first call and
// optimizes hot ones in the background, and with Node's default four threads on a
// loaded 2-core machine the two figures swing by 3-5x from run to run with the
// threads' contention; then, in this process, at each history size
// the median of --reps recommends, split into the time inside arag_recommend_start (the
// whole offline pipeline, retrieval to the result JSON) and the rest (the JS host:
// request, result parsing, session free), and renderReason's. Figures are medians over
// the rounds. Writes {"data", "items", "builds": {name: {"label", "cold_ms",
// "warm_first_ms", "by_history": {size: {"ms", "module_ms", "host_ms", "agents_ms", "reasons_ms"}}}},
// "ratio": {size: before/current}} and prints a table. Numbers only: nothing here
// asserts a timing.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dataSet, sampleDataSet } from '../helpers/data.mjs';
import { loadDataset } from '../../web/demo/serve.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CONFIG = { top_k: 30, reasoner: { ira_div: 1 } };

function parseArgs(argv) {
  const o = { data: null, before: null, beforeLabel: 'before', dist: path.join(ROOT, 'dist'), rounds: 5, reps: 15, sizes: [1, 10, 40, 100, 200], json: null, cold: null, snapshot: null, coldRuns: 3 };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[++i];
    if (v === undefined) throw new Error(`${a} needs a value`);
    if (a === '--data') o.data = path.resolve(v);
    else if (a === '--before') o.before = path.resolve(v);
    else if (a === '--before-label') o.beforeLabel = v;
    else if (a === '--cold') o.cold = path.resolve(v);
    else if (a === '--snapshot') o.snapshot = path.resolve(v);
    else if (a === '--dist') o.dist = path.resolve(v);
    else if (a === '--rounds') o.rounds = Number(v);
    else if (a === '--reps') o.reps = Number(v);
    else if (a === '--cold-runs') o.coldRuns = Number(v);
    else if (a === '--sizes') o.sizes = v.split(',').map(Number);
    else if (a === '--json') o.json = v;
    else throw new Error(`unknown option ${a}`);
  }
  o.data ||= dataSet('amazon-beauty') || sampleDataSet();
  return o;
}

const median = (a) => {
  const s = a.slice().sort((x, y) => x - y);
  return s.length ? s[s.length >> 1] : NaN;
};

/** The demo's items: its server's reader of items.jsonl (the fields the demo keeps). */
const catalogItems = (dir) => loadDataset(dir).items;

/** The demo's event for item it (web/demo/worker.mjs addEvent). */
function eventOf(it, ts, kind) {
  const ev = { id: it.id, ts, kind, title: it.title };
  for (const k of ['text', 'brand', 'categories']) if (it[k]) ev[k] = it[k];
  if (Number.isFinite(it.price)) ev.price = it.price;
  return ev;
}

async function loadBuild(dir) {
  const lib = await import(pathToFileURL(path.join(dir, 'index.mjs')).href);
  const { renderReason } = await import(pathToFileURL(path.join(dir, 'reasons.mjs')).href);
  const wasm = readFileSync(path.join(dir, 'arag.wasm'));
  return { lib, renderReason, wasm };
}

const pick = (items, i) => items[(i * 37) % items.length];
const KINDS = ['view', 'cart', 'purchase'];

/** A recommender of build on the snapshot, whose arag_recommend_start is timed: one()
 * recommends and returns {ms, module, reasons}. */
async function timedRecommender(build, snapshot) {
  const rec = await build.lib.createRecommender({ wasm: build.wasm, llm: 'offline', config: CONFIG, catalogSnapshot: snapshot });
  const raw = rec._raw;
  const fn = raw.fn;
  let inModule = 0;
  raw.fn = Object.create(fn, {
    arag_recommend_start: {
      value: (...a) => {
        const t = performance.now();
        try {
          return fn.arag_recommend_start(...a);
        } finally {
          inModule = performance.now() - t;
        }
      },
    },
  });
  const one = async () => {
    const t0 = performance.now();
    const out = await rec.recommend({ k: 6 });
    const t1 = performance.now();
    out.items.map((x) => build.renderReason(x));
    const reasons = performance.now() - t1;
    const agents = out.trace.messages.reduce((a, m) => a + (m.ended_ms - m.started_ms), 0);
    return { ms: t1 - t0, module: inModule, reasons, agents };
  };
  return { rec, one };
}

/** In a process of its own (--cold DIST): the first recommend of a fresh module, then
 * the first after three warm-up recommends (web/demo/worker.mjs now runs eight); JSON on
 * stdout. */
async function coldChild(o) {
  const build = await loadBuild(o.cold);
  const items = catalogItems(o.data);
  const { rec, one } = await timedRecommender(build, readFileSync(o.snapshot));
  rec.history.add(eventOf(pick(items, 0), 0, 'view'));
  const cold = (await one()).ms;
  for (let i = 1; i <= 3; i++) await one();
  rec.history.clear();
  rec.history.add(eventOf(pick(items, 1), 1, 'view'));
  const warmFirst = (await one()).ms;
  rec.free();
  process.stdout.write(JSON.stringify({ cold_ms: cold, warm_first_ms: warmFirst }));
}

/** One round of one build in this process: the history grown through o.sizes. */
async function round(build, snapshot, items, o) {
  const { rec, one } = await timedRecommender(build, snapshot);
  // Warm: the module's code optimized, as it is after a shopper's first clicks.
  for (let i = 0; i < 20; i++) {
    rec.history.add(eventOf(pick(items, 1000 + i), i, 'view'));
    await one();
  }
  rec.history.clear();
  const byHistory = {};
  let n = 0;
  for (const size of o.sizes) {
    while (n < size) rec.history.add(eventOf(pick(items, n), n, KINDS[n % 3])), n++;
    const runs = [];
    for (let r = 0; r < o.reps; r++) runs.push(await one());
    byHistory[size] = {
      ms: median(runs.map((x) => x.ms)),
      module_ms: median(runs.map((x) => x.module)),
      host_ms: median(runs.map((x) => x.ms - x.module)),
      reasons_ms: median(runs.map((x) => x.reasons)),
      agents_ms: median(runs.map((x) => x.agents)),
    };
  }
  rec.free();
  return { by_history: byHistory };
}

function summarize(rounds, colds, sizes) {
  const out = { cold_ms: median(colds.map((r) => r.cold_ms)), warm_first_ms: median(colds.map((r) => r.warm_first_ms)), by_history: {} };
  for (const s of sizes) {
    const all = (k) => median(rounds.map((r) => r.by_history[s][k]));
    out.by_history[s] = { ms: all('ms'), module_ms: all('module_ms'), host_ms: all('host_ms'), agents_ms: all('agents_ms'), reasons_ms: all('reasons_ms') };
  }
  return out;
}

const round3 = (x) => Math.round(x * 1000) / 1000;

async function main() {
  const o = parseArgs(process.argv);
  if (o.cold) return coldChild(o);
  const items = catalogItems(o.data);
  const builds = { current: await loadBuild(o.dist) };
  if (o.before) builds.before = await loadBuild(o.before);
  // The demo's catalog: built once (by the current build), restored by every round.
  const a = await builds.current.lib.createArag({ wasm: builds.current.wasm });
  const built = a.createCatalog({ dtype: 'int8' });
  built.add(items);
  const snapshot = built.snapshot();
  built.free();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'arag-recommend-bench-'));
  const snapFile = path.join(tmp, 'catalog.snap');
  writeFileSync(snapFile, snapshot);
  const self = fileURLToPath(import.meta.url);
  const dirs = { current: o.dist, before: o.before };
  const runs = Object.fromEntries(Object.keys(builds).map((k) => [k, []]));
  const colds = Object.fromEntries(Object.keys(builds).map((k) => [k, []]));
  try {
    for (let r = 0; r < o.rounds; r++) {
      const order = r % 2 ? Object.keys(builds).reverse() : Object.keys(builds);
      for (const name of order) {
        for (let c = 0; c < o.coldRuns; c++) {
          const args = ['--v8-pool-size=1', self, '--cold', dirs[name], '--snapshot', snapFile, '--data', o.data];
          const child = execFileSync(process.execPath, args, { encoding: 'utf8' });
          colds[name].push(JSON.parse(child));
        }
        runs[name].push(await round(builds[name], snapshot, items, o));
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const result = {
    data: path.basename(o.data),
    items: items.length,
    node: process.version,
    cpus: os.cpus().length,
    rounds: o.rounds,
    reps: o.reps,
    cold_runs: o.rounds * o.coldRuns,
    config: CONFIG,
    builds: {},
  };
  for (const name of Object.keys(builds)) {
    result.builds[name] = { label: name === 'before' ? o.beforeLabel : 'this build', ...summarize(runs[name], colds[name], o.sizes) };
  }
  if (builds.before) {
    result.ratio = {};
    for (const s of o.sizes) result.ratio[s] = round3(result.builds.before.by_history[s].ms / result.builds.current.by_history[s].ms);
  }
  console.log(`recommend({k: 6}), ${result.data} (${items.length} items, int8), ${o.rounds} rounds x ${o.reps} reps, ms (median)`);
  console.log('| build | cold | first after warm-up | ' + o.sizes.map((s) => `${s} events (module + host)`).join(' | ') + ' |');
  console.log('|---|---|---|' + o.sizes.map(() => '---').join('|') + '|');
  for (const b of Object.values(result.builds)) {
    const cells = o.sizes.map((s) => {
      const h = b.by_history[s];
      return `${h.ms.toFixed(2)} (${h.module_ms.toFixed(2)} + ${h.host_ms.toFixed(2)})`;
    });
    console.log(`| ${b.label} | ${b.cold_ms.toFixed(1)} | ${b.warm_first_ms.toFixed(2)} | ${cells.join(' | ')} |`);
  }
  if (result.ratio) console.log('before / this build:', JSON.stringify(result.ratio));
  if (o.json) await writeFile(o.json, `${JSON.stringify(result, null, 2)}\n`);
}

await main();
