#!/usr/bin/env node
// Recommend for one user of a data set in the common format (items.jsonl,
// interactions.jsonl), in Node, with the arag module.
//
//   node examples/node/recommend.mjs --data DIR --user ID [--k 10] [--top-k 50]
//        [--backend offline|openai --base-url URL --model M] [--json]
//
// History: all of the user's interactions but the last; the last one is the "actual
// next item", marked in the list when the pipeline's candidates include it.
// Candidates: the top-k of the catalog index by similarity to the user's context.
// With --backend openai the API key is read from the OPENAI_API_KEY environment
// variable (never from the command line).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRecommender, openAIChat, renderReason } from '../../dist/index.mjs';

const USAGE = `usage: node examples/node/recommend.mjs --data DIR --user ID [--k 10] [--top-k 50]
       [--backend offline|openai --base-url URL --model M] [--json]`;

function fail(msg, code = 2) {
  console.error(`recommend: ${msg}`);
  process.exit(code);
}

function readJsonl(file) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    fail(`cannot read ${file}: ${e.code || e.message}`);
  }
  const out = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    try {
      out.push(JSON.parse(line));
    } catch (e) {
      fail(`${file}:${i + 1}: ${e.message}`);
    }
  });
  return out;
}

function intArg(v, name, lo, hi) {
  const n = Number(v);
  if (!Number.isInteger(n) || n < lo || n > hi) fail(`--${name} must be an integer in ${lo}..${hi}`);
  return n;
}

const clip = (s, n) => {
  const t = String(s).replace(/\s*\n\s*/g, ' | ');
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
};

async function main() {
  let args;
  try {
    args = parseArgs({
      options: {
        data: { type: 'string' },
        user: { type: 'string' },
        k: { type: 'string', default: '10' },
        'top-k': { type: 'string', default: '50' },
        backend: { type: 'string', default: 'offline' },
        'base-url': { type: 'string' },
        model: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values;
  } catch (e) {
    fail(`${e.message}\n${USAGE}`);
  }
  if (args.help) {
    console.log(USAGE);
    return;
  }
  if (!args.data || !args.user) fail(`--data and --user are required\n${USAGE}`);
  const k = intArg(args.k, 'k', 1, 100);
  const topK = intArg(args['top-k'], 'top-k', 1, 1000);
  if (topK < k) fail('--top-k must be at least --k');

  let llm = 'offline';
  if (args.backend === 'openai') {
    if (!args['base-url'] || !args.model) fail('--backend openai needs --base-url and --model');
    llm = openAIChat({ baseURL: args['base-url'], model: args.model, apiKey: process.env.OPENAI_API_KEY });
  } else if (args.backend !== 'offline') {
    fail('--backend must be offline or openai');
  }

  const items = readJsonl(join(args.data, 'items.jsonl'));
  const byId = new Map(items.map((it) => [it.id, it]));
  const seq = readJsonl(join(args.data, 'interactions.jsonl'))
    .filter((r) => r.user === args.user)
    .sort((a, b) => a.ts - b.ts);
  if (seq.length === 0) fail(`user ${args.user} has no interactions in ${args.data}`);
  if (seq.length < 2) fail(`user ${args.user} has only one interaction: nothing to hold out`);
  const target = seq[seq.length - 1].item;
  const history = seq.slice(0, -1).map((r) => {
    const it = byId.get(r.item) || {};
    const ev = { id: r.item, ts: r.ts, kind: r.kind || 'purchase' };
    if (it.title) ev.title = it.title;
    if (it.text) ev.text = it.text;
    if (it.categories) ev.categories = it.categories;
    if (it.brand) ev.brand = it.brand;
    if (Number.isFinite(r.rating)) ev.rating = r.rating;
    return ev;
  });

  const t0 = performance.now();
  const rec = await createRecommender({ llm });
  try {
    rec.catalog.add(items);
    rec.history.add(history);
    const tLoad = performance.now() - t0;
    const t1 = performance.now();
    const out = await rec.recommend({ k, topK });
    const tRec = performance.now() - t1;
    const messages = (out.trace && out.trace.messages) || [];
    const trace = out.trace || {};
    const summaryOf = (agent, key) => {
      if (typeof trace[key] === 'string') return trace[key];
      const m = messages.find((x) => x.agent === agent && x.output && x.output.summary);
      return m ? m.output.summary : null;
    };
    // I0, the candidates the agents saw (the trace lists them; else the NLI verdicts).
    const i0 = Array.isArray(trace.i0)
      ? trace.i0.map((c) => c.id)
      : messages.filter((m) => m.agent === 'nli' && m.output && Array.isArray(m.output.items))
          .flatMap((m) => m.output.items.map((v) => v.id));
    const targetRank = out.items.findIndex((r) => r.id === target);
    const result = {
      user: args.user,
      backend: args.backend,
      history: history.length,
      target: { id: target, title: (byId.get(target) || {}).title || null },
      target_rank: targetRank >= 0 ? targetRank + 1 : null,
      candidates: i0.length,
      target_in_candidates: targetRank >= 0 || i0.includes(target),
      items: out.items.map((r, i) => ({
        rank: i + 1,
        id: r.id,
        title: (byId.get(r.id) || {}).title || null,
        score: r.score,
        // The reason a shopper reads: the item's evidence in plain words (checked facts),
        // not the ranker's own text, which an LLM writes unchecked (model_reason).
        reason: renderReason(r),
        evidence: r.evidence,
        ...(args.backend !== 'offline' ? { model_reason: r.reason } : {}),
        target: r.id === target,
      })),
      trace: messages.map((m) => ({
        agent: m.agent,
        batch: m.batch,
        status: m.status,
        ms: Number.isFinite(m.ended_ms) && Number.isFinite(m.started_ms) ? m.ended_ms - m.started_ms : null,
      })),
      s_user: summaryOf('uua', 's_user'),
      s_ctx: summaryOf('csa', 's_ctx'),
      degraded: out.degraded || [],
      usage: out.usage || {},
      ms: { load: tLoad, recommend: tRec },
    };
    if (args.json) {
      console.log(JSON.stringify(result, null, 2));
      return;
    }
    console.log(`user ${result.user}: ${result.history} history events, ${items.length} catalog items, backend ${result.backend}`);
    console.log(`actual next item: ${target} ${clip(result.target.title || '', 70)}`);
    console.log('');
    for (const r of result.items) {
      const mark = r.target ? '  <== actual next item' : '';
      console.log(`${String(r.rank).padStart(3)}. ${r.id}  ${clip(r.title || '', 70)}${mark}`);
      if (r.reason) console.log(`      ${clip(r.reason, 110)}`);
    }
    if (result.target_rank === null) {
      console.log(`\nthe actual next item is ${result.target_in_candidates ? `a candidate but not in the top ${k}` : `not among the ${result.candidates} candidates`}`);
    }
    console.log('\ntrace:');
    const counts = {};
    for (const m of result.trace) {
      const c = (counts[m.agent] ||= { calls: 0, ms: 0, bad: 0 });
      c.calls++;
      c.ms += m.ms || 0;
      if (m.status !== 200 && m.status !== null) c.bad++;
    }
    for (const [agent, c] of Object.entries(counts)) {
      console.log(`  ${agent.toUpperCase().padEnd(4)} ${c.calls} call${c.calls === 1 ? ' ' : 's'} ${c.ms.toFixed(2)} ms${c.bad ? `, ${c.bad} failed` : ''}`);
    }
    if (result.s_user) console.log(`  S_user: ${clip(result.s_user, 160)}`);
    if (result.s_ctx) console.log(`  S_ctx:  ${clip(result.s_ctx, 160)}`);
    console.log(`  degraded: ${result.degraded.length ? result.degraded.join('; ') : 'none'}`);
    console.log(`  load ${tLoad.toFixed(1)} ms, recommend ${tRec.toFixed(1)} ms`);
  } finally {
    rec.free();
  }
}

main().catch((e) => fail(e && e.code ? `${e.code}: ${e.message}` : e && e.stack ? e.stack : String(e), 1));
