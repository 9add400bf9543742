// An LLM ranker cites evidence: the IRA prompt shows each candidate's evidence, the model
// names what its reason relies on (kind and history item ids), and the module keeps only
// the citations that hold against the item's computed evidence. Through the real module
// and the OpenAI-compatible test server on 127.0.0.1: a model that cites truly, and one
// that cites forged ids, other items, kinds the item lacks, junk and floods (the server's
// falseCites fault). What a shopper reads (renderReason) says cited entries only, never
// a dropped citation nor the model's own text; `arag check-reasons` checks a recorded run.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DIST, ROOT, requireFile, within } from './helpers/common.mjs';
import { loadSlice, sampleDataSet } from './helpers/data.mjs';
import { startOpenAIServer } from './helpers/openai-test-server.mjs';
import { citationCheck } from '../web/src/eval/check-reasons.mjs';

requireFile(join(DIST, 'index.mjs'), 'run `make wasm` first');
const { createArag, createRecommender, openAIChat, renderReason, reasonSentences, traceAtLevel } = await import('../dist/index.mjs');

const slice = loadSlice({ users: 2 });
const K = 6;
let server;
let arag;

before(async () => {
  server = await startOpenAIServer();
  arag = await createArag();
});
after(async () => {
  await server.close();
});
beforeEach(() => server.reset());

async function recommend(user, config = {}) {
  const llm = openAIChat({ baseURL: server.baseURL, model: 'test-model', apiKey: 'sk-test', backoffMs: 5, timeoutMs: 10000 });
  const rec = await createRecommender({ arag, llm, config: { nli_batch: 10, ...config }, catalog: slice.items });
  try {
    rec.history.add(user.events);
    return await within(30000, rec.recommend({ candidates: user.candidates, k: K }));
  } finally {
    rec.free();
  }
}

const iraCall = () => server.chat().find((e) => e.agent === 'ira');
// The evidence each candidate's prompt line shows.
function shownEvidence(call) {
  const user = call.messages.find((m) => m.role === 'user').content;
  const shown = new Map();
  for (const line of user.split('\n')) {
    if (!line.startsWith('{')) continue;
    const o = JSON.parse(line);
    if (o.id && Array.isArray(o.evidence)) shown.set(o.id, o.evidence);
  }
  return { user, shown };
}
// A "kind" or "kind:id" citation held against an item's evidence, checked here.
function holds(item, cite) {
  if (typeof cite !== 'string') return false;
  const at = cite.indexOf(':');
  const kind = at < 0 ? cite : cite.slice(0, at);
  const id = at < 0 ? null : cite.slice(at + 1);
  return item.evidence.some((e) => e.kind === kind && (id === null || e.items.includes(id)));
}
const citedEntries = (item) => item.evidence.filter((e) => e.cited === true);

test('a model that cites truly: its cited evidence, and only it, is the reason', async () => {
  let citing = 0;
  let caught = 0;
  for (const user of slice.users) {
    server.reset();
    const out = await recommend(user);
    const call = iraCall();
    const { user: prompt, shown } = shownEvidence(call);
    assert.match(prompt, new RegExp(`Cite the evidence of your first ${K}\\.`));
    assert.ok(shown.size > 0, 'the prompt shows evidence');
    assert.ok(Array.isArray(out.trace.citations));
    // The summary trace a public endpoint hands out keeps them (ids, kinds and counts only).
    assert.deepEqual(traceAtLevel(out.trace, 'summary').citations, out.trace.citations);
    const answer = new Map(call.answer.ranking.map((r) => [r.id, r.cite || []]));
    for (const item of out.items) {
      const raw = answer.get(item.id);
      const t = out.trace.citations.find((c) => c.id === item.id);
      // Every citation the server made is an entry its line showed: all hold, none dropped.
      if (raw.length) assert.ok(t && t.dropped === 0, `${item.id}: nothing dropped`);
      const marked = citedEntries(item).map((e) => e.kind);
      assert.deepEqual(marked, item.evidence.filter((e) => raw.some((c) => holds({ evidence: [e] }, c))).map((e) => e.kind));
      if (t) assert.deepEqual(t.cited, marked);
      if (marked.length) {
        citing++;
        assert.equal(renderReason(item), reasonSentences(citedEntries(item), { max: 2 }).join(' '));
      } else {
        assert.equal(renderReason(item), reasonSentences(item.evidence, { max: 2 }).join(' '));
      }
      // The model's own text is kept as it answered, and never reaches what a shopper reads.
      assert.match(item.reason, /^server rank \d+$/);
      assert.doesNotMatch(renderReason(item), /server rank/);
      const c = citationCheck(item, out, { renderReason, reasonSentences });
      assert.deepEqual([c.unbacked, c.missed, c.beyond], [0, 0, 0]);
      // The checker catches a mark no citation backs, and a held citation left unmarked.
      const k = item.evidence.findIndex((e) => e.cited !== true);
      if (k >= 0) {
        const forged = { ...item, evidence: item.evidence.map((e, i) => (i === k ? { ...e, cited: true } : e)) };
        assert.equal(citationCheck(forged, out, { renderReason, reasonSentences }).unbacked, 1);
        caught++;
      }
      if (marked.length) {
        const lost = { ...item, evidence: item.evidence.map(({ cited, ...e }) => e) };
        assert.equal(citationCheck(lost, out, { renderReason, reasonSentences }).missed, marked.length);
        caught++;
      }
    }
  }
  assert.ok(citing >= 4, `${citing} items rest on citations`);
  assert.ok(caught >= 2);
});

test('a model that cites false things: every false citation is dropped, counted, and never a reason', async () => {
  let dropped = 0;
  for (const user of slice.users) {
    server.reset();
    server.setFault((info) => (info.agent === 'ira' ? { falseCites: true } : null));
    // Room in max_tokens for the flood of citations (the server stops at max_tokens).
    const out = await recommend(user, { reasoning_tokens: 3000 });
    assert.ok(!out.fallbacks.some((f) => f.agent === 'ira'), 'the answer is used, not replaced');
    const call = iraCall();
    assert.equal(call.status, 200);
    const answer = new Map(call.answer.ranking.map((r) => [r.id, r.cite || []]));
    for (const item of out.items) {
      const raw = answer.get(item.id);
      const t = out.trace.citations.find((c) => c.id === item.id);
      if (!raw.length) {
        assert.equal(t, undefined);
        continue;
      }
      // What holds, checked here: distinct "kind:id" strings whose kind the item has and
      // whose id is among that entry's items. The rest (forged ids, another candidate's id,
      // the item's own id, kinds it lacks, junk, repeats, the flood) is dropped.
      const held = new Set(raw.filter((c) => holds(item, c)));
      assert.ok(t, `${item.id} has a trace entry`);
      assert.equal(t.dropped, raw.length - held.size, `${item.id}: dropped count`);
      assert.ok(t.dropped >= 60);
      dropped += t.dropped;
      const marked = citedEntries(item);
      assert.deepEqual(marked.map((e) => e.kind), item.evidence.filter((e) => [...held].some((c) => holds({ evidence: [e] }, c))).map((e) => e.kind));
      for (const e of marked) assert.ok(!e.items.some((id) => /FORGED/.test(id)));
      const reason = renderReason(item);
      assert.doesNotMatch(reason, /FORGED|server rank|no_such_kind/);
      assert.equal(reason, reasonSentences(marked.length ? marked : item.evidence, { max: 2 }).join(' '));
    }
  }
  assert.ok(dropped > 0);
});

test('arag check-reasons: an LLM-ranked run against the test server, recorded and replayed, then with false citations', async () => {
  const cli = join(ROOT, 'web', 'bin', 'arag.mjs');
  const dir = join(ROOT, 'build', 'citations-test');
  mkdirSync(dir, { recursive: true });
  const recording = join(dir, 'run.jsonl');
  const json = join(dir, 'report.json');
  const base = ['check-reasons', '--data', sampleDataSet(), '--users', '4', '--k', String(K), '--quiet', '--json', json];
  const env = { ...process.env, OPENAI_API_KEY: 'sk-test' };
  // The CLI runs in another process; this one keeps serving while it runs.
  const cliRun = (args) =>
    new Promise((resolve) => {
      const p = spawn(process.execPath, [cli, ...base, ...args], { env });
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      p.stderr.on('data', (d) => (out += d));
      p.on('close', (status) => resolve({ status, out, report: status === 0 || status === 3 ? JSON.parse(readFileSync(json, 'utf8')) : null }));
    });
  const rec = await cliRun(['--base-url', server.baseURL, '--model', 'test-model', '--record', recording]);
  assert.equal(rec.status, 0, rec.out);
  const c = rec.report.citations;
  assert.equal(rec.report.false_claims, 0);
  assert.ok(c.held > 0 && c.cited_items > 0, JSON.stringify(c));
  assert.deepEqual([c.dropped, c.unbacked, c.missed, c.reasons_beyond_citations], [0, 0, 0, 0]);
  assert.match(rec.out, /citations of the LLM ranker: \d+ on \d+ items, \d+ held/);
  // The recording replays without the server: the same report.
  const calls = server.chat().length;
  const rep = await cliRun(['--replay', recording]);
  assert.equal(rep.status, 0, rep.out);
  assert.equal(server.chat().length, calls, 'no request reached the server');
  assert.deepEqual(rep.report.citations, c);
  // A recording that lacks requests is not the recorded run: exit 3.
  const lines = readFileSync(recording, 'utf8').trim().split('\n');
  writeFileSync(join(dir, 'short.jsonl'), `${lines.slice(0, -1).join('\n')}\n`);
  const short = await cliRun(['--replay', join(dir, 'short.jsonl')]);
  assert.equal(short.status, 3, short.out);
  assert.match(short.out, /1 requests were not in .*short\.jsonl/);
  // False citations: dropped and counted, none marked, no false claim.
  server.setFault((info) => (info.agent === 'ira' ? { falseCites: true } : null));
  const bad = await cliRun(['--base-url', server.baseURL, '--model', 'test-model', '--config', '{"reasoning_tokens":3000}']);
  assert.equal(bad.status, 0, bad.out);
  const b = bad.report.citations;
  assert.ok(b.dropped > 0, JSON.stringify(b));
  assert.deepEqual([bad.report.false_claims, b.unbacked, b.missed, b.reasons_beyond_citations], [0, 0, 0, 0]);
});
