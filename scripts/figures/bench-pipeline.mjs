// The pipeline benchmark (wasm-tests/bench/pipeline.bench.mjs --json
// docs/figures/bench-pipeline.json). Views: (default) the measures table; batches: wall
// time per NLI batch size with a slow provider; offline: one offline recommendation;
// catalog-memory: what a whole catalog takes.

const int = (n) => Math.round(n).toLocaleString('en-US');
const mb = (b) => `${(b / 1e6).toFixed(1)} MB`;
const mib = (b) => `${(b / 1048576).toFixed(1)} MiB`;
const setName = (j) => j.data.split(/[\\/]/).filter(Boolean).pop();
const ms = (x) => `${x.toFixed(2)} ms`;

function catalogMemory(j) {
  const grew = j.catalog_int8_wasm_bytes > 16777216;
  return `${setName(j)}'s ${int(j.catalog_items)} items (dimension 512) take ${mb(j.catalog_heap_bytes)} of heap, ` +
    `${int(j.catalog_heap_bytes_per_item)} bytes per item (index row 2 KiB, text, ids, word counts); a module that loads ` +
    `them peaks at ${mib(j.catalog_wasm_bytes)} of wasm memory (it starts with 16 MiB). With an int8 catalog: ` +
    `${mb(j.catalog_int8_heap_bytes)}, ${int(j.catalog_int8_heap_bytes_per_item)} bytes per item` +
    `${grew ? `, ${mib(j.catalog_int8_wasm_bytes)} of wasm memory` : '; the first 16 MiB of wasm memory suffice'}.`;
}

function offline(j) {
  return `One offline recommendation (${j.candidates} candidates, ${j.offline_history_events} history events, ${setName(j)} items): ` +
    `${ms(j.offline_ms_per_rec_catalog_module)} in the wasm module with catalog ids, ${ms(j.offline_ms_per_rec_module)} when the ` +
    `text of every item is embedded in the call; ${ms(j.offline_ms_per_rec_catalog)} and ${ms(j.offline_ms_per_rec)} through the JS API (medians).`;
}

function table(j) {
  const c = j.concurrent;
  const rows = [
    ['CPU per recommendation, zero-latency provider (host backend)', `${ms(j.cpu_ms_per_rec)} in all, ${ms(j.cpu_ms_per_rec_module)} inside the module` +
      (j.module_share_not_json_or_prompt !== null ? `; ${Math.round(100 * j.module_share_not_json_or_prompt)}% of the module's time is not JSON or prompt building` : '')],
    ['calls / prompt characters per recommendation (NLI batch 10)', `${j.cpu_calls_per_rec} / ${int(j.cpu_prompt_chars_per_rec)}`],
    [`offline, ${j.offline_history_events} events + ${j.candidates} candidates with text, embedding included`, `${ms(j.offline_ms_per_rec_module)} in the module, ${ms(j.offline_ms_per_rec)} through the JS API`],
    ['offline, candidates as catalog ids', `${ms(j.offline_ms_per_rec_catalog_module)} in the module, ${ms(j.offline_ms_per_rec_catalog)} through the JS API`],
    [`the whole ${setName(j)} catalog (${int(j.catalog_items)} items, dimension 512) in a fresh module`, `heap in use ${mb(j.catalog_heap_bytes)}, ${int(j.catalog_heap_bytes_per_item)} bytes per item; wasm memory ${mib(j.catalog_wasm_bytes)}, its peak while loading (the module starts with 16 MiB)`],
    ['the same, int8 catalog', `heap in use ${mb(j.catalog_int8_heap_bytes)}, ${int(j.catalog_int8_heap_bytes_per_item)} bytes per item; wasm memory ${mib(j.catalog_int8_wasm_bytes)}`],
    ['100 histories of 200 events each, one module', `heap in use ${mb(j.histories_id_only_heap_bytes)} with events as catalog ids only, ${mb(j.histories_text_heap_bytes)} with events carrying their text`],
    [`${c.recs} concurrent recommendations, provider answering in ${c.call_latency_ms} ms`, `${c.recs_per_s} recs/s (${c.recs_per_s_zero_latency} at zero latency), peak wasm memory ${mib(c.peak_wasm_bytes)}`],
  ];
  return [`${j.candidates} candidates, ${j.history_events} history events, ${setName(j)} items, Node ${j.node}:`, '', '| measure | value |', '|---|---|', ...rows.map(([a, b]) => `| ${a} | ${b} |`)].join('\n');
}

function batches(j) {
  const lat = j.latency_runs[0].call_latency_ms;
  const by = new Map();
  for (const r of j.latency_runs) {
    if (!by.has(r.batch)) by.set(r.batch, {});
    by.get(r.batch)[r.adapter_concurrency > 6 ? 'wide' : 'narrow'] = r;
  }
  const cell = (r) => (r ? `${int(r.wall_ms)} ms (${r.rounds}x)` : '');
  const lines = [
    `Wall time per recommendation with a provider that answers after ${lat} ms (three rounds, UUA‖NLI, CSA, IRA, is ${3 * lat} ms):`,
    '',
    '| NLI batch | calls | prompt chars | wall, defaults (max_in_flight 6) | wall, max_in_flight 64 |',
    '|---:|---:|---:|---:|---:|',
  ];
  for (const [b, { narrow, wide }] of [...by].sort((x, y) => x[0] - y[0])) {
    const r = narrow || wide;
    lines.push(`| ${b}${b === 1 ? ' (the paper\'s per-item calls)' : b === 10 ? ' (default)' : ''} | ${r.calls} | ${int(r.prompt_chars)} | ${cell(narrow)} | ${cell(wide)} |`);
  }
  return lines.join('\n');
}

export function render(j, { view }) {
  if (!view) return table(j);
  if (view === 'batches') return batches(j);
  if (view === 'offline') return offline(j);
  if (view === 'catalog-memory') return catalogMemory(j);
  throw new Error(`unknown view "${view}" (batches, offline, catalog-memory)`);
}
