// The edge worker (examples/edge-worker) measured in workerd through Miniflare: the
// catalog it holds, and the figures its threat model quotes.
//
//   node wasm-tests/bench/edge-worker.bench.mjs [--json FILE] [--items 10000] [--reps 5]
//
// Catalog: a generated catalog of --items items (scripts/generate-catalog.mjs), its int8
// snapshot deployed as the worker's static asset.
//   cold   a new workerd (Miniflare) each round: from starting it to its first answer
//          (POST /recommend with three events by id, k 10, the catalog's top 50, offline),
//          split into workerd's start and the first request (the module's instantiation,
//          the catalog's load and restore, the recommendation); medians of --reps;
//   warm   100 requests one after another in a running isolate: median and p95;
//   memory the wasm memory of the isolate holding it and what the catalog takes;
//   swap   the catalog in R2, a version of 100 more items put while 100 requests run
//          (ten waves 20 ms apart, the put after the third): their statuses, which
//          version answered each, the wasm memory before and after (both versions are
//          held while requests on the old one finish).
// Attacks (an OpenAI-compatible server on 127.0.0.1 answers the agents):
//   amplification  the audit's 261 KB request against the worker with every cap lifted
//                  (as it was before them) and with its defaults: upstream calls and
//                  prompt bytes; the same request without its options.config;
//   concurrency    100 concurrent maximum-size LLM-backed requests against an upstream
//                  that answers after 300 ms: statuses, the wasm memory after them (exact:
//                  wasm memory never shrinks, so this is its peak), the most admitted;
//   deadline       a provider that never answers: when the recommendation settles
//                  (the default 20 s deadline);
//   disconnect     a client that closes its socket mid-recommendation: upstream calls
//                  before and after.
// Writes {node, catalog: {...}, attacks: {...}}. Numbers only: nothing asserts a timing.
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request as httpRequest } from 'node:http';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { stageWorker, edgeMiniflare } from '../helpers/edge-worker.mjs';
import { startOpenAIServer } from '../helpers/openai-test-server.mjs';
import { amplificationRequest, candidates, history, CAPS_LIFTED } from '../helpers/edge-requests.mjs';
import { writeGeneratedCatalog } from '../../scripts/generate-catalog.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { createArag, signPageToken } = await import(pathToFileURL(path.join(ROOT, 'dist', 'index.mjs')).href);

function parseArgs(argv) {
  const o = { json: null, items: 10000, reps: 5 };
  for (let i = 2; i < argv.length; i += 2) {
    const [a, v] = [argv[i], argv[i + 1]];
    if (a === '--json') o.json = v;
    else if (a === '--items') o.items = Number(v);
    else if (a === '--reps') o.reps = Number(v);
    else {
      console.log('usage: node wasm-tests/bench/edge-worker.bench.mjs [--json FILE] [--items N] [--reps N]');
      process.exit(a === '--help' ? 0 : 2);
    }
  }
  return o;
}

const ORIGIN = 'https://shop.example';
const SECRET = 'edge-bench-secret-0123456789abcdef0123';
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor((a.length - 1) / 2)];
const pct = (a, p) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.ceil((p / 100) * a.length) - 1)];
const r2 = (x) => Math.round(x * 100) / 100;
const post = (m, body, headers = {}) =>
  m.dispatchFetch('http://edge.test/recommend', { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: ORIGIN, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
const health = async (m) => (await m.dispatchFetch('http://edge.test/health')).json();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function catalogFigures(o, dir, tmp) {
  const file = writeGeneratedCatalog({ items: o.items });
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  const items = lines.map((l) => JSON.parse(l));
  const arag = await createArag();
  const snap = (list) => {
    const c = arag.createCatalog({ dtype: 'int8' });
    c.add(list);
    const b = c.snapshot();
    c.free();
    return b;
  };
  const bytes = snap(items);
  const assets = path.join(tmp, 'assets');
  mkdirSync(assets, { recursive: true });
  writeFileSync(path.join(assets, 'catalog.snap'), bytes);
  const shopper = (i) => ({ history: [0, 1, 2].map((j) => ({ id: items[(i * 37 + j * 101) % items.length].id, ts: j, kind: j === 2 ? 'purchase' : 'view' })), k: 10 });

  const cold = [];
  let last = null;
  for (let r = 0; r < o.reps; r++) {
    if (last) await last.dispose();
    const t0 = performance.now();
    const mf = edgeMiniflare(dir, { catalog: { assets }, ratePerMinute: 100000 });
    await mf.ready;
    const t1 = performance.now();
    const res = await post(mf, shopper(r));
    const text = await res.text();
    const t2 = performance.now();
    if (res.status !== 200) throw new Error(`cold request: ${res.status} ${text}`);
    const h = await health(mf);
    cold.push({ total_ms: t2 - t0, workerd_ms: t1 - t0, first_request_ms: t2 - t1, catalog_load_ms: h.catalog.loadMs });
    last = mf;
  }
  const warm = [];
  for (let i = 0; i < 100; i++) {
    const t = performance.now();
    const res = await post(last, shopper(1000 + i));
    await res.arrayBuffer();
    warm.push(performance.now() - t);
  }
  const h = await health(last);
  await last.dispose();

  // The swap: R2, a new version with 100 more items, put while 100 requests run.
  const v2 = snap([...items, ...Array.from({ length: 100 }, (_, i) => ({ id: `new-${i}`, title: `New arrival ${i}`, categories: ['New'] }))]);
  const mf = edgeMiniflare(dir, { catalog: { r2: true }, vars: { CATALOG_CHECK_SECONDS: '0', MAX_LIVE_RECOMMENDATIONS: '128', MAX_BYTES_IN_FLIGHT: '67108864' }, ratePerMinute: 1000000 });
  await mf.ready;
  const bucket = await mf.getR2Bucket('CATALOG_BUCKET');
  await bucket.put('catalog.snap', new Uint8Array(bytes));
  await (await post(mf, shopper(0))).arrayBuffer();
  const before = await health(mf);
  // Ten waves of ten requests 20 ms apart; the new version is put after the third.
  const running = [];
  for (let w = 0; w < 10; w++) {
    for (let i = 0; i < 10; i++) running.push(post(mf, shopper(w * 10 + i)).then(async (r) => [r.status, (await r.json()).catalog?.version]));
    if (w === 2) await bucket.put('catalog.snap', new Uint8Array(v2));
    await sleep(20);
  }
  const results = await Promise.all(running);
  let after = await health(mf);
  for (let i = 0; i < 100 && after.catalog.swaps < 1; i++) {
    await (await post(mf, shopper(i))).arrayBuffer();
    after = await health(mf);
  }
  await mf.dispose();
  const statuses = {};
  for (const [s] of results) statuses[s] = (statuses[s] || 0) + 1;
  return {
    items: items.length,
    dtype: 'int8',
    snapshot_bytes: bytes.length,
    reps: o.reps,
    cold: {
      total_ms: r2(median(cold.map((c) => c.total_ms))),
      workerd_ms: r2(median(cold.map((c) => c.workerd_ms))),
      first_request_ms: r2(median(cold.map((c) => c.first_request_ms))),
      catalog_load_ms: median(cold.map((c) => c.catalog_load_ms)),
      all: cold.map((c) => ({ total_ms: r2(c.total_ms), workerd_ms: r2(c.workerd_ms), first_request_ms: r2(c.first_request_ms), catalog_load_ms: c.catalog_load_ms })),
    },
    warm: { requests: warm.length, median_ms: r2(median(warm)), p95_ms: r2(pct(warm, 95)), min_ms: r2(Math.min(...warm)) },
    memory: { wasm_bytes: h.memoryBytes, catalog_bytes: h.catalog.memoryBytes, per_item_bytes: Math.round(h.catalog.memoryBytes / items.length) },
    swap: {
      requests: results.length,
      statuses,
      answered_by_old: results.filter(([, v]) => v === before.catalog.version).length,
      answered_by_new: results.filter(([, v]) => v === after.catalog.version && v !== before.catalog.version).length,
      swaps: after.catalog.swaps,
      new_items: after.catalog.items,
      new_load_ms: after.catalog.loadMs,
      wasm_bytes_before: before.memoryBytes,
      wasm_bytes_after: after.memoryBytes,
      failures: after.catalog.failures,
    },
  };
}

async function attackFigures(dir) {
  const out = {};
  const llm = await startOpenAIServer();
  const token = (o = {}) => signPageToken({ secret: SECRET, origin: ORIGIN, maxCalls: 1000000, maxTokens: 1000000000, ...o });
  const base = { PAGE_TOKEN_SECRET: SECRET, ARAG_LLM: 'openai', LLM_BASE_URL: llm.baseURL, LLM_MODEL: 'm', ALLOWED_ORIGINS: ORIGIN };
  const counted = async (mf, body) => {
    llm.reset();
    let bytes = 0;
    llm.setFault((info) => {
      for (const m of info.body.messages || []) bytes += Buffer.byteLength(typeof m.content === 'string' ? m.content : JSON.stringify(m.content));
      return null;
    });
    const t = performance.now();
    const res = await post(mf, body, { Authorization: `Bearer ${await token()}` });
    const text = await res.text();
    const ms = performance.now() - t;
    llm.setFault(null);
    let error = null;
    try {
      error = JSON.parse(text).error?.param ?? null;
    } catch {
      /* a streamed answer with spaces first parses all the same */
    }
    return { status: res.status, calls: llm.chat().length, prompt_bytes: bytes, ms: r2(ms), refused_param: error };
  };
  const req = amplificationRequest();
  const lifted = edgeMiniflare(dir, { vars: { ...base, ...CAPS_LIFTED }, ratePerMinute: 100000 });
  const capped = edgeMiniflare(dir, { vars: base, ratePerMinute: 100000 });
  await Promise.all([lifted.ready, capped.ready]);
  const within = { ...req };
  delete within.options;
  out.amplification = {
    request_bytes: JSON.stringify(req).length,
    caps_lifted: await counted(lifted, req),
    defaults: await counted(capped, req),
    defaults_without_options: await counted(capped, within),
  };
  await lifted.dispose();

  // A provider that never answers NLI or IRA: the default deadline.
  llm.reset();
  llm.setFault((info) => (info.agent === 'nli' || info.agent === 'ira' ? { hang: true } : null));
  let t = performance.now();
  let res = await post(capped, { history: history(3), candidates: candidates(20), k: 5 }, { Authorization: `Bearer ${await token()}` });
  const hungText = await res.text();
  out.deadline = { status: res.status, settled_ms: r2(performance.now() - t), degraded: JSON.parse(hungText).degraded.length };
  llm.setFault(null);
  await capped.dispose();

  // 100 concurrent maximum-size LLM-backed requests, a slow upstream.
  const slow = await startOpenAIServer();
  slow.setFault(() => ({ delayMs: 300 }));
  const m = edgeMiniflare(dir, { vars: { ...base, LLM_BASE_URL: slow.baseURL }, ratePerMinute: 100000 });
  await m.ready;
  const start = await health(m);
  const text = JSON.stringify(within);
  const tk = await token();
  const all = await Promise.all(Array.from({ length: 100 }, () => post(m, text, { Authorization: `Bearer ${tk}` }).then(async (r) => [r.status, await r.text()])));
  const h = await health(m);
  const statuses = {};
  for (const [s] of all) statuses[s] = (statuses[s] || 0) + 1;
  out.concurrency = {
    requests: 100,
    request_bytes: text.length,
    statuses,
    wasm_bytes_start: start.memoryBytes,
    wasm_bytes_after: h.memoryBytes,
    peak_recommendations: h.admission.peakRecommendations,
    peak_request_bytes: h.admission.peakBytes,
  };
  await m.dispose();
  await slow.close();

  // A client that goes away: a real socket to workerd, closed mid-recommendation.
  const d = edgeMiniflare(dir, { vars: { ...base, HEARTBEAT_MS: '100' }, ratePerMinute: 100000 });
  const url = await d.ready;
  llm.reset();
  llm.setFault((info) => (info.agent === 'nli' ? { delayMs: 400 } : null));
  const body = JSON.stringify({ history: history(3), candidates: candidates(60), k: 5, options: { config: { max_in_flight: 1 }, trace: false } });
  const dtk = await token();
  const creq = httpRequest(new URL('/recommend', url), { method: 'POST', headers: { 'content-type': 'application/json', origin: ORIGIN, authorization: `Bearer ${dtk}`, 'content-length': Buffer.byteLength(body) } }, (r) => r.resume());
  creq.on('error', () => {});
  creq.end(body);
  t = performance.now();
  while (llm.chat().length < 2 && performance.now() - t < 20000) await sleep(10);
  creq.destroy();
  const atClose = llm.chat().length;
  await sleep(3000);
  out.disconnect = { calls_at_close: atClose, calls_after_3s: llm.chat().length, calls_of_a_full_recommendation: 9, aborted_in_flight: llm.chat().filter((e) => e.aborted).length };
  llm.setFault(null);
  await d.dispose();
  await llm.close();
  return out;
}

const o = parseArgs(process.argv);
const tmp = mkdtempSync(path.join(tmpdir(), 'arag-edge-bench-'));
try {
  const dir = stageWorker(path.join(tmp, 'worker'));
  const result = { node: process.version, catalog: await catalogFigures(o, dir, tmp), attacks: await attackFigures(dir) };
  const json = `${JSON.stringify(result, null, 1)}\n`;
  if (o.json) writeFileSync(o.json, json);
  process.stdout.write(json);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
