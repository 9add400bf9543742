// Pipeline benchmark: what one recommendation costs in the wasm module (Emscripten
// build, Node), with real items of a data set for the texts.
//
//   node wasm-tests/bench/pipeline.bench.mjs [--json FILE] [--data DIR] [--dist DIR]
//        [--profile-dist DIR] [--reps 30] [--latency 100] [--batches 1,5,10,25]
//        [--concurrent 100] [--quick]
// --data defaults to amazon-beauty under $ARAG_DATA_ROOT, else the sample data set.
//
// 1. Host backend, zero-latency provider (a JS function that answers every agent at
//    once): CPU ms per recommendation (50 candidates, 200 history events), split into
//    time inside the module and in the JS host. With --profile-dist (a build linked
//    with --profiling-funcs, so wasm functions keep their names; default
//    build/emscripten-prof when it exists) a V8 sampling profile gives the share of
//    the module's time that is not JSON (cJSON, escaping, number printing) or prompt
//    building (the renderer).
// 2. A provider that answers after --latency ms: wall time per recommendation, calls
//    and prompt characters at each NLI batch size, with the default concurrency
//    (engine max_in_flight 6, adapter concurrency 6) and with room for every call of
//    the first round (max_in_flight 64, concurrency 64). Three rounds (UUA || NLI,
//    CSA, IRA) take about 3x the latency.
// 3. --concurrent recommendations at once in one module (one recommender per user,
//    sharing the module): throughput and peak wasm memory (wasm memory never shrinks,
//    so its size at the end is the peak).
// 4. Offline backend: one recommendation with 50 candidates and 50 history events,
//    events and candidates as item objects with their text (embedded inside the
//    timed region: history add + recommend), and with catalog ids.
// 5. Catalog memory: the wasm memory of a fresh module that holds the data set's
//    catalog (its peak while loading), and the heap in use for the catalog; f32 and
//    int8 catalogs; the heap that 100 histories of 200 events take.
//
// Writes {"cpu_ms_per_rec", "latency_runs": [{"batch", "call_latency_ms", "wall_ms",
// "calls", "prompt_chars", ...}], "concurrent": {"recs", "recs_per_s",
// "peak_wasm_bytes", ...}, "offline_ms_per_rec", "offline_ms_per_rec_catalog", ...,
// "catalog_wasm_bytes", "catalog_wasm_growth_bytes", "catalog_heap_bytes",
// "catalog_heap_bytes_per_item", "catalog_int8_heap_bytes", ...}
// and prints Markdown tables. Numbers only: nothing here asserts a timing.
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dataSet, sampleDataSet } from '../helpers/data.mjs';
import { heapInUse } from '../helpers/common.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function parseArgs(argv) {
  const o = {
    json: null,
    data: null,
    dist: path.join(ROOT, 'dist'),
    profileDist: path.join(ROOT, 'build', 'emscripten-prof'),
    reps: 30,
    latency: 100,
    batches: [1, 5, 10, 25],
    concurrent: 100,
    candidates: 50,
    events: 200,
    offlineEvents: 50,
    seed: 1,
  };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === '--quick') {
      o.reps = 5;
      o.concurrent = 20;
      continue;
    }
    if (a === '--help') {
      console.log('usage: node wasm-tests/bench/pipeline.bench.mjs [--json FILE] [--data DIR] [--dist DIR] ' +
        '[--profile-dist DIR] [--reps N] [--latency MS] [--batches 1,5,10,25] [--concurrent N] [--quick]');
      process.exit(0);
    }
    if (v === undefined) throw new Error(`${a} needs a value`);
    if (a === '--json') o.json = v;
    else if (a === '--data') o.data = path.resolve(v);
    else if (a === '--dist') o.dist = path.resolve(v);
    else if (a === '--profile-dist') o.profileDist = path.resolve(v);
    else if (a === '--reps') o.reps = Number(v);
    else if (a === '--latency') o.latency = Number(v);
    else if (a === '--batches') o.batches = v.split(',').map(Number);
    else if (a === '--concurrent') o.concurrent = Number(v);
    else if (a === '--seed') o.seed = Number(v);
    else throw new Error(`unknown option ${a}`);
    i++;
  }
  o.data ||= dataSet('amazon-beauty') || sampleDataSet();
  return o;
}

// ---------------------------------------------------------------------------
// data: real items, users padded to the event count with other real items

function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function readJsonl(file) {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

function loadData(dir) {
  const items = readJsonl(path.join(dir, 'items.jsonl')).map(({ vector, ...rest }) => rest);
  const byId = new Map(items.map((it) => [it.id, it]));
  const seqs = new Map();
  for (const r of readJsonl(path.join(dir, 'interactions.jsonl'))) {
    if (!byId.has(r.item)) continue;
    if (!seqs.has(r.user)) seqs.set(r.user, []);
    seqs.get(r.user).push(r);
  }
  const users = [...seqs.values()].filter((s) => s.length >= 5).map((s) => s.sort((a, b) => a.ts - b.ts));
  return { items, byId, users };
}

/** One user's case: nEvents history items (real ones, padded), nCands candidates with the target. */
function makeCase(data, u, nEvents, nCands, seed) {
  const r = rng(seed);
  const seq = data.users[u % data.users.length];
  const target = seq[seq.length - 1].item;
  const own = seq.slice(0, -1).map((x) => x.item).slice(-nEvents);
  const used = new Set([target, ...seq.map((x) => x.item)]);
  const draw = () => {
    for (;;) {
      const it = data.items[Math.floor(r() * data.items.length)];
      if (!used.has(it.id)) {
        used.add(it.id);
        return it.id;
      }
    }
  };
  const pad = [];
  while (pad.length + own.length < nEvents) pad.push(draw());
  const historyIds = [...pad, ...own];
  const candIds = [target];
  while (candIds.length < nCands) candIds.push(draw());
  const pos = Math.floor(r() * nCands);
  [candIds[0], candIds[pos]] = [candIds[pos], candIds[0]];
  const kinds = ['view', 'view', 'cart', 'purchase'];
  return {
    target,
    events: historyIds.map((id, i) => ({ ...data.byId.get(id), ts: i, kind: kinds[i % 4] })),
    eventIds: historyIds.map((id, i) => ({ id, ts: i, kind: kinds[i % 4] })),
    candidates: candIds.map((id) => data.byId.get(id)),
    candidateIds: candIds,
  };
}

// ---------------------------------------------------------------------------
// a scripted provider: valid answers for every agent, built from the request

function candidateIds(user) {
  const ids = [];
  for (const line of user.split('\n')) {
    if (!line.startsWith('{')) continue;
    const m = /"id":"((?:[^"\\]|\\.)*)"/.exec(line);
    if (m && line.includes('"title"')) ids.push(JSON.parse(`"${m[1]}"`));
  }
  return ids;
}

function answer(req) {
  const user = req.messages[req.messages.length - 1].content;
  switch (req.agent) {
    case 'uua':
      return { summary: 'Buys hair and skin care; prefers gentle, fragrance-free products.', interests: ['hair care', 'skin care'] };
    case 'csa':
      return { summary: 'Accepted items match the skin and hair care interests.' };
    case 'nli': {
      // the events come first: only the lines after "candidates:" are candidates
      const after = user.slice(user.indexOf('\ncandidates:'));
      return {
        items: candidateIds(after).map((id, i) => ({
          id,
          score: ((i * 37) % 100) / 100,
          label: i % 3 === 0 ? 'supports' : 'neutral',
          rationale: 'Shares a category with recent purchases.',
        })),
      };
    }
    case 'ira': {
      const ids = candidateIds(user.slice(user.indexOf('\ncandidates:')));
      return { ranking: ids.reverse().map((id) => ({ id, reason: 'Close to the user summary.' })) };
    }
    default:
      throw new Error(`unknown agent ${req.agent}`);
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------
// timing helpers

const now = () => performance.now();
/** CPU time of this process in ms (all its threads: the main one, GC and compiler helpers). */
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
function median(v) {
  const s = [...v].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}
const round = (x, d = 3) => (Number.isFinite(x) ? Number(x.toFixed(d)) : null);

/** Accumulates the time spent inside the module's exports (minus the host fetch callbacks). */
function instrument(raw) {
  const t = { module: 0, fetch: 0, depth: 0 };
  const fn = raw.fn;
  const wrapped = new Map();
  raw.fn = new Proxy(fn, {
    get(target, key) {
      const f = target[key];
      if (typeof f !== 'function' || typeof key !== 'string' || !key.startsWith('arag_')) return f;
      if (!wrapped.has(f)) {
        wrapped.set(f, (...a) => {
          if (t.depth++ > 0) return f(...a);
          const t0 = now();
          try {
            return f(...a);
          } finally {
            t.depth--;
            t.module += now() - t0;
          }
        });
      }
      return wrapped.get(f);
    },
  });
  const hostFetch = raw._hostFetch.bind(raw);
  raw._hostFetch = (...a) => {
    const t0 = now();
    try {
      return hostFetch(...a);
    } finally {
      t.fetch += now() - t0;
    }
  };
  return t;
}

// ---------------------------------------------------------------------------

async function main() {
  const o = parseArgs(process.argv);
  const indexFile = path.join(o.dist, 'index.mjs');
  if (!existsSync(indexFile)) throw new Error(`${indexFile} is missing: run \`make wasm\` first`);
  const lib = await import(pathToFileURL(indexFile).href);
  const { createArag, createRecommender, fromFunction } = lib;
  const data = loadData(o.data);
  const out = {
    data: path.relative(ROOT, o.data),
    node: process.version,
    cpus: os.cpus().length,
    candidates: o.candidates,
    history_events: o.events,
  };

  // 1. CPU cost with a zero-latency provider ------------------------------------
  const arag = await createArag({ kind: 'emscripten' });
  const t = instrument(arag.raw);
  const zero = fromFunction(async (req) => ({ content: answer(req) }), { concurrency: 1000, retries: 0 });
  const rec = await createRecommender({ arag, llm: zero });
  const cases = [];
  for (let u = 0; u < Math.max(o.reps, 1); u++) cases.push(makeCase(data, u, o.events, o.candidates, o.seed * 7919 + u));
  const cpu = [];
  const wallZero = [];
  const inModule = [];
  let lastUsage = null;
  for (let i = 0; i < o.reps + 3; i++) {
    const c = cases[i % cases.length];
    rec.history.clear();
    rec.history.add(c.events);
    const m0 = t.module - t.fetch;
    const c0 = cpuNow();
    const t0 = now();
    const r = await rec.recommend({ candidates: c.candidates });
    const dt = now() - t0;
    const dc = cpuNow() - c0;
    if (r.degraded.length) throw new Error(`degraded run: ${r.degraded.join(', ')}`);
    if (i >= 3) {
      cpu.push(dc);
      wallZero.push(dt);
      inModule.push(t.module - t.fetch - m0);
    }
    lastUsage = r.usage;
  }
  // CPU time of the process (the machine may be shared: wall time also counts waiting)
  out.cpu_ms_per_rec = round(median(cpu));
  out.cpu_wall_ms_per_rec = round(median(wallZero));
  out.cpu_ms_per_rec_module = round(median(inModule));
  out.cpu_calls_per_rec = lastUsage.calls;
  out.cpu_prompt_chars_per_rec = lastUsage.prompt_chars;
  const share = await profileShare(o, data, cases, answer);
  out.module_share_not_json_or_prompt = share ? round(share.other, 3) : null;
  out.module_profile = share;
  rec.free();

  // 2. Provider latency and batch sizes -----------------------------------------
  out.latency_runs = [];
  const latencyReps = o.reps >= 10 ? 3 : 1;
  for (const wide of [false, true]) {
    for (const batch of o.batches) {
      const slow = fromFunction(
        async (req) => {
          await sleep(o.latency);
          return { content: answer(req) };
        },
        wide ? { concurrency: 64, retries: 0 } : { retries: 0 }
      );
      const config = { nli_batch: batch, ...(wide ? { max_in_flight: 64 } : {}) };
      const r2 = await createRecommender({ arag, llm: slow, config });
      const walls = [];
      let usage = null;
      for (let i = 0; i < latencyReps; i++) {
        const c = cases[i % cases.length];
        r2.history.clear();
        r2.history.add(c.events);
        const t0 = now();
        const r = await r2.recommend({ candidates: c.candidates });
        walls.push(now() - t0);
        if (r.degraded.length) throw new Error(`degraded run: ${r.degraded.join(', ')}`);
        usage = r.usage;
      }
      const wall = median(walls);
      out.latency_runs.push({
        batch,
        call_latency_ms: o.latency,
        wall_ms: round(wall, 1),
        calls: usage.calls,
        prompt_chars: usage.prompt_chars,
        rounds: round(wall / o.latency, 2),
        max_in_flight: r2.config.max_in_flight,
        adapter_concurrency: wide ? 64 : 6,
      });
      r2.free();
    }
  }

  // 3. Many users at once in one module ------------------------------------------
  const conc = {};
  for (const latency of [o.latency, 0]) {
    const arag3 = await createArag({ kind: 'emscripten' });
    const shared = fromFunction(
      async (req) => {
        if (latency) await sleep(latency);
        return { content: answer(req) };
      },
      { concurrency: 100000, retries: 0 }
    );
    const recs = [];
    for (let u = 0; u < o.concurrent; u++) {
      const r = await createRecommender({ arag: arag3, llm: shared });
      const c = makeCase(data, u, o.events, o.candidates, o.seed * 104729 + u);
      r.history.add(c.events);
      recs.push([r, c]);
    }
    const mem0 = arag3.raw.u8().buffer.byteLength;
    const t0 = now();
    const results = await Promise.all(recs.map(([r, c]) => r.recommend({ candidates: c.candidates })));
    const wall = now() - t0;
    const degraded = results.filter((r) => r.degraded.length).length;
    const mem = arag3.raw.u8().buffer.byteLength;
    for (const [r] of recs) r.free();
    if (latency) {
      Object.assign(conc, {
        recs: o.concurrent,
        call_latency_ms: latency,
        wall_ms: round(wall, 1),
        recs_per_s: round((o.concurrent * 1000) / wall, 1),
        peak_wasm_bytes: mem,
        wasm_bytes_before: mem0,
        degraded_recs: degraded,
      });
    } else {
      conc.recs_per_s_zero_latency = round((o.concurrent * 1000) / wall, 1);
      conc.peak_wasm_bytes_zero_latency = mem;
    }
  }
  out.concurrent = conc;

  // 4. Offline backend --------------------------------------------------------------
  const arag4 = await createArag({ kind: 'emscripten' });
  const t4 = instrument(arag4.raw);
  const off = await createRecommender({ arag: arag4 });
  const offCases = [];
  for (let u = 0; u < Math.max(o.reps, 1); u++) offCases.push(makeCase(data, u, o.offlineEvents, o.candidates, o.seed * 31 + u));
  const runOffline = async (r, hist, cands, tt) => {
    const ms = [];
    const cpu = [];
    const mod = [];
    for (let i = 0; i < o.reps + 3; i++) {
      const c = offCases[i % offCases.length];
      const m0 = tt.module;
      const c0 = cpuNow();
      const t0 = now();
      r.history.clear();
      r.history.add(hist(c));
      const res = await r.recommend({ candidates: cands(c) });
      const dt = now() - t0;
      const dc = cpuNow() - c0;
      if (res.items.length === 0) throw new Error('offline recommendation returned nothing');
      if (i >= 3) {
        ms.push(dt);
        cpu.push(dc);
        mod.push(tt.module - m0);
      }
    }
    return [median(ms), median(mod), median(cpu)];
  };
  const [offMs, offMod, offCpu] = await runOffline(off, (c) => c.events, (c) => c.candidates, t4);
  out.offline_ms_per_rec = round(offMs);
  out.offline_ms_per_rec_module = round(offMod);
  out.offline_cpu_ms_per_rec = round(offCpu);
  const offCat = await createRecommender({ arag: arag4, catalog: data.items });
  const [catMs, catMod, catCpu] = await runOffline(offCat, (c) => c.eventIds, (c) => c.candidateIds, t4);
  out.offline_ms_per_rec_catalog = round(catMs);
  out.offline_ms_per_rec_catalog_module = round(catMod);
  out.offline_cpu_ms_per_rec_catalog = round(catCpu);
  out.offline_history_events = o.offlineEvents;
  off.free();
  offCat.free();

  // 5. Catalog memory ------------------------------------------------------------------
  // Fresh modules, one without and one with the data set's whole catalog: the wasm
  // memory (it never shrinks, so this is the peak while loading; the module starts
  // with 16 MiB) and the heap in use after loading.
  const fresh = async (items, catalogDtype = 'f32') => {
    const a = await createArag({ kind: 'emscripten' });
    const before = a.raw.u8().buffer.byteLength;
    const r = await createRecommender({ arag: a, catalog: items, catalogDtype });
    const after = a.raw.u8().buffer.byteLength;
    const inUse = heapInUse(a.raw);
    r.free();
    return { before, after, inUse };
  };
  const empty = await fresh(undefined);
  const full = await fresh(data.items);
  out.catalog_items = data.items.length;
  out.catalog_wasm_bytes = full.after;
  out.catalog_wasm_growth_bytes = full.after - full.before;
  out.catalog_heap_bytes = full.inUse - empty.inUse;
  out.catalog_heap_bytes_per_item = Math.round(out.catalog_heap_bytes / data.items.length);
  // Histories: 100 shoppers with 200 events each in one module, events as catalog ids
  // only (the usual storefront form: text and vector come from the catalog) and with
  // their text.
  const histories = async (idOnly) => {
    const a = await createArag({ kind: 'emscripten' });
    const rs = [];
    for (let u = 0; u < 100; u++) {
      const r = await createRecommender({ arag: a });
      const evs = [];
      for (let i = 0; i < 200; i++) {
        const it = data.items[(u * 50 + i) % data.items.length];
        evs.push(idOnly ? { id: it.id, ts: i } : { ...it, ts: i });
      }
      r.history.add(evs);
      rs.push(r);
    }
    return heapInUse(a.raw) - empty.inUse;
  };
  out.histories_id_only_heap_bytes = await histories(true);
  out.histories_text_heap_bytes = await histories(false);
  const full8 = await fresh(data.items, 'int8');
  out.catalog_int8_wasm_bytes = full8.after;
  out.catalog_int8_heap_bytes = full8.inUse - empty.inUse;
  out.catalog_int8_heap_bytes_per_item = Math.round(out.catalog_int8_heap_bytes / data.items.length);

  report(out);
  if (o.json) {
    await writeFile(o.json, JSON.stringify(out, null, 2) + '\n');
    console.log(`\nJSON written to ${o.json}`);
  }
}


// ---------------------------------------------------------------------------
// where the module's time goes (needs a build with wasm function names)

const JSON_FN = /^(cJSON|print_|parse_|ensure|update_offset|buffer_skip|skip_utf8|cJSON_strdup|get_decimal|case_insensitive|add_item|create_reference|suffix_object|arag_jw_|json_text_core|arag_sb_json_text|strip_fence|may_hold_fence|utf8_seq|arag_extract_json|strto|__strto|sprintf|snprintf|vsnprintf|vfprintf|__vfprintf|printf_core|fmt_|pop_arg|out$|pad$|sscanf|vsscanf|__vfscanf|vfscanf|__floatscan|__intscan|scanexp|decfloat|hexfloat|frexp|fmt_fp|fmt_u|fmt_x|fmt_o|getint|__shgetc|__shlim|__uflow|__toread|sn_write|string_read|do_read|arag_bb_messages)/;
const PROMPT_FN = /^(arag_render|render_user|put_|memo_slot|arag_sb_|arag_response_schema|arag_prompt_get|kind_name|label_name)/;

async function profileShare(o, data, cases, answerFn) {
  const idx = path.join(o.profileDist, 'index.mjs');
  if (!existsSync(idx)) return null;
  const lib = await import(pathToFileURL(idx).href);
  const arag = await lib.createArag({ kind: 'emscripten' });
  const zero = lib.fromFunction(async (req) => ({ content: answerFn(req) }), { concurrency: 1000, retries: 0 });
  const rec = await lib.createRecommender({ arag, llm: zero });
  const session = new Session();
  session.connect();
  const post = (m, p = {}) => new Promise((res, rej) => session.post(m, p, (e, r) => (e ? rej(e) : res(r))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 50 });
  await post('Profiler.start');
  for (let i = 0; i < Math.max(20, o.reps); i++) {
    const c = cases[i % cases.length];
    rec.history.clear();
    rec.history.add(c.events);
    await rec.recommend({ candidates: c.candidates });
  }
  const { profile } = await post('Profiler.stop');
  session.disconnect();
  rec.free();
  // self samples per function; wasm frames carry their module's URL
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const hits = new Map();
  for (const s of profile.samples) hits.set(s, (hits.get(s) || 0) + 1);
  let json = 0;
  let prompt = 0;
  let other = 0;
  const top = new Map();
  for (const [id, n] of hits) {
    const f = byNode.get(id).callFrame;
    const wasm = f.url.endsWith('.wasm') || /^wasm:|wasm-function/.test(f.url) || f.url.includes('wasm://');
    if (!wasm) continue;
    const name = f.functionName.replace(/^\$/, '');
    top.set(name, (top.get(name) || 0) + n);
    if (JSON_FN.test(name)) json += n;
    else if (PROMPT_FN.test(name)) prompt += n;
    else other += n;
  }
  const total = json + prompt + other;
  if (!total) return null;
  return {
    samples: total,
    json: Number((json / total).toFixed(3)),
    prompt: Number((prompt / total).toFixed(3)),
    other: Number((other / total).toFixed(3)),
    top: [...top.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([fn, n]) => ({ fn, share: Number((n / total).toFixed(3)) })),
  };
}

function report(out) {
  console.log(`## Pipeline benchmark (${out.data}, ${out.candidates} candidates, ${out.history_events} history events, Node ${out.node})\n`);
  console.log('| measure | value |');
  console.log('|---|---|');
  console.log(`| CPU ms per recommendation, zero-latency provider (host backend) | ${out.cpu_ms_per_rec} (wall ${out.cpu_wall_ms_per_rec}) |`);
  console.log(`| of which inside the module (wall) | ${out.cpu_ms_per_rec_module} |`);
  console.log(`| calls / prompt chars per recommendation | ${out.cpu_calls_per_rec} / ${out.cpu_prompt_chars_per_rec} |`);
  const p = out.module_profile;
  console.log(`| module time not JSON or prompt building | ${p ? `${(p.other * 100).toFixed(1)}% (JSON ${(p.json * 100).toFixed(1)}%, prompts ${(p.prompt * 100).toFixed(1)}%)` : 'n/a (no profiling build)'} |`);
  console.log(`| offline ms per recommendation, ${out.offline_history_events} events + ${out.candidates} candidates with text (wall; module; CPU) | ${out.offline_ms_per_rec}; ${out.offline_ms_per_rec_module}; ${out.offline_cpu_ms_per_rec} |`);
  console.log(`| offline ms per recommendation, catalog ids (wall; module; CPU) | ${out.offline_ms_per_rec_catalog}; ${out.offline_ms_per_rec_catalog_module}; ${out.offline_cpu_ms_per_rec_catalog} |`);
  console.log(`| fresh module holding the whole catalog (${out.catalog_items} items): wasm memory, bytes (grown by) | ${out.catalog_wasm_bytes} (${out.catalog_wasm_growth_bytes}) |`);
  console.log(`| heap in use for the catalog, bytes; per item | ${out.catalog_heap_bytes}; ${out.catalog_heap_bytes_per_item} |`);
  console.log(`| the same with an int8 catalog (catalogDtype 'int8'): heap bytes; per item; wasm memory | ${out.catalog_int8_heap_bytes}; ${out.catalog_int8_heap_bytes_per_item}; ${out.catalog_int8_wasm_bytes} |`);
  console.log(`| 100 histories of 200 events in one module, heap bytes: events as ids only; with their text | ${out.histories_id_only_heap_bytes}; ${out.histories_text_heap_bytes} |`);
  console.log('\n| NLI batch | max_in_flight | adapter concurrency | call latency ms | wall ms | rounds | calls | prompt chars |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of out.latency_runs) {
    console.log(`| ${r.batch} | ${r.max_in_flight} | ${r.adapter_concurrency} | ${r.call_latency_ms} | ${r.wall_ms} | ${r.rounds} | ${r.calls} | ${r.prompt_chars} |`);
  }
  const c = out.concurrent;
  console.log(`\n| concurrent recommendations | call latency ms | wall ms | recs/s | recs/s (zero latency) | peak wasm bytes |`);
  console.log('|---|---|---|---|---|---|');
  console.log(`| ${c.recs} | ${c.call_latency_ms} | ${c.wall_ms} | ${c.recs_per_s} | ${c.recs_per_s_zero_latency} | ${c.peak_wasm_bytes} |`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
