// How the storefront demo's catalog loads (wasm-tests/bench/demo-catalog.bench.mjs
// --before REV --json docs/figures/demo-catalog.json): bytes and time to the first
// recommendation, before (the worker embedded catalog.json) and after (it restores
// catalog.snap), in headless Chromium.

const kb = (b) => (b >= 1e6 ? `${(b / 1e6).toFixed(2)} MB` : `${Math.round(b / 1e3)} KB`);
const ms = (x) => `${Math.round(x)} ms`;

function files(v) {
  return Object.entries(v.catalog_files)
    .map(([f, { bytes, fetches }]) => `${f.slice(1)} ${fetches > 1 ? `${fetches} × ${kb(bytes / fetches)}` : kb(bytes)}`)
    .join(' + ');
}

export function render(j) {
  const lines = [
    `A first visit in headless Chromium, the shopper adding a product to the cart as soon as the grid shows; medians of ${j.runs} visits each, before and after alternating, on one machine (no network in between):`,
    '',
    '| catalog | loading | catalog bytes fetched (as sent) | all bytes | worker ready | first recommendation on screen |',
    '|---|---|---:|---:|---:|---:|',
  ];
  for (const s of j.sets) {
    for (const [name, v] of Object.entries(s.versions)) {
      const how = name === 'before' ? `before (${v.rev}): the worker embeds catalog.json` : 'after: the worker restores catalog.snap';
      lines.push(`| ${s.name} | ${how} | ${kb(v.catalog_bytes)} (${files(v)}) | ${kb(v.total_bytes)} | ${ms(v.worker_ready_ms)} | ${ms(v.first_shelf_ms)} |`);
    }
  }
  lines.push('', '"Worker ready" is the worker\'s own count from its start to a loaded catalog and warmed code; "first recommendation" is from the navigation\'s start.');
  return lines.join('\n');
}
