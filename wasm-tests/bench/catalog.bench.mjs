// Catalog benchmark: building a catalog from items.jsonl against restoring its snapshot,
// and what a catalog holds, in the wasm module (Emscripten build, Node), f32 and int8.
//
//   node wasm-tests/bench/catalog.bench.mjs [--json FILE] [--reps 5] [--items 100000]
//        [--dist DIR] [--quick]
//
// Data sets: amazon-beauty and amazon-office under $ARAG_DATA_ROOT (left out, and said
// so, when absent), the sample data set, and a generated catalog of --items items
// (scripts/generate-catalog.mjs). For each set and row type, --reps rounds, each in
// fresh modules as a page or a worker isolate starts:
//   build    the items.jsonl text (already read) into a catalog, 2,000 lines a call, as
//            `arag catalog build` does: parsing, embedding, indexing, word counts;
//   restore  createCatalog({ snapshot }) from the snapshot's bytes: the copy into the
//            module (which the catalog keeps), the checks, the index and maps over the
//            rows and text where they lie, the word counts; cold (the module's first
//            catalog: its memory is fresh) and warm (again in the same module, the first
//            freed: a new catalog version in a running worker);
// the medians and their ratio, the snapshot's size, the heap the catalog holds after
// either (to within 64 KiB: a fresh module's heap is filled to find it) and the wasm
// memory each leaves behind (its peak: wasm memory never shrinks). With a native build
// (build/native/catalog_native) the same two timings natively.
//
// Writes {"node", "reps", "sets": [{"name", "items", "dtype", "build_ms", "restore_ms",
// "restore_warm_ms", "ratio", "ratio_warm", "snapshot_bytes", "heap_bytes",
// "heap_bytes_restored", "wasm_bytes_built", "wasm_bytes_restored", "accounted_bytes",
// "native": {...}}], "absent": [...]} (times: the fastest of the rounds, which alternate
// build and restore, and the medians) and prints a Markdown table.
// Numbers only: nothing here asserts a timing.
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dataSet, sampleDataSet } from '../helpers/data.mjs';
import { heapInUse } from '../helpers/common.mjs';
import { writeGeneratedCatalog } from '../../scripts/generate-catalog.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const NATIVE = path.join(ROOT, 'build', 'native', 'catalog_native');

function parseArgs(argv) {
  const o = { json: null, reps: 5, items: 100000, dist: path.join(ROOT, 'dist') };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === '--json') o.json = v;
    else if (a === '--reps') o.reps = Number(v);
    else if (a === '--items') o.items = Number(v);
    else if (a === '--dist') o.dist = v;
    else if (a === '--quick') {
      o.reps = 1;
      o.items = 10000;
      continue;
    } else {
      console.log('usage: node wasm-tests/bench/catalog.bench.mjs [--json FILE] [--reps N] [--items N] [--dist DIR] [--quick]');
      process.exit(a === '--help' ? 0 : 2);
    }
    i++;
  }
  return o;
}


const best = (xs) => Math.min(...xs);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

// The text cut into batches of 2,000 lines, as the CLI hands them over.
function batches(text) {
  const lines = text.split('\n');
  const out = [];
  for (let i = 0; i < lines.length; i += 2000) out.push(lines.slice(i, i + 2000).join('\n'));
  return out.filter((b) => b.trim());
}

async function measure(lib, name, file, dtype, reps) {
  const parts = batches(readFileSync(file, 'utf8'));
  const empty = heapInUse((await lib.createArag()).raw);
  const buildMs = [];
  const restoreMs = [];
  const warmMs = [];
  let snapshot = null;
  let built = null;
  let restored = null;
  for (let r = 0; r < reps; r++) {
    // Build, in a fresh module.
    const a = await lib.createArag();
    let t0 = performance.now();
    const cat = a.createCatalog({ dtype });
    for (const p of parts) cat.add(p);
    buildMs.push(performance.now() - t0);
    if (!snapshot) snapshot = cat.snapshot();
    if (r === reps - 1) built = { items: cat.count, accounted: cat.memoryBytes, wasm: a.raw.u8().buffer.byteLength, heap: heapInUse(a.raw) - empty };
    // Restore, in another fresh module.
    const b = await lib.createArag();
    t0 = performance.now();
    const c2 = b.createCatalog({ snapshot });
    restoreMs.push(performance.now() - t0);
    if (c2.count !== cat.count) throw new Error(`${name}: restored ${c2.count} items of ${cat.count}`);
    const last = r === reps - 1 ? { accounted: c2.memoryBytes, wasm: b.raw.u8().buffer.byteLength } : null;
    c2.free();
    t0 = performance.now();
    const c3 = b.createCatalog({ snapshot });
    warmMs.push(performance.now() - t0);
    if (last) restored = { ...last, heap: heapInUse(b.raw) - empty };
    else c3.free();
  }
  const out = {
    name,
    items: built.items,
    dtype,
    build_ms: round(best(buildMs)),
    restore_ms: round(best(restoreMs)),
    restore_warm_ms: round(best(warmMs)),
    build_ms_median: round(median(buildMs)),
    restore_ms_median: round(median(restoreMs)),
    build_ms_all: buildMs.map((x) => round(x)),
    restore_ms_all: restoreMs.map((x) => round(x)),
    restore_warm_ms_all: warmMs.map((x) => round(x)),
    snapshot_bytes: snapshot.length,
    items_file_bytes: readFileSync(file).length,
    heap_bytes: built.heap,
    heap_bytes_restored: restored.heap,
    accounted_bytes: restored.accounted,
    wasm_bytes_built: built.wasm,
    wasm_bytes_restored: restored.wasm,
  };
  out.ratio = round(out.build_ms / out.restore_ms, 1);
  out.ratio_warm = round(out.build_ms / out.restore_warm_ms, 1);
  if (existsSync(NATIVE)) {
    const n = JSON.parse(execFileSync(NATIVE, ['bench', file, dtype, String(Math.max(3, reps))], { encoding: 'utf8', maxBuffer: 1 << 20 }));
    out.native = { build_ms: round(n.build_ms), restore_ms: round(n.restore_ms), ratio: round(n.build_ms / n.restore_ms, 1) };
  }
  return out;
}

function report(j) {
  const mb = (b) => `${(b / 1e6).toFixed(1)} MB`;
  console.log('| catalog | items | row type | build | restore cold / warm | ratio cold / warm | snapshot | heap after build / restore | per item |');
  console.log('|---|---:|---|---:|---:|---:|---:|---:|---:|');
  for (const s of j.sets) {
    console.log(`| ${s.name} | ${s.items} | ${s.dtype} | ${s.build_ms} ms | ${s.restore_ms} / ${s.restore_warm_ms} ms | ${s.ratio}x / ${s.ratio_warm}x | ${mb(s.snapshot_bytes)} | ${mb(s.heap_bytes)} / ${mb(s.heap_bytes_restored)} | ${Math.round(s.heap_bytes_restored / s.items)} B |`);
  }
  if (j.absent.length) console.log(`\nabsent: ${j.absent.join(', ')}`);
}

async function main() {
  const o = parseArgs(process.argv);
  const lib = await import(pathToFileURL(path.join(o.dist, 'index.mjs')).href);
  const sets = [];
  const absent = [];
  for (const name of ['amazon-beauty', 'amazon-office']) {
    const dir = dataSet(name);
    if (dir) sets.push([name, path.join(dir, 'items.jsonl')]);
    else absent.push(name);
  }
  sets.push(['sample-shop', path.join(sampleDataSet(), 'items.jsonl')]);
  sets.push([`generated-${o.items}`, writeGeneratedCatalog({ items: o.items })]);
  const out = { node: process.version, reps: o.reps, sets: [], absent };
  for (const [name, file] of sets) {
    for (const dtype of ['f32', 'int8']) {
      const m = await measure(lib, name, file, dtype, o.reps);
      out.sets.push(m);
      console.error(`${name} ${dtype}: build ${m.build_ms} ms, restore ${m.restore_ms} ms (${m.ratio}x)`);
    }
  }
  report(out);
  if (o.json) {
    await writeFile(o.json, JSON.stringify(out, null, 2) + '\n');
    console.log(`\nJSON written to ${o.json}`);
  }
}

await main();
