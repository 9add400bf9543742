// The edge worker's benchmark (wasm-tests/bench/edge-worker.bench.mjs --json
// docs/figures/edge-worker.json, make bench-edge). Views: (default) the catalog it holds:
// cold start, warm latency, memory, a swap; attacks: the figures of the threat model;
// where: which catalog sizes go where (a page, an isolate, Vectorize), with the page's
// per-item figures from the catalog benchmark (bench-catalog.json).

const int = (n) => Math.round(n).toLocaleString('en-US');
const mb = (b) => (b >= 1e6 ? `${(b / 1e6).toFixed(1)} MB` : `${int(b / 1e3)} KB`);
const mib = (b) => `${(b / 1048576).toFixed(1)} MiB`;
const ms = (x) => (x >= 100 ? `${int(x)} ms` : `${x.toFixed(1)} ms`);

// What the worker budgets for catalogs in an isolate of 128 MB: the rest is left to
// requests, the JS heap and the worker's code. During a swap two versions are held.
const ISOLATE_BUDGET = 96e6;
const MODULE_START = 16 * 1048576;
// The worker's default CATALOG_MAX_BYTES (examples/edge-worker/src/config.mjs).
const CATALOG_MAX_BYTES = 25165824;
// A snapshot a page downloads before its first recommendation, at most.
const PAGE_DOWNLOAD = 10e6;

function catalog(j) {
  const c = j.catalog;
  const s = c.swap;
  const statuses = Object.entries(s.statuses).map(([k, v]) => `${v} × ${k}`).join(', ');
  return [
    `workerd (Miniflare), Node ${j.node}; a generated catalog of ${int(c.items)} items, its ${c.dtype} snapshot (${mb(c.snapshot_bytes)}) the worker's static asset; ` +
      `POST /recommend with three events by id and k 10 (the catalog's top 50, the offline reasoner):`,
    '',
    '| | |',
    '|---|---|',
    `| cold start: a new workerd to its first answer (median of ${c.reps}) | ${ms(c.cold.total_ms)}: workerd starting ${ms(c.cold.workerd_ms)}, the first request ${ms(c.cold.first_request_ms)} (of it the catalog's load and restore ${ms(c.cold.catalog_load_ms)}) |`,
    `| warm: ${c.warm.requests} requests one after another | median ${ms(c.warm.median_ms)}, p95 ${ms(c.warm.p95_ms)} |`,
    `| memory | the catalog holds ${mb(c.memory.catalog_bytes)} (${int(c.memory.per_item_bytes)} bytes an item) of the isolate's ${mib(c.memory.wasm_bytes)} of wasm memory |`,
    `| a new version (${int(s.new_items)} items) put into R2 while ${s.requests} requests run | ${statuses}; ${s.answered_by_old} answered from the old version, ${s.answered_by_new} from the new; loaded in ${ms(s.new_load_ms)}; wasm memory ${mib(s.wasm_bytes_before)} before, ${mib(s.wasm_bytes_after)} after (both versions held while requests on the old one finish; wasm memory never shrinks) |`,
  ].join('\n');
}

function attacks(j) {
  const a = j.attacks;
  const amp = a.amplification;
  const c = a.concurrency;
  const statuses = Object.entries(c.statuses).map(([k, v]) => `${v} × ${k}`).join(', ');
  return [
    '| attack | every cap lifted (as before the caps) | the worker as shipped |',
    '|---|---|---|',
    `| the amplification request (${int(amp.request_bytes)} bytes: 500 events, 200 candidates, \`nli_batch: 1\`, every cost setting at its maximum) | ${int(amp.caps_lifted.calls)} upstream calls, ${mb(amp.caps_lifted.prompt_bytes)} of prompts | 400 naming \`${amp.defaults.refused_param}\`, ${amp.defaults.calls} calls; without its \`options.config\`: ${amp.defaults_without_options.calls} calls, ${mb(amp.defaults_without_options.prompt_bytes)} of prompts |`,
    `| ${c.requests} concurrent maximum-size LLM-backed requests, an upstream answering after 300 ms | | ${statuses}; wasm memory ${int(c.wasm_bytes_start)} bytes before, ${int(c.wasm_bytes_after)} bytes (${mib(c.wasm_bytes_after)}) after, which is its peak (wasm memory never shrinks); at most ${c.peak_recommendations} recommendations and ${mib(c.peak_request_bytes)} of request bodies admitted at once |`,
    `| a provider that never answers | | settled after ${ms(a.deadline.settled_ms)} (the 20 s deadline), ${a.deadline.degraded} steps answered by the fallback |`,
    `| a client that closes its socket mid-recommendation (workerd, a real socket) | | ${a.disconnect.calls_at_close} upstream calls before it closed, ${a.disconnect.calls_after_3s} three seconds later (of the ${a.disconnect.calls_of_a_full_recommendation} a full recommendation makes); ${a.disconnect.aborted_in_flight} call in flight cut |`,
  ].join('\n');
}

function where(j, figure) {
  const c = j.catalog;
  const perHeld = c.memory.per_item_bytes;
  const perSnap = c.snapshot_bytes / c.items;
  const isolateItems = Math.floor((ISOLATE_BUDGET - MODULE_START) / (2 * perHeld) / 1000) * 1000;
  const maxItems = Math.floor(CATALOG_MAX_BYTES / perSnap / 1000) * 1000;
  let pageItems = Math.floor(PAGE_DOWNLOAD / perSnap / 1000) * 1000;
  let pageHeld = perHeld;
  const bench = figure && figure('bench-catalog');
  if (bench) {
    const q = bench.sets.filter((s) => s.dtype === 'int8').sort((x, y) => y.items - x.items)[0];
    if (q) {
      pageItems = Math.floor(PAGE_DOWNLOAD / (q.snapshot_bytes / q.items) / 1000) * 1000;
      pageHeld = q.heap_bytes_restored / q.items;
    }
  }
  return [
    '| catalog (int8 vectors) | where it lives | measured |',
    '|---|---|---|',
    `| up to about ${int(pageItems)} items | the page: a Web Worker restores the snapshot (\`catalogSnapshot\`) | a ${mb(PAGE_DOWNLOAD)} download at most; ${int(pageHeld)} bytes of memory an item |`,
    `| up to about ${int(Math.min(isolateItems, maxItems))} items | the edge worker's isolate: restored once per isolate from a static asset, R2 or KV (\`CATALOG_MAX_BYTES\`, 24 MiB) | ${int(perHeld)} bytes an item in workerd (${mb(perHeld * 10000)} per 10,000); two versions fit during a swap |`,
    '| more | Cloudflare Vectorize (`arag catalog build --vectorize`): the worker asks it for the top 50, then ranks them | up to 5,000,000 vectors an index; tested against a stand-in binding only |',
  ].join('\n');
}

export function render(j, { view, figure } = {}) {
  if (!view) return catalog(j);
  if (view === 'attacks') return attacks(j);
  if (view === 'where') return where(j, figure);
  throw new Error(`unknown view "${view}" (attacks, where)`);
}
