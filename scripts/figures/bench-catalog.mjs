// The catalog benchmark (wasm-tests/bench/catalog.bench.mjs --json
// docs/figures/bench-catalog.json). Views: (default) restore against build per data
// set; parts: where a restore's time goes; memory: what an item takes, f32 and int8;
// fit: where a catalog of a given size goes (a page, a worker isolate's memory).

const int = (n) => Math.round(n).toLocaleString('en-US');
const mb = (b) => `${(b / 1e6).toFixed(1)} MB`;
const ms = (x) => (x >= 100 ? `${int(x)} ms` : `${x.toFixed(1)} ms`);
const MIB16 = 16 * 1048576; // the module's starting memory
// A worker isolate has 128 MB; the rest of this budget is left to requests, the JS heap
// and the worker's code.
const ISOLATE_BUDGET = 96e6;
// A snapshot a page downloads before its first recommendation, at most.
const PAGE_DOWNLOAD = 10e6;

// The largest set of each row type: the per-item figures the other views scale.
function largest(j, dtype) {
  return j.sets.filter((s) => s.dtype === dtype).sort((a, b) => b.items - a.items)[0];
}

function perItem(s) {
  return {
    snapshot: s.snapshot_bytes / s.items,
    held: s.heap_bytes_restored / s.items,
    module: (s.wasm_bytes_restored - MIB16) / s.items,
  };
}

// Items whose restore fits the isolate budget: the module's memory after the restore (it
// keeps the snapshot's copy as the catalog) plus the snapshot's bytes in JS while it runs.
function isolateItems(s) {
  const p = perItem(s);
  return Math.floor((ISOLATE_BUDGET - MIB16) / (p.module + p.snapshot) / 1000) * 1000;
}

// "best / median" of a time, when the run has medians.
const both = (s, key) => (s[`${key}_median`] !== undefined ? `${ms(s[key])} / ${ms(s[`${key}_median`])}` : ms(s[key]));
const ratios = (s) => (s.ratio_median !== undefined ? `${s.ratio}x / ${s.ratio_median}x` : `${s.ratio}x`);

function table(j) {
  const lines = [
    `Node ${j.node}, the Emscripten module; ${j.reps} rounds that alternate a build and a restore, each in a fresh module; each time the fastest / the median of the rounds:`,
    '',
    '| catalog | items | vectors | build from items.jsonl | restore, fresh module | build ÷ restore | the copy alone (floor) | build ÷ floor | restore, running module | snapshot | heap after restore |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const s of j.sets) {
    const floor = s.restore_floor_ms !== undefined ? [both(s, 'restore_floor_ms'), `${s.ratio_floor}x`] : ['', ''];
    lines.push(
      `| ${s.name} | ${int(s.items)} | ${s.dtype} | ${both(s, 'build_ms')} | ${both(s, 'restore_ms')} | ${ratios(s)} | ${floor[0]} | ${floor[1]} | ` +
        `${ms(s.restore_warm_ms)} | ${mb(s.snapshot_bytes)} | ${mb(s.heap_bytes_restored)} (${int(s.heap_bytes_restored / s.items)} B an item) |`
    );
  }
  const nat = j.sets.filter((s) => s.native);
  if (nat.length) {
    lines.push('', `Natively (tools/catalog_native, the fastest of ${Math.max(3, j.reps)} restores): ` +
      nat.map((s) => `${s.name} ${s.dtype} ${ms(s.native.build_ms)} / ${ms(s.native.restore_ms)} (${s.native.ratio}x)`).join('; ') + '.');
  }
  const short = j.sets.filter((s) => s.ratio < 20);
  if (short.length && short[0].restore_floor_ms !== undefined) {
    lines.push('', 'Under 20x in a fresh module: ' + short.map((s) =>
      `${s.name} ${s.dtype} (restore ${ms(s.restore_ms)}, of it at least ${ms(s.restore_floor_ms)} writing its ${mb(s.snapshot_bytes)} into the module's fresh memory, ` +
      `${(s.snapshot_bytes / 1e6 / s.restore_floor_ms).toFixed(1)} GB/s; that copy alone allows ${s.ratio_floor}x)`).join('; ') + '.');
  }
  if (j.absent.length) lines.push('', `Not measured (data set absent): ${j.absent.join(', ')}.`);
  return lines.join('\n');
}

function memory(j) {
  const f = largest(j, 'f32');
  const q = largest(j, 'int8');
  const pf = perItem(f);
  const pq = perItem(q);
  return `A restored catalog of ${int(q.items)} generated items holds ${int(pq.held)} bytes an item with int8 vectors ` +
    `(${int(pq.snapshot)} of them the snapshot's own bytes: the 516-byte row and scale, the text) and ${int(pf.held)} ` +
    `with f32 vectors (a 2,048-byte row); built from items.jsonl instead, the same catalogs hold ` +
    `${int(q.heap_bytes / q.items)} and ${int(f.heap_bytes / f.items)} bytes an item.`;
}

function fit(j) {
  const q = largest(j, 'int8');
  const f = largest(j, 'f32');
  const pq = perItem(q);
  const pf = perItem(f);
  const pageItems = Math.floor(PAGE_DOWNLOAD / pq.snapshot / 1000) * 1000;
  return [
    '| where the catalog lives | catalog size | what it costs (measured per item, scaled) |',
    '|---|---|---|',
    `| the page (a Web Worker holds it; the snapshot is downloaded once, then cached) | up to about ${int(pageItems)} items with int8 vectors: a ${mb(PAGE_DOWNLOAD)} snapshot | ` +
      `${mb(pq.snapshot * 10000)} to download and ${mb(pq.held * 10000)} of memory per 10,000 items (f32: ${mb(pf.snapshot * 10000)} and ${mb(pf.held * 10000)}) |`,
    `| an edge worker's isolate (128 MB; restored once per isolate from a static asset, KV or R2) | up to about ${int(isolateItems(q))} items with int8 vectors, ${int(isolateItems(f))} with f32 | ` +
      `the module's memory after the restore plus the snapshot's bytes while it runs stay under ${mb(ISOLATE_BUDGET)}: ` +
      `${int(pq.module + pq.snapshot)} bytes an item with int8 vectors, ${int(pf.module + pf.snapshot)} with f32, on a 16 MiB module |`,
  ].join('\n');
}

// A restore in a fresh module cut into its steps, the median of each over the rounds.
function parts(j) {
  const ms2 = (x) => (x >= 10 ? ms(x) : `${x.toFixed(2)} ms`);
  const lines = [
    `A restore in a fresh module cut into the steps of \`restore()\`, each timed apart (one more fresh module a round; the median of ${j.reps} rounds):`,
    '',
    '| catalog | vectors | restore, fresh module | the empty catalog | the copy, 128 KiB at a time | checksum and row checks after each piece | the restore call |',
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const s of j.sets.filter((x) => x.parts)) {
    const p = s.parts;
    lines.push(`| ${s.name} | ${s.dtype} | ${ms2(s.restore_ms_median)} | ${ms2(p.create_ms)} | ${ms2(p.copy_ms)} | ${ms2(p.feed_ms)} | ${ms2(p.call_ms)} |`);
  }
  return lines.join('\n');
}

export function render(j, { view } = {}) {
  if (!view) return table(j);
  if (view === 'parts') return parts(j);
  if (view === 'memory') return memory(j);
  if (view === 'fit') return fit(j);
  throw new Error(`unknown view "${view}" (parts, memory, fit)`);
}
