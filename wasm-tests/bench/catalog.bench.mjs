// Catalog benchmark: building a catalog from items.jsonl against restoring its snapshot,
// and what a catalog holds, in the wasm module (Emscripten build, Node), f32 and int8.
//
//   node wasm-tests/bench/catalog.bench.mjs [--json FILE] [--reps 5] [--items 100000]
//        [--dist DIR] [--versus ROOT] [--only NAME,...] [--dtype f32|int8] [--quick]
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
//   floor    the snapshot's bytes written into a fresh module's memory and nothing else
//            (malloc and one copy): what any restore in a fresh module pays at least,
//            since the module's pages are touched for the first time;
//   parts    a restore in a fresh module cut where restore() does its steps, with the
//            module's own calls: the empty catalog, the bytes written 128 KiB at a time
//            (the copy), the checksum and row checks after each piece (the feed), the
//            restore call (items, the index's id map, word counts);
// the fastest and the median of each and their ratios, the snapshot's size, the heap the
// catalog holds after either (to within 64 KiB: a fresh module's heap is filled to find
// it) and the wasm memory each leaves behind (its peak: wasm memory never shrinks). With a
// native build (build/native/catalog_native) the same two timings natively.
//
// --versus ROOT: another build of the library, side by side (ROOT/dist and, when built,
// ROOT/build/native/catalog_native; e.g. a worktree of main after make wasm native): each
// round builds and restores with both, taking turns which goes first, so both see the same
// machine. Its figures go under "versus" in each set, with the ratio of the restores.
//
// Writes {"node", "reps", "versus"?, "sets": [{"name", "items", "dtype", "build_ms",
// "restore_ms", "restore_warm_ms", "restore_floor_ms", "ratio", "ratio_warm",
// "ratio_floor", the medians (*_median), every round (*_all), "snapshot_bytes",
// "heap_bytes", "heap_bytes_restored", "wasm_bytes_built", "wasm_bytes_restored",
// "accounted_bytes", "parts": {"create_ms", "copy_ms", "feed_ms", "call_ms", each the
// median of the rounds}, "native": {...}, "versus"?: {...}}], "absent": [...]} (ratio: the
// fastest build over the fastest restore; ratio_median: the medians') and prints a
// Markdown table. Numbers only: nothing here asserts a timing.
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
  const o = { json: null, reps: 5, items: 100000, dist: path.join(ROOT, 'dist'), versus: null, only: null, dtypes: ['f32', 'int8'] };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === '--json') o.json = v;
    else if (a === '--reps') o.reps = Number(v);
    else if (a === '--items') o.items = Number(v);
    else if (a === '--dist') o.dist = v;
    else if (a === '--versus') o.versus = path.resolve(v);
    else if (a === '--only') o.only = v.split(',');
    else if (a === '--dtype') o.dtypes = [v];
    else if (a === '--quick') {
      o.reps = 1;
      o.items = 10000;
      continue;
    } else {
      console.log('usage: node wasm-tests/bench/catalog.bench.mjs [--json FILE] [--reps N] [--items N] [--dist DIR] [--versus ROOT] [--only NAME,...] [--dtype f32|int8] [--quick]');
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

// One build of the library: its module, its native tool (or null) and what it measured.
function build(dist, native) {
  return { dist, native: native && existsSync(native) ? native : null, lib: null };
}

// One round of a build: items.jsonl into a catalog in a fresh module, its snapshot restored
// in another fresh module, then again in that module (warm). Returns the times and, on
// the last round, the memory figures.
async function round1(lib, parts, dtype, snap, last, empty) {
  const a = await lib.createArag();
  let t0 = performance.now();
  const cat = a.createCatalog({ dtype });
  for (const p of parts) cat.add(p);
  const build = performance.now() - t0;
  const snapshot = snap || cat.snapshot();
  const built = last ? { items: cat.count, accounted: cat.memoryBytes, wasm: a.raw.u8().buffer.byteLength, heap: heapInUse(a.raw) - empty } : null;
  const b = await lib.createArag();
  t0 = performance.now();
  const c2 = b.createCatalog({ snapshot });
  const restore = performance.now() - t0;
  if (c2.count !== cat.count) throw new Error(`restored ${c2.count} items of ${cat.count}`);
  const mem = last ? { accounted: c2.memoryBytes, wasm: b.raw.u8().buffer.byteLength } : null;
  c2.free();
  t0 = performance.now();
  const c3 = b.createCatalog({ snapshot });
  const warm = performance.now() - t0;
  const restored = last ? { ...mem, heap: heapInUse(b.raw) - empty } : null;
  c3.free();
  return { build, restore, warm, snapshot, built, restored };
}

// The floor of a restore in a fresh module: malloc and one copy of the bytes, nothing else.
async function floor1(lib, snapshot) {
  const a = await lib.createArag();
  const t0 = performance.now();
  const p = a.raw.malloc(snapshot.length);
  a.raw.u8().set(snapshot, p);
  const t = performance.now() - t0;
  a.raw.free(p);
  return t;
}

// One restore in a fresh module cut into restore()'s steps (web/src/handles.mjs), timed
// apart; null for a build without those calls (an older --versus build).
async function parts1(lib, snapshot) {
  const a = await lib.createArag();
  const raw = a.raw;
  if (typeof raw.fn.arag_wasm_catalog_fed_new !== 'function') return null;
  let t0 = performance.now();
  const cat = a.createCatalog();
  const create = performance.now() - t0;
  let copy = 0;
  let feed = 0;
  const p = raw.malloc(snapshot.length);
  const fed = raw.need('arag_wasm_catalog_fed_new')(p) >>> 0;
  const feedFn = raw.need('arag_catalog_fed_feed');
  for (let i = 0; i < snapshot.length; i += 128 * 1024) {
    const piece = snapshot.subarray(i, i + 128 * 1024);
    t0 = performance.now();
    raw.u8().set(piece, p + i);
    const t1 = performance.now();
    feedFn(fed, i + piece.length);
    feed += performance.now() - t1;
    copy += t1 - t0;
  }
  t0 = performance.now();
  const st = raw.need('arag_catalog_restore_take_fed')(cat.ptr, p, snapshot.length, fed);
  const call = performance.now() - t0;
  raw.free(fed);
  if (st !== 0) throw new Error(`restore in parts: status ${st}`);
  cat.free();
  return { create, copy, feed, call };
}

function summary(t) {
  const out = {
    build_ms: round(best(t.build)),
    restore_ms: round(best(t.restore)),
    restore_warm_ms: round(best(t.warm)),
    build_ms_median: round(median(t.build)),
    restore_ms_median: round(median(t.restore)),
    restore_warm_ms_median: round(median(t.warm)),
    build_ms_all: t.build.map((x) => round(x)),
    restore_ms_all: t.restore.map((x) => round(x)),
    restore_warm_ms_all: t.warm.map((x) => round(x)),
  };
  out.ratio = round(out.build_ms / out.restore_ms, 1);
  out.ratio_median = round(out.build_ms_median / out.restore_ms_median, 1);
  out.ratio_warm = round(out.build_ms / out.restore_warm_ms, 1);
  return out;
}

function nativeTimes(tool, file, dtype, reps) {
  if (!tool) return undefined;
  const n = JSON.parse(execFileSync(tool, ['bench', file, dtype, String(Math.max(3, reps))], { encoding: 'utf8', maxBuffer: 1 << 20 }));
  return { build_ms: round(n.build_ms), restore_ms: round(n.restore_ms), ratio: round(n.build_ms / n.restore_ms, 1) };
}

async function measure(builds, name, file, dtype, reps) {
  const parts = batches(readFileSync(file, 'utf8'));
  const runs = builds.map(() => ({ build: [], restore: [], warm: [], snapshot: null, last: null }));
  const floor = [];
  const steps = [];
  for (let r = 0; r < reps; r++) {
    // Builds take turns going first, so that neither always follows the other.
    const order = builds.map((_, i) => i);
    if (r % 2) order.reverse();
    for (const i of order) {
      const lib = builds[i].lib;
      const t = runs[i];
      const empty = heapInUse((await lib.createArag()).raw);
      const x = await round1(lib, parts, dtype, t.snapshot, r === reps - 1, empty);
      t.build.push(x.build);
      t.restore.push(x.restore);
      t.warm.push(x.warm);
      t.snapshot = x.snapshot;
      if (x.built) t.last = x;
    }
    floor.push(await floor1(builds[0].lib, runs[0].snapshot));
    steps.push(await parts1(builds[0].lib, runs[0].snapshot));
  }
  const [me, other] = runs;
  const out = { name, items: me.last.built.items, dtype, ...summary(me) };
  out.restore_floor_ms = round(best(floor));
  out.restore_floor_ms_median = round(median(floor));
  out.restore_floor_ms_all = floor.map((x) => round(x));
  out.ratio_floor = round(out.build_ms / out.restore_floor_ms, 1);
  Object.assign(out, {
    snapshot_bytes: me.snapshot.length,
    items_file_bytes: readFileSync(file).length,
    heap_bytes: me.last.built.heap,
    heap_bytes_restored: me.last.restored.heap,
    accounted_bytes: me.last.restored.accounted,
    wasm_bytes_built: me.last.built.wasm,
    wasm_bytes_restored: me.last.restored.wasm,
  });
  if (steps.every(Boolean)) {
    out.parts = {};
    for (const k of ['create', 'copy', 'feed', 'call']) out.parts[`${k}_ms`] = round(median(steps.map((x) => x[k])), 3);
  }
  out.native = nativeTimes(builds[0].native, file, dtype, reps);
  if (other) {
    out.versus = { ...summary(other), snapshot_bytes: other.snapshot.length, native: nativeTimes(builds[1].native, file, dtype, reps) };
    out.versus.restore_speedup = round(out.versus.restore_ms / out.restore_ms, 2);
    out.versus.restore_speedup_median = round(out.versus.restore_ms_median / out.restore_ms_median, 2);
  }
  return out;
}

function report(j) {
  const mb = (b) => `${(b / 1e6).toFixed(1)} MB`;
  console.log('| catalog | items | row type | build best / median | restore cold best / median | floor | ratio best / median | floor ratio | snapshot | heap after build / restore |');
  console.log('|---|---:|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const s of j.sets) {
    console.log(`| ${s.name} | ${s.items} | ${s.dtype} | ${s.build_ms} / ${s.build_ms_median} ms | ${s.restore_ms} / ${s.restore_ms_median} ms | ${s.restore_floor_ms} ms | ${s.ratio}x / ${s.ratio_median}x | ${s.ratio_floor}x | ${mb(s.snapshot_bytes)} | ${mb(s.heap_bytes)} / ${mb(s.heap_bytes_restored)} |`);
  }
  if (j.versus) {
    console.log(`\nversus ${j.versus}:\n`);
    console.log('| catalog | row type | build best / median | restore best / median | ratio best / median | restore: versus ÷ this, best / median |');
    console.log('|---|---|---:|---:|---:|---:|');
    for (const s of j.sets) {
      const v = s.versus;
      console.log(`| ${s.name} | ${s.dtype} | ${v.build_ms} / ${v.build_ms_median} ms | ${v.restore_ms} / ${v.restore_ms_median} ms | ${v.ratio}x / ${v.ratio_median}x | ${v.restore_speedup}x / ${v.restore_speedup_median}x |`);
    }
  }
  if (j.absent.length) console.log(`\nabsent: ${j.absent.join(', ')}`);
}

async function main() {
  const o = parseArgs(process.argv);
  const builds = [build(o.dist, NATIVE)];
  if (o.versus) builds.push(build(path.join(o.versus, 'dist'), path.join(o.versus, 'build', 'native', 'catalog_native')));
  for (const b of builds) b.lib = await import(pathToFileURL(path.join(b.dist, 'index.mjs')).href);
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
  if (o.versus) out.versus = o.versus;
  for (const [name, file] of sets) {
    if (o.only && !o.only.includes(name)) continue;
    for (const dtype of o.dtypes) {
      const m = await measure(builds, name, file, dtype, o.reps);
      out.sets.push(m);
      const v = m.versus ? `; versus: restore ${m.versus.restore_ms} ms (${m.versus.ratio}x), this one ${m.versus.restore_speedup}x faster` : '';
      console.error(`${name} ${dtype}: build ${m.build_ms} ms, restore ${m.restore_ms} ms (${m.ratio}x), floor ${m.restore_floor_ms} ms${v}`);
    }
  }
  report(out);
  if (o.json) {
    await writeFile(o.json, JSON.stringify(out, null, 2) + '\n');
    console.log(`\nJSON written to ${o.json}`);
  }
}

await main();
