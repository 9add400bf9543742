// Index benchmark: exact top-k search on random normalized vectors (dim 384,
// n = 1,000 / 10,000 / 100,000) in one process.
//
//   node wasm-tests/bench/index.bench.mjs [--json FILE] [--sizes 1000,10000,100000]
//        [--dim 384] [--k 10] [--rerank 4] [--queries 200,100,30] [--seed 1]
//
// Engines: arag's Emscripten module (dist/arag.mjs + dist/arag.wasm, raw exports)
// as arag-f32, arag-int8 and arag-int8-rerank; js-loop (plain JS over a
// Float32Array); the npm peers edgevec, voy-search, hnswlib-wasm (brute force),
// @orama/orama and usearch (native, exact search, one thread); and arag's own
// native build (build/native/bench_index_native, from `make native`) as
// native-arag. Recall@k is measured against an exact double-precision scan.
// Also measures the read bandwidth of the wasm module (a SIMD sum over 256 MB).
//
// Writes {"runs":[{"engine","n","dim","k","ms_per_query","recall_at_k",
// "bytes_per_vector","gbps", ...}], "read_gbps", "wasm_bytes", "wasm_gzip_bytes", ...}
// and prints a Markdown table. Numbers only: nothing here asserts a timing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function parseArgs(argv) {
  const o = {
    json: null,
    sizes: [1000, 10000, 100000],
    dim: 384,
    k: 10,
    rerank: 4,
    queries: [200, 100, 30],
    seed: 1,
  };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    const list = () => v.split(',').map(Number);
    if (a === '--json') o.json = v;
    else if (a === '--sizes') o.sizes = list();
    else if (a === '--dim') o.dim = Number(v);
    else if (a === '--k') o.k = Number(v);
    else if (a === '--rerank') o.rerank = Number(v);
    else if (a === '--queries') o.queries = list();
    else if (a === '--seed') o.seed = Number(v);
    else if (a === '--help') {
      console.log('usage: node wasm-tests/bench/index.bench.mjs [--json FILE] [--sizes a,b,c] ' +
        '[--dim D] [--k K] [--rerank R] [--queries qa,qb,qc] [--seed S]');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
    i++;
  }
  return o;
}

// ---------------------------------------------------------------------------
// data

function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
}

// n unit vectors with Gaussian coordinates (uniform on the sphere).
function unitVectors(n, dim, rand) {
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    let ss = 0;
    const o = i * dim;
    for (let j = 0; j < dim; j++) {
      const g = Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand());
      out[o + j] = g;
      ss += g * g;
    }
    const inv = 1 / Math.sqrt(ss);
    for (let j = 0; j < dim; j++) out[o + j] *= inv;
  }
  return out;
}

// Exact top-k (double precision) for each query: the recall reference.
function groundTruth(data, n, dim, queries, nq, k) {
  const truth = [];
  for (let q = 0; q < nq; q++) {
    const qo = q * dim;
    const best = []; // [score, index], best first
    for (let i = 0; i < n; i++) {
      const o = i * dim;
      let s = 0;
      for (let j = 0; j < dim; j++) s += data[o + j] * queries[qo + j];
      if (best.length < k || s > best[best.length - 1][0]) {
        let p = best.length < k ? best.length : k - 1;
        if (best.length < k) best.push(null);
        while (p > 0 && best[p - 1][0] < s) {
          best[p] = best[p - 1];
          p--;
        }
        best[p] = [s, i];
      }
    }
    truth.push(best.map((b) => b[1]));
  }
  return truth;
}

function recallOf(results, truth, k) {
  let hit = 0;
  for (let q = 0; q < truth.length; q++) {
    const t = new Set(truth[q]);
    for (const id of results[q].slice(0, k)) if (t.has(id)) hit++;
  }
  return hit / (truth.length * k);
}

// ---------------------------------------------------------------------------
// timing helper: warm-up, then ROUNDS passes over the queries, every query
// timed. ms_per_query is the mean of the fastest pass (the machine is shared:
// the fastest pass is the one least disturbed by other processes); p50 is the
// median over all timed queries.

const ROUNDS = 3;

async function timeQueries(nq, warm, fn) {
  // Warm-up: at least `warm` queries and 150 ms, so the engines' JIT tiers settle
  // (V8 compiles wasm with Liftoff first and optimizes it in the background).
  const w0 = performance.now();
  for (let i = 0; i < 2000 && (i < warm || performance.now() - w0 < 150); i++) await fn(i % nq);
  const per = [];
  const results = new Array(nq);
  const passes = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    for (let q = 0; q < nq; q++) {
      const a = performance.now();
      results[q] = await fn(q);
      per.push(performance.now() - a);
    }
    passes.push((performance.now() - t0) / nq);
  }
  per.sort((x, y) => x - y);
  return { results, ms: Math.min(...passes), p50: per[Math.floor(per.length / 2)], passes };
}

// ---------------------------------------------------------------------------
// arag (Emscripten module, raw exports)

async function loadArag() {
  const mjs = path.join(ROOT, 'dist', 'arag.mjs');
  const wasmPath = path.join(ROOT, 'dist', 'arag.wasm');
  if (!existsSync(mjs) || !existsSync(wasmPath)) throw new Error('dist/arag.mjs or dist/arag.wasm missing: run make wasm');
  const { default: createAragModule } = await import(mjs);
  const wasmBinary = await readFile(wasmPath);
  const M = await createAragModule({ wasmBinary });
  return { M, wasmBinary };
}

function cString(M, ptr) {
  if (!ptr) return '';
  const h = M.HEAPU8;
  let e = ptr;
  while (h[e]) e++;
  return new TextDecoder().decode(h.subarray(ptr, e));
}

const ARAG_DTYPE = { f32: 0, i8: 1 };

function aragIndex(M, dim, dtype, keepF32) {
  const out = M._malloc(4);
  const st = M._arag_index_create(dim, ARAG_DTYPE[dtype], 0 /* cosine */, keepF32 ? 1 : 0, 0, out);
  const ix = M.HEAPU32[out >> 2];
  M._free(out);
  if (st !== 0) throw new Error(`arag_index_create: status ${st}`);
  return ix;
}

function aragFill(M, ix, data, n, dim) {
  const vec = M._malloc(dim * 4);
  const idBuf = M._malloc(32);
  const enc = new TextEncoder();
  for (let i = 0; i < n; i++) {
    const idBytes = enc.encode(`v${i}`);
    M.HEAPU8.set(idBytes, idBuf);
    M.HEAPF32.set(data.subarray(i * dim, (i + 1) * dim), vec >> 2);
    const st = M._arag_index_add(ix, idBuf, idBytes.length, vec, dim);
    if (st !== 0) throw new Error(`arag_index_add: ${cString(M, M._arag_index_last_error(ix))}`);
  }
  M._free(vec);
  M._free(idBuf);
  if (M._arag_index_compact(ix) !== 0) throw new Error('arag_index_compact failed');
}

async function runArag(M, variant, ctx) {
  const { data, queries, n, dim, k, nq, rerank } = ctx;
  const dtype = variant === 'arag-f32' ? 'f32' : 'i8';
  const keep = variant === 'arag-int8-rerank';
  const rr = keep ? rerank : 0;
  const tb = performance.now();
  const ix = aragIndex(M, dim, dtype, keep);
  aragFill(M, ix, data, n, dim);
  const buildMs = performance.now() - tb;
  const memory = Number(M._arag_index_memory_bytes(ix));
  const qp = M._malloc(dim * 4);
  const slots = M._malloc(k * 4);
  const scores = M._malloc(k * 4);
  const outN = M._malloc(4);
  const t = await timeQueries(nq, 5, (q) => {
    M.HEAPF32.set(queries.subarray(q * dim, (q + 1) * dim), qp >> 2);
    const st = M._arag_index_search(ix, qp, dim, k, 0, 0, rr, slots, scores, outN);
    if (st !== 0) throw new Error(`arag_index_search: ${cString(M, M._arag_index_last_error(ix))}`);
    const got = M.HEAPU32[outN >> 2];
    return Array.from(M.HEAPU32.subarray(slots >> 2, (slots >> 2) + got));
  });
  for (const p of [qp, slots, scores, outN]) M._free(p);
  M._arag_index_free(ix);
  const strideF = Math.ceil(dim / 4) * 4 * 4;
  const rowQ = Math.ceil(dim / 16) * 16 + 4;
  const vecBytes = dtype === 'f32' ? strideF : rowQ + (keep ? strideF : 0);
  const scanned = dtype === 'f32' ? n * strideF : n * rowQ + (keep ? Math.min(n, rr * k) * strideF : 0);
  return {
    t,
    bytes_per_vector: vecBytes,
    memory_bytes_per_vector: memory / n,
    scanned_bytes: scanned,
    build_ms: buildMs,
    ...(keep ? { rerank: rr } : {}),
  };
}

// Read bandwidth of the module: a SIMD sum over a 256 MB buffer (kept for the
// whole run, so it can be re-measured next to each arag run: this machine is
// shared and its bandwidth drifts).
function readProbe(M) {
  const bytes = 256 * 1024 * 1024;
  const p = M._malloc(bytes);
  if (!p) throw new Error('malloc(256 MB) failed');
  M.HEAPF32.fill(1, p >> 2, (p + bytes) >> 2);
  const once = () => {
    const t = performance.now();
    const s = M._arag_bench_read_sum(p, bytes / 4);
    const ms = performance.now() - t;
    if (!(s > 0)) throw new Error(`unexpected sum ${s}`);
    return bytes / (ms * 1e-3) / 1e9;
  };
  const measure = (reps) => {
    const runs = [];
    for (let r = 0; r < reps; r++) runs.push(once());
    runs.sort((a, b) => a - b);
    return { median: runs[Math.floor(reps / 2)], best: runs[reps - 1], runs };
  };
  return { measure, free: () => M._free(p) };
}

// ---------------------------------------------------------------------------
// plain JS

function runJsLoop(ctx) {
  const { data, queries, n, dim, k, nq } = ctx;
  const topS = new Float32Array(k);
  const topI = new Int32Array(k);
  return timeQueries(nq, 3, (q) => {
    const qo = q * dim;
    let m = 0;
    for (let i = 0; i < n; i++) {
      const o = i * dim;
      let s = 0;
      for (let j = 0; j < dim; j++) s += data[o + j] * queries[qo + j];
      if (m < k || s > topS[m - 1]) {
        let p = m < k ? m++ : k - 1;
        while (p > 0 && topS[p - 1] < s) {
          topS[p] = topS[p - 1];
          topI[p] = topI[p - 1];
          p--;
        }
        topS[p] = s;
        topI[p] = i;
      }
    }
    return Array.from(topI.subarray(0, m));
  });
}

// ---------------------------------------------------------------------------
// peers

const peerLoaders = {
  async hnswlib() {
    // hnswlib-wasm's Emscripten loader expects a browser global.
    if (typeof globalThis.window === 'undefined') globalThis.window = globalThis;
    const h = await import('hnswlib-wasm/dist/hnswlib.js');
    return h.loadHnswlib();
  },
  async voy() {
    // voy-search imports its .wasm as an ES module (a bundler feature); wire it by hand.
    const bg = await import('voy-search/voy_search_bg.js');
    const file = path.join(ROOT, 'node_modules', 'voy-search', 'voy_search_bg.wasm');
    const mod = await WebAssembly.compile(await readFile(file));
    const imports = {};
    for (const imp of WebAssembly.Module.imports(mod)) (imports[imp.module] ||= {})[imp.name] = bg[imp.name];
    const inst = await WebAssembly.instantiate(mod, imports);
    bg.__wbg_set_wasm(inst.exports);
    return bg;
  },
  async orama() {
    return import('@orama/orama');
  },
  async edgevec() {
    const ev = await import('edgevec');
    ev.initSync({ module: await readFile(path.join(ROOT, 'node_modules', 'edgevec', 'edgevec_bg.wasm')) });
    return ev;
  },
  async usearch() {
    return import('usearch');
  },
};

const peers = {
  // hnswlib-wasm's BruteforceSearch, inner product on unit vectors.
  async 'hnswlib-wasm'(lib, ctx) {
    const { data, queries, n, dim, k, nq } = ctx;
    const bf = new lib.BruteforceSearch('ip', dim);
    bf.initIndex(n);
    for (let i = 0; i < n; i++) bf.addPoint(data.subarray(i * dim, (i + 1) * dim), i);
    const t = await timeQueries(nq, 3, (q) => bf.searchKnn(queries.subarray(q * dim, (q + 1) * dim), k, undefined).neighbors);
    return { t };
  },
  async 'voy-search'(bg, ctx) {
    const { data, queries, n, dim, k, nq } = ctx;
    const res = { embeddings: [] };
    for (let i = 0; i < n; i++) {
      res.embeddings.push({ id: String(i), title: '', url: '', embeddings: Array.from(data.subarray(i * dim, (i + 1) * dim)) });
    }
    const voy = new bg.Voy(res);
    res.embeddings.length = 0;
    const t = await timeQueries(nq, 3, (q) => voy.search(queries.subarray(q * dim, (q + 1) * dim), k).neighbors.map((x) => Number(x.id)));
    voy.free();
    return { t };
  },
  async '@orama/orama'(o, ctx) {
    const { data, queries, n, dim, k, nq } = ctx;
    const db = o.create({ schema: { e: `vector[${dim}]` } });
    const batch = [];
    for (let i = 0; i < n; i++) batch.push({ id: String(i), e: Array.from(data.subarray(i * dim, (i + 1) * dim)) });
    await o.insertMultiple(db, batch);
    batch.length = 0;
    const t = await timeQueries(nq, 3, async (q) => {
      const r = await o.search(db, {
        mode: 'vector',
        vector: { value: Array.from(queries.subarray(q * dim, (q + 1) * dim)), property: 'e' },
        similarity: -1,
        limit: k,
        includeVectors: false,
      });
      return r.hits.map((h) => Number(h.id));
    });
    return { t };
  },
  // edgevec 0.9.0: its Flat (exact) index accepts binary vectors only; we try it
  // and report its error. Its dot/cosine metrics rank the farthest vectors first,
  // so there is no exact f32 search to compare with.
  async edgevec(ev, ctx) {
    const { data, dim } = ctx;
    const cfg = new ev.EdgeVecConfig(dim);
    cfg.indexType = ev.JsIndexType.Flat;
    cfg.metric = 'l2';
    const ix = new ev.EdgeVec(cfg);
    try {
      ix.insert(data.slice(0, dim));
    } catch (e) {
      throw new Error(`FlatIndex: ${e && e.message ? e.message : JSON.stringify(e)}`);
    }
    throw new Error('FlatIndex accepted an f32 vector: not benchmarked by this version of the script');
  },
  // usearch's exactSearch (native addon), one thread, inner product.
  async usearch(u, ctx) {
    const { data, queries, dim, k, nq } = ctx;
    const t = await timeQueries(nq, 3, (q) => {
      // A copy: the addon reads the typed array from the start of its buffer.
      const r = u.exactSearch(data, queries.slice(q * dim, (q + 1) * dim), dim, k, u.MetricKind.IP, 1);
      return Array.from(r.keys, Number);
    });
    return { t };
  },
};
const peerLoader = {
  'hnswlib-wasm': 'hnswlib',
  'voy-search': 'voy',
  '@orama/orama': 'orama',
  edgevec: 'edgevec',
  usearch: 'usearch',
};
const peerKind = {
  'hnswlib-wasm': 'wasm',
  'voy-search': 'wasm',
  '@orama/orama': 'js',
  edgevec: 'wasm',
  usearch: 'native',
};

// ---------------------------------------------------------------------------
// native reference (child process)

function runNative(opts, sizes) {
  const exe = path.join(ROOT, 'build', 'native', 'bench_index_native');
  if (!existsSync(exe)) return { error: 'build/native/bench_index_native missing: run make native' };
  const r = spawnSync(exe, ['--n', sizes.join(','), '--dim', String(opts.dim), '--k', String(opts.k), '--dtype', 'both'], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) return { error: `exit ${r.status}: ${(r.stderr || '').trim().slice(0, 300)}` };
  try {
    return JSON.parse(r.stdout);
  } catch (e) {
    return { error: `bad JSON from native tool: ${e.message}` };
  }
}

// ---------------------------------------------------------------------------

function fmt(x, d = 3) {
  if (x === null || x === undefined || Number.isNaN(x)) return '-';
  if (Math.abs(x) >= 100) return x.toFixed(1);
  return x.toFixed(d);
}

async function main() {
  const opts = parseArgs(process.argv);
  // Peers print their own diagnostics (hnswlib-wasm's loader reports that IndexedDB
  // is missing in Node): keep stdout for the table by sending console output to stderr.
  const say = (s) => process.stdout.write(`${s}\n`);
  console.log = (...a) => process.stderr.write(`${a.join(' ')}\n`);
  const { dim, k } = opts;
  const started = performance.now();
  const runs = [];
  const failures = [];
  const log = (s) => process.stderr.write(`${s}\n`);

  const { M, wasmBinary } = await loadArag();
  const probe = readProbe(M);
  const bw = probe.measure(7);
  log(`wasm read bandwidth: median ${bw.median.toFixed(2)} GB/s, best ${bw.best.toFixed(2)} GB/s`);

  const libs = {};
  for (const [name, key] of Object.entries(peerLoader)) {
    try {
      libs[name] = await peerLoaders[key]();
    } catch (e) {
      libs[name] = null;
      failures.push({ engine: name, stage: 'load', error: String(e && e.message ? e.message : e).split('\n')[0] });
      log(`${name}: failed to load: ${failures.at(-1).error}`);
    }
  }

  const queryCounts = {};
  for (let si = 0; si < opts.sizes.length; si++) {
    const n = opts.sizes[si];
    const nq = opts.queries[Math.min(si, opts.queries.length - 1)];
    queryCounts[n] = nq;
    const rand = rng(opts.seed * 7919 + n);
    const data = unitVectors(n, dim, rand);
    const queries = unitVectors(nq, dim, rand);
    const tg = performance.now();
    const truth = groundTruth(data, n, dim, queries, nq, k);
    log(`n=${n}: data ready, exact reference for ${nq} queries in ${(performance.now() - tg).toFixed(0)} ms`);
    const ctx = { data, queries, n, dim, k, nq, rerank: opts.rerank };
    const record = (engine, kind, r, scannedDefault) => {
      const scanned = r.scanned_bytes ?? scannedDefault;
      const run = {
        engine,
        kind,
        n,
        dim,
        k,
        queries: nq,
        ms_per_query: r.t.ms,
        ms_p50: r.t.p50,
        ms_pass: r.t.passes,
        recall_at_k: recallOf(r.t.results, truth, k),
        bytes_per_vector: r.bytes_per_vector ?? dim * 4,
        gbps: scanned / (r.t.ms * 1e-3) / 1e9,
      };
      if (r.memory_bytes_per_vector !== undefined) run.memory_bytes_per_vector = r.memory_bytes_per_vector;
      if (r.rerank !== undefined) run.rerank = r.rerank;
      if (r.build_ms !== undefined) run.build_ms = r.build_ms;
      runs.push(run);
      log(`  ${engine.padEnd(18)} ${fmt(run.ms_per_query, 4)} ms/query  recall ${fmt(run.recall_at_k)}  ${fmt(run.gbps, 2)} GB/s`);
    };
    for (const v of ['arag-f32', 'arag-int8', 'arag-int8-rerank']) {
      try {
        const before = probe.measure(3).median;
        const r = await runArag(M, v, ctx);
        const after = probe.measure(3).median;
        record(v, 'wasm', r, 0);
        runs.at(-1).read_gbps_adjacent = (before + after) / 2;
      } catch (e) {
        failures.push({ engine: v, n, stage: 'run', error: String(e.message || e) });
        log(`  ${v}: ${e.message}`);
      }
    }
    // The native reference right after arag's runs at this size (similar machine load).
    const nat = runNative(opts, [n]);
    if (nat.error) {
      failures.push({ engine: 'native-arag', n, stage: 'run', error: nat.error });
      log(`  native-arag: ${nat.error}`);
    } else {
      for (const r of nat.runs) {
        runs.push({ ...r, kind: 'native' });
        log(`  ${r.engine.padEnd(18)} ${fmt(r.ms_per_query, 4)} ms/query  recall ${fmt(r.recall_at_k)}  ${fmt(r.gbps, 2)} GB/s`);
      }
    }
    record('js-loop', 'js', { t: await runJsLoop(ctx) }, n * dim * 4);
    for (const name of Object.keys(peers)) {
      if (!libs[name]) continue;
      try {
        record(name, peerKind[name], await peers[name](libs[name], ctx), n * dim * 4);
      } catch (e) {
        const error = String(e && e.message ? e.message : e).split('\n')[0];
        failures.push({ engine: name, n, stage: 'run', error });
        log(`  ${name}: failed: ${error}`);
      }
    }
  }

  probe.free();

  const gzip = gzipSync(wasmBinary, { level: 9 }).length;
  const find = (engine, n) => runs.find((r) => r.engine === engine && r.n === n);
  const summary = {};
  const n10 = 10000;
  const n100 = 100000;
  const f10 = find('arag-f32', n10);
  const exactPeers10 = runs.filter((r) => r.n === n10 && ['js', 'wasm'].includes(r.kind) && !r.engine.startsWith('arag') && r.recall_at_k >= 0.99);
  if (f10 && exactPeers10.length) {
    const best = exactPeers10.reduce((a, b) => (a.ms_per_query < b.ms_per_query ? a : b));
    summary.f32_speedup_vs_fastest_exact_wasm_js_peer_at_10k = { peer: best.engine, ratio: best.ms_per_query / f10.ms_per_query };
  }
  const f100 = find('arag-f32', n100);
  const nat100 = find('native-arag', n100);
  const i100 = find('arag-int8', n100);
  if (f100 && nat100) summary.f32_vs_native_at_100k = f100.ms_per_query / nat100.ms_per_query;
  if (f100) {
    summary.f32_fraction_of_read_bandwidth_at_100k = f100.gbps / bw.median;
    summary.f32_fraction_of_adjacent_read_bandwidth_at_100k = f100.gbps / f100.read_gbps_adjacent;
  }
  if (f100 && i100) {
    summary.int8_bytes_fraction_of_f32 = i100.bytes_per_vector / f100.bytes_per_vector;
    summary.int8_speedup_vs_f32_at_100k = f100.ms_per_query / i100.ms_per_query;
  }
  const i8runs = runs.filter((r) => r.engine === 'arag-int8');
  if (i8runs.length) summary.int8_min_recall = Math.min(...i8runs.map((r) => r.recall_at_k));
  const rr = runs.filter((r) => r.engine === 'arag-int8-rerank');
  if (rr.length) summary.int8_rerank_min_recall = Math.min(...rr.map((r) => r.recall_at_k));

  const out = {
    runs,
    read_gbps: bw.median,
    read_gbps_best: bw.best,
    wasm_bytes: wasmBinary.length,
    wasm_gzip_bytes: gzip,
    failures,
    queries: queryCounts,
    summary,
    env: { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? '', platform: process.platform },
    notes: [
      'ms_per_query: mean per query of the fastest of 3 passes over the queries (after warm-up); ms_pass: every pass; ms_p50: median of all timed queries.',
      'gbps: bytes of vector data a query scans / ms_per_query (peers assumed f32 rows).',
      'read_gbps: median of 7 SIMD sums over 256 MB at start; read_gbps_adjacent (arag runs): median of 3 right before and 3 right after that run, averaged.',
      'bytes_per_vector: vector storage per row (arag: padded row + int8 scale; peers: dim*4); memory_bytes_per_vector: arag_index_memory_bytes / n.',
      'usearch: exactSearch, native addon, 1 thread. native-arag: tools/bench_index_native (make native), its own query counts and recall.',
      'hnswlib-wasm: BruteforceSearch, inner product (its loader prints an IndexedDB assertion in Node; search works). @orama/orama: vector mode, similarity -1.',
      'edgevec 0.9.0: its Flat index takes binary vectors only (the error is reported); its HNSW index is approximate and not measured here.',
    ],
    seconds: (performance.now() - started) / 1000,
  };

  // Markdown table.
  const lines = [];
  lines.push(`| engine | n | queries | ms/query | recall@${k} | bytes/vector | GB/s |`);
  lines.push('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of [...runs].sort((a, b) => a.n - b.n || a.ms_per_query - b.ms_per_query)) {
    lines.push(`| ${r.engine} | ${r.n} | ${r.queries} | ${fmt(r.ms_per_query, 4)} | ${fmt(r.recall_at_k)} | ${Math.round(r.bytes_per_vector)} | ${fmt(r.gbps, 2)} |`);
  }
  for (const f of failures) lines.push(`| ${f.engine} | ${f.n ?? '-'} | - | unavailable: ${f.error.replace(/\|/g, '/')} | | | |`);
  lines.push('');
  lines.push(`wasm read bandwidth (SIMD sum over 256 MB): median ${fmt(bw.median, 2)} GB/s, best ${fmt(bw.best, 2)} GB/s`);
  lines.push(`dist/arag.wasm: ${wasmBinary.length} bytes, ${gzip} gzipped`);
  for (const [key, v] of Object.entries(summary)) lines.push(`${key}: ${typeof v === 'object' ? `${fmt(v.ratio, 2)} (${v.peer})` : fmt(v, 3)}`);
  lines.push(`total ${out.seconds.toFixed(1)} s`);
  say(lines.join('\n'));

  if (opts.json) {
    await writeFile(opts.json, `${JSON.stringify(out, null, 2)}\n`);
    log(`wrote ${opts.json}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
