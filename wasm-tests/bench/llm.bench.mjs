// The LLM path's cost and bounds, measured (numbers, never assertions):
//
//   node wasm-tests/bench/llm.bench.mjs [--json FILE] [--data DIR] [--users 200]
//        [--batches 5,10,20] [--hung-before] [--quick] [--cost-only]
//
// 1. Prompt tokens per recommendation on a data set at the defaults (50 candidates: the
//    target and 49 sampled negatives, the evaluation's protocol; default amazon-beauty
//    under $ARAG_DATA_ROOT, else the sample data set), counted with js-tiktoken's
//    o200k_base over each message as a chat template lays it out, per agent; and the
//    share of NLI's (and of all) prompt tokens that sit in a prefix another call of the
//    same recommendation repeats: "shared" counts a call's longest common token prefix
//    with any other of its calls, "cacheable" only with a call sent before it (what a
//    provider's prefix cache could serve). The model's answers come from the test
//    server's answer function, in process. Also at other NLI batch sizes. Of IRA's
//    tokens, those of the evidence each candidate's line shows (what it may cite): the
//    prompt counted again without them. And what an IRA answer of 50 takes: the offline
//    reasoner's ranking of each user's candidates (its reasons and scores) written in the
//    answer's schema as the prompt shows it, counted the same way, against IRA's
//    max_tokens; and the quartiles of those rankings' scores. --cost-only measures this part alone and keeps the other parts of the
//    --json file as they are.
// 2. Streaming: one recommendation against the fixture server's `stream` behaviour
//    (a token every --token-ms), with and without stream: true, for a model that stops
//    after its JSON, one that adds prose after it, and one that thinks first.
// 3. Memory: a 20 MB answer to the IRA, with the default caps and with the caps raised
//    past it (as before the caps): the module's wasm memory before and after.
// 4. A hung provider (every call hangs) with the default options: when the
//    recommendation settles. --hung-before also measures it with no deadline (the
//    default per-call time-out and retries: about six minutes).
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getEncoding } from 'js-tiktoken';
import { dataSet, sampleDataSet } from '../helpers/data.mjs';
import { answerFor } from '../helpers/openai-test-server.mjs';
import { startProviderFixture } from '../helpers/provider-fixtures.mjs';
import { startOpenAIServer } from '../helpers/openai-test-server.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function parseArgs(argv) {
  const o = { json: null, data: null, users: 200, batches: [5, 10, 20], hungBefore: false, quick: false, tokenMs: 2, costOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => argv[++i];
    if (a === '--json') o.json = v();
    else if (a === '--data') o.data = v();
    else if (a === '--users') o.users = Number(v());
    else if (a === '--batches') o.batches = v().split(',').map(Number);
    else if (a === '--hung-before') o.hungBefore = true;
    else if (a === '--token-ms') o.tokenMs = Number(v());
    else if (a === '--quick') o.quick = true;
    else if (a === '--cost-only') o.costOnly = true;
    else throw new Error(`unknown option ${a}`);
  }
  if (o.quick) o.users = Math.min(o.users, 20);
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const lib = await import(pathToFileURL(path.join(ROOT, 'dist', 'index.mjs')).href);
const { loadDataset, sampleCandidates, withPopularity, popularityCounts, relatedCounts } = await import(pathToFileURL(path.join(ROOT, 'web', 'src', 'eval', 'index.mjs')).href);
const enc = getEncoding('o200k_base');

const dataDir = opts.data || dataSet('amazon-beauty') || sampleDataSet();
const data = await loadDataset(dataDir);
const items = withPopularity(data.items, popularityCounts(data.users), relatedCounts(data.users));
const catIds = data.items.map((i) => i.id);
const arag = await lib.createArag();

/** Token ids of a request's messages as a chat template lays them out. */
function promptTokens(messages) {
  return enc.encode(messages.map((m) => `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`).join(''));
}

function commonPrefix(a, b) {
  const n = Math.min(a.length, b.length);
  let k = 0;
  while (k < n && a[k] === b[k]) k++;
  return k;
}

async function costAt(nliBatch) {
  const calls = [];
  const llm = lib.fromFunction(async (req) => {
    calls.push(req);
    return JSON.stringify(answerFor(req.agent, req.messages));
  });
  const rec = await lib.createRecommender({ arag, llm, config: { nli_batch: nliBatch, session_len: 5, long_term_len: 50 } });
  rec.catalog.handle.add(items.map((i) => i.json).join('\n'));
  const users = data.users.slice(0, opts.users);
  const t = { recs: 0, calls: 0, tokens: 0, chars: 0, byAgent: {}, nli: 0, nliShared: 0, nliCacheable: 0, shared: 0, cacheable: 0, maxTokens: {}, iraEvidence: 0 };
  for (const u of users) {
    const { candidates } = sampleCandidates(catIds, u.history.map((e) => e.item), u.target.item, { user: u.user, seed: 1 });
    rec.history.clear();
    rec.history.add(u.history.map((e) => ({ id: e.item, ts: e.ts })));
    calls.length = 0;
    await rec.recommend({ candidates, k: 50, topK: 50 });
    const seqs = calls.map((r) => ({ agent: r.agent, toks: promptTokens(r.messages), max: r.max_tokens }));
    for (const r of calls) {
      if (r.agent !== 'ira') continue;
      const bare = r.messages.map((m) => ({ ...m, content: m.content.replace(EVIDENCE_FIELD, '') }));
      t.iraEvidence += promptTokens(r.messages).length - promptTokens(bare).length;
    }
    seqs.forEach((s, i) => {
      let shared = 0;
      let cacheable = 0;
      seqs.forEach((o, j) => {
        if (i === j) return;
        const k = commonPrefix(s.toks, o.toks);
        shared = Math.max(shared, k);
        if (j < i) cacheable = Math.max(cacheable, k);
      });
      const n = s.toks.length;
      t.tokens += n;
      t.shared += shared;
      t.cacheable += cacheable;
      const a = (t.byAgent[s.agent] ||= { calls: 0, tokens: 0 });
      a.calls++;
      a.tokens += n;
      (t.maxTokens[s.agent] ||= []).push(s.max);
      if (s.agent === 'nli') {
        t.nli += n;
        t.nliShared += shared;
        t.nliCacheable += cacheable;
      }
    });
    t.calls += calls.length;
    t.chars += calls.reduce((n, r) => n + r.messages.reduce((m, x) => m + x.content.length, 0), 0);
    t.recs++;
  }
  rec.free();
  const per = (x) => Math.round(x / t.recs);
  const maxOf = (a) => (a && a.length ? Math.max(...a) : 0);
  return {
    nli_batch: nliBatch,
    recommendations: t.recs,
    calls_per_rec: t.calls / t.recs,
    prompt_chars_per_rec: per(t.chars),
    prompt_tokens_per_rec: per(t.tokens),
    by_agent: Object.fromEntries(Object.entries(t.byAgent).map(([k, v]) => [k, { calls_per_rec: v.calls / t.recs, prompt_tokens_per_rec: per(v.tokens) }])),
    nli_prompt_tokens_per_rec: per(t.nli),
    ira_evidence_tokens_per_rec: per(t.iraEvidence),
    nli_shared_prefix_share: round4(t.nliShared / t.nli),
    nli_cacheable_prefix_share: round4(t.nliCacheable / t.nli),
    all_shared_prefix_share: round4(t.shared / t.tokens),
    all_cacheable_prefix_share: round4(t.cacheable / t.tokens),
    max_tokens: { uua: maxOf(t.maxTokens.uua), nli: maxOf(t.maxTokens.nli), csa: maxOf(t.maxTokens.csa), ira: maxOf(t.maxTokens.ira) },
  };
}

const round4 = (x) => Math.round(x * 1e4) / 1e4;

/** An IRA answer as the prompt's example lays it out: {"ranking": [{"id": ..., "reason": ..., "score": ...}]}. */
function iraAnswerText(ranking) {
  const entry = (r) => `{"id": ${JSON.stringify(r.id)}, "reason": ${JSON.stringify(r.reason)}, "score": ${r.score}${r.cite && r.cite.length ? `, "cite": ${JSON.stringify(r.cite).replace(/","/g, '", "')}` : ''}}`;
  return `{"ranking": [${ranking.map(entry).join(', ')}]}`;
}

/** An NLI answer as the prompt's example lays it out: {"items": [{"id", "score", "label", "rationale"}]}. */
function nliAnswerText(verdicts) {
  const entry = (r) => `{"id": ${JSON.stringify(r.id)}, "score": ${r.score}, "label": ${JSON.stringify(r.label)}${r.rationale ? `, "rationale": ${JSON.stringify(r.rationale)}` : ''}}`;
  return `{"items": [${verdicts.map(entry).join(', ')}]}`;
}
const cutWords = (s, n) => s.split(/\s+/).slice(0, n).join(' ');
const CITED = 10; // the items of a ranking that cite in the measure (a shelf's k)

/** Tokens of plausible answers: an IRA ranking of 50, the offline reasoner's for each
 * user, its reasons cut to the prompt's 15 words (a model keeping to the prompt) and
 * whole, its first CITED items citing; and the NLI batches of the same recommendations,
 * rationales cut to the prompt's 25 words and whole. Each against the max_tokens the
 * module asks for it. */
async function iraAnswerTokens(cap, nliCap) {
  const rec = await lib.createRecommender({ arag, config: { session_len: 5, long_term_len: 50 } });
  rec.catalog.handle.add(items.map((i) => i.json).join('\n'));
  const cut = [];
  const whole = [];
  const scores = [];
  const firsts = [];
  const citeTokens = []; // per cited item: the tokens of its "cite" member, every entry of its evidence cited
  const nliCut = []; // per NLI batch: [tokens with rationales cut to the prompt's 25 words, verdicts]
  const nliWhole = [];
  for (const u of data.users.slice(0, opts.users)) {
    const { candidates } = sampleCandidates(catIds, u.history.map((e) => e.item), u.target.item, { user: u.user, seed: 1 });
    rec.history.clear();
    rec.history.add(u.history.map((e) => ({ id: e.item, ts: e.ts })));
    const out = await rec.recommend({ candidates, k: 50, topK: 50, trace: true });
    const { ranking } = out.trace.messages.find((m) => m.agent === 'ira').output;
    for (const r of ranking) scores.push(r.score);
    firsts.push(ranking[0].score);
    // The first CITED items cite every entry of their evidence as the prompt shows it
    // (kind, and one history id where the kind has them): a model cites what its reason
    // relies on, so at most this.
    const evidence = new Map(out.items.map((it) => [it.id, it.evidence || []]));
    const citing = ranking.map((r, i) => (i < CITED ? { ...r, cite: (evidence.get(r.id) || []).map((e) => (e.items && e.items.length ? `${e.kind}:${e.items[0]}` : e.kind)) } : r));
    const cutReasons = citing.map((r) => ({ ...r, reason: cutWords(r.reason, 15) }));
    whole.push(enc.encode(iraAnswerText(citing)).length);
    cut.push(enc.encode(iraAnswerText(cutReasons)).length);
    for (const r of cutReasons.slice(0, CITED)) citeTokens.push(enc.encode(iraAnswerText([r])).length - enc.encode(iraAnswerText([{ ...r, cite: [] }])).length);
    for (const m of out.trace.messages.filter((x) => x.agent === 'nli')) {
      const v = m.output.items;
      nliWhole.push([enc.encode(nliAnswerText(v)).length, v.length]);
      nliCut.push([enc.encode(nliAnswerText(v.map((r) => ({ ...r, rationale: r.rationale && cutWords(r.rationale, 25) })))).length, v.length]);
    }
  }
  rec.free();
  const summary = (counts, limit = cap) => {
    counts.sort((x, y) => x - y);
    const q = (p) => counts[Math.min(counts.length - 1, Math.floor(p * counts.length))];
    return { min: counts[0], p50: q(0.5), p95: q(0.95), max: counts[counts.length - 1], over_800: counts.filter((n) => n > 800).length, over_max_tokens: counts.filter((n) => n > limit).length };
  };
  const quartiles = (xs) => {
    xs.sort((x, y) => x - y);
    const q = (p) => round4(xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]);
    return { p25: q(0.25), p50: q(0.5), p75: q(0.75) };
  };
  return {
    answers: cut.length,
    candidates: 50,
    ira_max_tokens: cap,
    reasons_15_words: summary(cut),
    reasons_whole: summary(whole),
    // NLI answers of the same recommendations, per batch (of nli_batch, 10), against the
    // max_tokens each batch was asked with (nli_max_tokens: tokens + tokens_per_cand * n).
    // The "cite" member of each of the first CITED items of the same rankings.
    cited: CITED,
    cite_tokens_per_item: summary(citeTokens, Infinity),
    nli: { batches: nliCut.length, batch: 10, nli_max_tokens: nliCap, rationales_25_words: summary(nliCut.map(([t]) => t), nliCap), rationales_whole: summary(nliWhole.map(([t]) => t), nliCap) },
    // The offline IRA's scores (a logistic, comparable across requests): every candidate's, and the first item's.
    scores: { all: quartiles(scores), first: quartiles(firsts) },
  };
}
// A candidate line's evidence field: ,"evidence":["kind:id",...] (JSON strings).
const EVIDENCE_FIELD = /,"evidence":\[(?:"(?:[^"\\]|\\.)*",?)*\]/g;

async function oneRec(llm, config = {}) {
  const u = data.users[0];
  const { candidates } = sampleCandidates(catIds, u.history.map((e) => e.item), u.target.item, { user: u.user, seed: 1 });
  const rec = await lib.createRecommender({ arag, llm, config: { session_len: 5, long_term_len: 50, ...config } });
  rec.catalog.handle.add(items.map((i) => i.json).join('\n'));
  rec.history.add(u.history.map((e) => ({ id: e.item, ts: e.ts })));
  const t0 = performance.now();
  const out = await rec.recommend({ candidates, k: 10, topK: 50 });
  const ms = performance.now() - t0;
  rec.free();
  return { out, ms };
}

async function streaming() {
  const fx = await startProviderFixture();
  const rows = [];
  try {
    // A first recommendation, untimed: the paths compiled before either is measured.
    fx.set('stream', { tokenMs: 0 });
    await oneRec(lib.openAIChat({ baseURL: fx.baseURL, model: 'm', stream: true }), { deadline_ms: 0 });
    await oneRec(lib.openAIChat({ baseURL: fx.baseURL, model: 'm' }), { deadline_ms: 0 });
    for (const [label, o, cap = {}] of [
      ['JSON only', { trailTokens: 0 }],
      ['JSON, then 100 tokens of prose', { trailTokens: 100 }],
      ['200 tokens of `<think>`, JSON, 100 of prose', { preambleTokens: 200, trailTokens: 100 }],
      ['2,000 tokens of `<think>` (stream: maxThinkChars 2,000; the offline reasoner answers)', { preambleTokens: 2000 }, { maxThinkChars: 2000 }],
    ]) {
      const row = { model: label };
      for (const stream of [false, true]) {
        fx.set('stream', { ...o, tokenMs: opts.tokenMs });
        const extra = stream ? cap : {};
        const { out, ms } = await oneRec(lib.openAIChat({ baseURL: fx.baseURL, model: 'm', stream, timeoutMs: 120000, ...extra }), { deadline_ms: 0 });
        await new Promise((r) => setTimeout(r, 20));
        // Tokens the client waited for: every one of a whole answer; a stream's until closed.
        const tokens = fx.log.reduce((n, e) => n + (e.stream ? e.chunksSent : e.tokens), 0);
        row[stream ? 'stream' : 'whole'] = { wall_ms: Math.round(ms), tokens_read: tokens, fallbacks: out.fallbacks.length };
      }
      rows.push(row);
    }
  } finally {
    await fx.close();
  }
  return { token_ms: opts.tokenMs, rows };
}

async function memory() {
  const fx = await startProviderFixture();
  const out = [];
  try {
    for (const [label, llmOpts, config] of [
      ['default caps (4 MiB body, 256 KiB answer)', {}, {}],
      ['caps raised past it (as before the caps)', { maxResponseBytes: 64 << 20 }, { max_answer_bytes: 64 << 20 }],
    ]) {
      const mod = await lib.createArag(); // a fresh module: its memory only grows
      fx.set('huge', { bytes: 20 << 20 });
      const rec = await lib.createRecommender({ arag: mod, llm: lib.openAIChat({ baseURL: fx.baseURL, model: 'm', retries: 0, ...llmOpts }), config: { deadline_ms: 0, ...config } });
      const u = data.users[0];
      const { candidates } = sampleCandidates(catIds, u.history.map((e) => e.item), u.target.item, { user: u.user, seed: 1 });
      rec.catalog.handle.add(items.map((i) => i.json).join('\n'));
      rec.history.add(u.history.map((e) => ({ id: e.item, ts: e.ts })));
      const before = mod.raw.u8().length;
      const r = await rec.recommend({ candidates, k: 10, topK: 50 });
      const after = mod.raw.u8().length;
      rec.free();
      out.push({ caps: label, wasm_before_bytes: before, wasm_after_bytes: after, ira: r.fallbacks.find((f) => f.step === 'ira') ? 'offline' : 'model' });
    }
  } finally {
    await fx.close();
  }
  return out;
}

async function hung() {
  const server = await startOpenAIServer();
  server.setFault(() => ({ hang: true }));
  const rows = [];
  try {
    const r = await oneRec(lib.openAIChat({ baseURL: server.baseURL, model: 'm' }));
    rows.push({ options: 'defaults (deadline_ms 20000)', settle_ms: Math.round(r.ms), fallbacks: r.out.fallbacks.length });
    if (opts.hungBefore) {
      const b = await oneRec(lib.openAIChat({ baseURL: server.baseURL, model: 'm' }), { deadline_ms: 0 });
      rows.push({ options: 'no deadline (as before): the per-call time-out and retries', settle_ms: Math.round(b.ms), fallbacks: b.out.fallbacks.length });
    }
  } finally {
    await server.close();
  }
  return rows;
}

const result = {
  env: { node: process.version, cpus: os.cpus().length, tokenizer: 'js-tiktoken o200k_base' },
  dataset: data.name,
  users: Math.min(opts.users, data.users.length),
  candidates: 50,
  cost: [],
};
for (const b of opts.batches) {
  result.cost.push(await costAt(b));
  process.stderr.write(`cost at nli_batch ${b}: done\n`);
}
const at10 = result.cost.find((c) => c.nli_batch === 10) || result.cost[0];
result.ira_answer_tokens = await iraAnswerTokens(at10.max_tokens.ira, at10.max_tokens.nli);
process.stderr.write('IRA answer tokens: done\n');
if (opts.costOnly) {
  const { readFile } = await import('node:fs/promises');
  const kept = opts.json ? JSON.parse(await readFile(opts.json, 'utf8')) : {};
  for (const k of ['streaming', 'memory', 'hung']) result[k] = kept[k];
} else {
  result.streaming = await streaming();
  process.stderr.write('streaming: done\n');
  result.memory = await memory();
  process.stderr.write('memory: done\n');
  result.hung = await hung();
  process.stderr.write('hung provider: done\n');
}

const { render } = await import(pathToFileURL(path.join(ROOT, 'scripts', 'figures', 'llm.mjs')).href);
for (const view of opts.costOnly ? ['cost', 'batches', 'ira-answer'] : ['cost', 'batches', 'ira-answer', 'streaming', 'memory', 'deadline']) process.stdout.write(`${render(result, { view })}\n\n`);
if (opts.json) await writeFile(opts.json, `${JSON.stringify(result, null, 2)}\n`);
