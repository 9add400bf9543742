// End-to-end tests of `arag eval` over the built wasm module (dist/): determinism across
// runs and builds, agreement with the native eval tool, the OpenAI backend against a
// local server, checkpoint/resume after a killed run, and data errors with file:line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startOpenAIServer } from './helpers/openai-test-server.mjs';
import { dataSet, needData, sampleDataSet } from './helpers/data.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'web', 'bin', 'arag.mjs');
const dist = process.env.ARAG_EVAL_DIST ? resolve(process.env.ARAG_EVAL_DIST) : join(root, 'dist');
const nativeBin = process.env.ARAG_EVAL_NATIVE ? resolve(process.env.ARAG_EVAL_NATIVE) : join(root, 'build', 'native', 'eval_native');
// The sample data set (always there) for everything but the cross-check on real data.
const sample = sampleDataSet();
const ALL = 'recency,rag,popularity,arag,arag-no-nli,arag-no-csa,arag-no-uua';
// Every method, the shift ablation and the storefront shelf included.
const ARAG_ALL = `${ALL},arag-no-shift,arag-storefront`;
const METRICS = ['ndcg@5', 'hit@5', 'ndcg@10', 'hit@10', 'mrr'];

function run(cmd, args, { env = {}, onSpawn } = {}) {
  return new Promise((resolveRun) => {
    const p = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c) => (stdout += c));
    p.stderr.on('data', (c) => (stderr += c));
    p.on('close', (code, signal) => resolveRun({ code, signal, stdout, stderr }));
    if (onSpawn) onSpawn(p);
  });
}

const evalCli = (args, opts) => run(process.execPath, [cli, 'eval', '--dist', dist, '--quiet', ...args], opts);

function tmp() {
  return mkdtempSync(join(tmpdir(), 'arag-eval-e2e-'));
}

// What the server answered: completions and the token usage it reported.
function served(server) {
  const ok = server.chat().filter((e) => e.status === 200);
  return {
    completions: ok.length,
    promptTokens: ok.reduce((n, e) => n + e.usage.prompt_tokens, 0),
    completionTokens: ok.reduce((n, e) => n + e.usage.completion_tokens, 0),
    failed: server.chat().filter((e) => e.status !== 200).length,
    byAgent: ok.reduce((m, e) => ({ ...m, [e.agent]: (m[e.agent] || 0) + 1 }), {}),
  };
}

function withoutTiming(json) {
  const o = JSON.parse(json);
  for (const u of Object.values(o.usage || {})) delete u.wall_ms_per_user;
  return o;
}

test('offline eval on a slice: byte-identical JSON on every run and in both wasm builds', async () => {
  const dir = tmp();
  try {
    const outs = [];
    for (const [name, kind] of [['a', 'emscripten'], ['b', 'emscripten'], ['c', 'wasi']]) {
      const r = await evalCli([
        '--data', sample, '--methods', ALL, '--users', '40', '--seed', '1', '--negatives', '49', '--kind', kind,
        '--resamples', '300', '--json', join(dir, `${name}.json`), '--md', join(dir, `${name}.md`), '--svg', join(dir, `${name}.svg`),
      ]);
      assert.equal(r.code, 0, r.stderr);
      outs.push(['json', 'md', 'svg'].map((ext) => readFileSync(join(dir, `${name}.${ext}`), 'utf8')));
      assert.ok(!existsSync(join(dir, `${name}.json.checkpoint.jsonl`)), 'checkpoint removed after a complete run');
    }
    assert.deepEqual(outs[1], outs[0], 'second run differs');
    assert.deepEqual(outs[2], outs[0], 'the WASI build differs from the Emscripten build');
    const res = JSON.parse(outs[0][0]);
    assert.equal(res.dataset, 'sample-shop');
    assert.equal(res.users, 40);
    assert.equal(res.backend, 'offline');
    assert.deepEqual(Object.keys(res.methods), ALL.split(','));
    for (const [m, v] of Object.entries(res.methods)) {
      for (const k of METRICS) {
        assert.ok(v[k] >= 0 && v[k] <= 1, `${m} ${k} = ${v[k]}`);
        assert.ok(v.ci[k][0] <= v[k] && v[k] <= v.ci[k][1], `${m} ${k} outside its interval`);
      }
      assert.ok(v['hit@5'] <= v['hit@10'] && v['ndcg@5'] <= v['ndcg@10'] && v['ndcg@5'] <= v['hit@5']);
    }
    // The text-based methods beat chance (Hit@5 of a random ranking of 50 is 0.1).
    assert.ok(res.methods.rag['hit@5'] > 0.1 && res.methods.arag['hit@5'] > 0.1);
    for (const m of ['arag', 'arag-no-nli', 'arag-no-csa', 'arag-no-uua']) {
      assert.ok(res.usage[m].calls >= 40, `${m} made ${res.usage[m].calls} agent calls`);
      assert.equal(res.usage[m].prompt_tokens, 0);
      assert.equal(res.usage[m].wall_ms_per_user, undefined, 'no timing in an offline run');
    }
    // Switching an agent off changes the work done: no NLI means fewer calls.
    assert.ok(res.usage['arag-no-nli'].calls < res.usage.arag.calls);
    assert.ok(['recency', 'rag'].includes(res.best_baseline['ndcg@5']));
    assert.equal(res.gain_over_best_baseline[res.best_baseline['ndcg@5']]['ndcg@5'], 0);
    assert.match(outs[0][1], /^\| arag-no-uua \| /m);
    assert.match(outs[0][2], /^<svg xmlns=/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

async function crossCheck(runs) {
  assert.ok(existsSync(nativeBin), `${nativeBin} is missing: build it with make native`);
  for (const [data, split] of runs) {
    const dir = tmp();
    try {
      const js = await evalCli(['--data', data, '--split', split, '--methods', ARAG_ALL, '--users', '50', '--resamples', '100', '--json', join(dir, 'r.json')]);
      assert.equal(js.code, 0, js.stderr);
      const nat = await run(nativeBin, ['--data', data, '--split', split, '--methods', ARAG_ALL, '--users', '50', '--seed', '1', '--negatives', '49', '--resamples', '100']);
      assert.equal(nat.code, 0, nat.stderr);
      const line = nat.stdout.trim().split('\n').pop();
      const n = JSON.parse(line);
      const w = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'));
      assert.equal(n.users, 50);
      assert.equal(w.split, split);
      assert.equal(n.split, split);
      for (const m of ARAG_ALL.split(',')) {
        for (const k of METRICS) assert.equal(w.methods[m][k], n.methods[m][k], `${data} ${split}: ${m} ${k}: wasm ${w.methods[m][k]}, native ${n.methods[m][k]}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

test('the wasm harness and the native eval tool give the same metrics on 50 users, in both splits', () =>
  crossCheck([[sample, 'test'], [sample, 'valid']]));

test('the same agreement on the real data sets', needData('amazon-beauty', 'amazon-office'), () =>
  crossCheck([[dataSet('amazon-office'), 'test'], [dataSet('amazon-beauty'), 'test'], [dataSet('amazon-office'), 'valid']]));

// eval_native ranks through the module's pipeline (one offline engine, each method's
// request config), so the tool that tunes the reasoner's weights and the module that ships
// them cannot disagree: every user's target rank, by every method, with the default
// weights and with weights passed as engine config (eval_native --param, arag --config).

async function nativeRanks(data, split, users, extra) {
  const dir = tmp();
  try {
    const file = join(dir, 'ranks.jsonl');
    const r = await run(nativeBin, ['--data', data, '--split', split, '--methods', ARAG_ALL, '--users', String(users), '--resamples', '10', '--ranks', file, ...extra]);
    assert.equal(r.code, 0, r.stderr);
    return readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('eval_native gives every user the rank the module gives, by every method, with default and changed weights', async () => {
  assert.ok(existsSync(nativeBin), `${nativeBin} is missing: build it with make native`);
  const { evaluate } = await import('../web/src/eval/index.mjs');
  const users = 120;
  const changed = { ira_pop: 0, nli_rel: 1, decay: 0.5 };
  const runs = [
    ['test', {}, []],
    ['valid', { reasoner: changed }, Object.entries(changed).map(([k, v]) => ['--param', `${k}=${v}`]).flat()],
    ['test', { reasoner: { ira_pop: 0 } }, ['--config', JSON.stringify({ reasoner: { ira_pop: 0 } })]],
  ];
  const byRun = [];
  for (const [split, config, extra] of runs) {
    const { records, result } = await evaluate({ data: sample, dist, methods: ARAG_ALL.split(','), users, split, config, resamples: 10 });
    assert.equal(result.failed_users, 0);
    const nat = await nativeRanks(sample, split, users, extra);
    assert.equal(nat.length, records.length);
    records.forEach((rec, i) => {
      assert.equal(nat[i].user, rec.user);
      assert.equal(nat[i].target, rec.target);
      assert.deepEqual(nat[i].ranks, rec.ranks, `${split} ${JSON.stringify(config)}: user ${rec.user}`);
    });
    byRun.push(nat);
  }
  // The changed weights changed ranks, so the weights did reach both rankers.
  const differs = (a, b) => a.some((r, i) => r.ranks.arag !== b[i].ranks.arag);
  assert.ok(differs(byRun[2], byRun[0]), 'reasoner.ira_pop 0 changed no rank');
  // Each ablation and variant ranks differently from arag somewhere.
  for (const m of ['arag-no-nli', 'arag-no-uua', 'arag-no-shift', 'arag-storefront'])
    assert.ok(byRun[0].some((r) => r.ranks[m] !== r.ranks.arag) || byRun[1].some((r) => r.ranks[m] !== r.ranks.arag), `${m} ranks as arag for every user`);
});

test("eval_native's catalog figures (docs/: items and targets in no history) are the JS loader's counts", async () => {
  const { loadDataset, popularityCounts } = await import('../web/src/eval/index.mjs');
  const data = await loadDataset(sample);
  const pop = popularityCounts(data.users);
  const out = await run(nativeBin, ['--data', sample, '--methods', 'arag', '--users', '1']);
  assert.equal(out.code, 0, out.stderr);
  const { catalog } = JSON.parse(out.stdout.trim().split('\n').pop());
  assert.equal(catalog.items, data.items.length);
  assert.equal(catalog.eligible_users, data.users.length);
  assert.equal(catalog.items_in_no_history, data.items.filter((i) => !pop.has(i.id)).length);
  assert.equal(catalog.targets_in_no_history, data.users.filter((u) => !pop.has(u.target.item)).length);
  assert.ok(catalog.title_words > 0 && catalog.title_words_bytes > 0 && catalog.text_words > 0 && catalog.text_words_bytes > 0);
});

test('eval_native refuses a reasoner weight out of range or unknown, naming it', async () => {
  const bad = await run(nativeBin, ['--data', sample, '--methods', 'arag', '--users', '1', '--param', 'decay=3']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /config "reasoner\.decay" must be a number in \[0, 1\]/);
  const unknown = await run(nativeBin, ['--data', sample, '--methods', 'arag', '--users', '1', '--param', 'ira_zzz=1']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /config "reasoner\.ira_zzz": unknown parameter/);
  const cfg = await run(nativeBin, ['--data', sample, '--methods', 'arag', '--users', '1', '--config', '{"theta": 7}']);
  assert.equal(cfg.code, 2);
  assert.match(cfg.stderr, /config "theta"/);
});

test('--split valid is the test protocol on every sequence without its last interaction', async () => {
  const dir = tmp();
  try {
    // The same data with each user's last interaction (by ts, then file order) deleted.
    const lines = readFileSync(join(sample, 'interactions.jsonl'), 'utf8').split('\n').filter(Boolean);
    const last = new Map();
    lines.forEach((l, i) => {
      const v = JSON.parse(l);
      const p = last.get(v.user);
      if (!p || v.ts >= p.ts) last.set(v.user, { ts: v.ts, i });
    });
    const drop = new Set([...last.values()].map((p) => p.i));
    const cut = join(dir, 'cut');
    mkdirSync(cut);
    writeFileSync(join(cut, 'items.jsonl'), readFileSync(join(sample, 'items.jsonl')));
    writeFileSync(join(cut, 'interactions.jsonl'), lines.filter((_, i) => !drop.has(i)).join('\n') + '\n');
    const common = ['--methods', ALL, '--users', '40', '--resamples', '100', '--no-checkpoint'];
    const a = await evalCli(['--data', sample, '--split', 'valid', ...common, '--json', join(dir, 'valid.json'), '--md', join(dir, 'valid.md')]);
    assert.equal(a.code, 0, a.stderr);
    const b = await evalCli(['--data', cut, ...common, '--json', join(dir, 'cut.json')]);
    assert.equal(b.code, 0, b.stderr);
    const valid = JSON.parse(readFileSync(join(dir, 'valid.json'), 'utf8'));
    const test = JSON.parse(readFileSync(join(dir, 'cut.json'), 'utf8'));
    assert.equal(valid.split, 'valid');
    assert.equal(test.split, 'test');
    assert.deepEqual(valid.methods, test.methods);
    assert.deepEqual(valid.gain_over_best_baseline, test.gain_over_best_baseline);
    assert.match(readFileSync(join(dir, 'valid.md'), 'utf8'), /^\*\*sample-shop\*\* \(valid split\): 40 users/);
    // And it is not the test split of the full data.
    const c = await evalCli(['--data', sample, ...common, '--json', join(dir, 'full.json')]);
    assert.equal(c.code, 0, c.stderr);
    assert.notDeepEqual(JSON.parse(readFileSync(join(dir, 'full.json'), 'utf8')).methods, valid.methods);
    const bad = await evalCli(['--data', sample, '--split', 'train', '--methods', 'rag']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--split: expected test or valid, got "train"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('openai backend against a local server: usage matches what the server counted, retries are invisible in the result', async () => {
  const dir = tmp();
  const clean = await startOpenAIServer();
  const flaky = await startOpenAIServer();
  // Slow answers let requests pile up, so the in-flight caps show.
  clean.setFault(() => ({ delayMs: 10 }));
  // Every 6th request is refused once: its retry (a request with the same body) is
  // answered, so no call can run out of retries however the requests interleave.
  const refused = new Set();
  flaky.setFault(({ seq, body }) => {
    const key = JSON.stringify(body.messages);
    if (seq % 6 !== 0 || refused.has(key)) return { delayMs: 10 };
    refused.add(key);
    return { status: 503, retryAfter: 0 };
  });
  try {
    const args = (url, out) => [
      '--data', sample, '--methods', 'recency,rag,arag,arag-no-csa', '--users', '8', '--backend', 'openai',
      '--base-url', url, '--model', 'test-model', '--concurrency', '3', '--resamples', '100', '--json', join(dir, out),
    ];
    const a = await evalCli(args(clean.baseURL, 'a.json'), { env: { OPENAI_API_KEY: 'test-key' } });
    assert.equal(a.code, 0, a.stderr);
    const b = await evalCli([...args(flaky.baseURL, 'b.json'), '--llm-concurrency', '2', '--retries', '4', '--timeout-ms', '20000'], {
      env: { OPENAI_API_KEY: 'test-key' },
    });
    assert.equal(b.code, 0, b.stderr);
    const ra = JSON.parse(readFileSync(join(dir, 'a.json'), 'utf8'));
    assert.equal(ra.backend, 'openai');
    assert.equal(ra.model, 'test-model');
    const u = ra.usage;
    const st = served(clean);
    assert.equal(st.failed, 0);
    assert.equal(u.arag.calls + u['arag-no-csa'].calls, st.completions);
    assert.equal(u.arag.prompt_tokens + u['arag-no-csa'].prompt_tokens, st.promptTokens);
    assert.equal(u.arag.completion_tokens + u['arag-no-csa'].completion_tokens, st.completionTokens);
    assert.ok(st.byAgent.csa > 0 && st.byAgent.nli > 0 && st.byAgent.uua > 0 && st.byAgent.ira > 0);
    assert.equal(u.arag.degraded_users, 0, JSON.stringify(u.arag.degradations));
    assert.equal(u.arag.failures, 0);
    assert.ok(u.arag.wall_ms_per_user > 0, 'LLM runs report wall time per user');
    assert.ok(served(flaky).failed > 0, 'the flaky server refused some requests');
    assert.ok(flaky.maxInFlight <= 2, `--llm-concurrency 2, yet ${flaky.maxInFlight} requests were in flight`);
    assert.ok(clean.maxInFlight > 2, 'without the cap more requests run at once');
    assert.ok(clean.chat().every((e) => e.headers.authorization === 'Bearer test-key' && e.model === 'test-model'));
    assert.deepEqual(withoutTiming(readFileSync(join(dir, 'b.json'), 'utf8')), withoutTiming(readFileSync(join(dir, 'a.json'), 'utf8')));
  } finally {
    await clean.close();
    await flaky.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a killed LLM run resumes from its checkpoint without redoing users and gives the same result', async () => {
  const dir = tmp();
  const server = await startOpenAIServer();
  server.setFault(() => ({ delayMs: 15 }));
  try {
    const args = (out) => [
      '--data', sample, '--methods', 'rag,arag', '--users', '12', '--backend', 'openai', '--base-url', server.baseURL,
      '--model', 'test-model', '--concurrency', '1', '--resamples', '100', '--json', join(dir, out),
    ];
    const full = await evalCli(args('full.json'));
    assert.equal(full.code, 0, full.stderr);
    const fullCalls = served(server).completions;

    const ck = join(dir, 'cut.json.checkpoint.jsonl');
    const userLines = () => (existsSync(ck) ? readFileSync(ck, 'utf8').split('\n').filter((l) => l.startsWith('{"i"')).length : 0);
    let poll;
    const killed = await evalCli(args('cut.json'), {
      onSpawn: (p) => {
        poll = setInterval(() => {
          if (userLines() >= 4) {
            clearInterval(poll);
            p.kill('SIGKILL');
          }
        }, 5);
      },
    });
    clearInterval(poll);
    assert.equal(killed.signal, 'SIGKILL', `the run finished before it could be killed: ${killed.stderr}`);
    assert.ok(!existsSync(join(dir, 'cut.json')));
    const done = userLines();
    assert.ok(done >= 4 && done < 12, `${done} users in the checkpoint`);

    const before = served(server).completions;
    const resumed = await run(process.execPath, [cli, 'eval', '--dist', dist, ...args('cut.json')]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, new RegExp(`resuming from .*: ${done} users done`));
    const resumedCalls = served(server).completions - before;
    assert.ok(resumedCalls < fullCalls, `resume made ${resumedCalls} calls, a full run ${fullCalls}`);
    assert.deepEqual(withoutTiming(readFileSync(join(dir, 'cut.json'), 'utf8')), withoutTiming(readFileSync(join(dir, 'full.json'), 'utf8')));
    assert.ok(!existsSync(ck));
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a malformed data line stops the run with file:line, before anything is written', async () => {
  const dir = tmp();
  try {
    const data = join(dir, 'shop');
    mkdirSync(data);
    writeFileSync(join(data, 'items.jsonl'), readFileSync(join(sample, 'items.jsonl'), 'utf8'));
    const lines = readFileSync(join(sample, 'interactions.jsonl'), 'utf8').split('\n');
    lines[41] = '{"user": "A1", "item": ';
    writeFileSync(join(data, 'interactions.jsonl'), lines.join('\n'));
    const r = await evalCli(['--data', data, '--json', join(dir, 'out.json')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /interactions\.jsonl:42: malformed JSON/);
    assert.ok(!existsSync(join(dir, 'out.json')));
    assert.ok(!existsSync(join(dir, 'out.json.checkpoint.jsonl')));
    const u = await evalCli(['--data', data, '--methods', 'rag,bm25']);
    assert.equal(u.code, 2);
    assert.match(u.stderr, /unknown method "bm25"/);
    const o = await evalCli(['--data', data, '--backend', 'openai']);
    assert.equal(o.code, 2);
    assert.match(o.stderr, /needs --base-url/);
    // An item the catalog refuses (a vector of the wrong dimension) is named by its line.
    const items = readFileSync(join(sample, 'items.jsonl'), 'utf8').split('\n');
    const third = JSON.parse(items[2]);
    items[2] = JSON.stringify({ ...third, vector: [1, 2, 3] });
    writeFileSync(join(data, 'items.jsonl'), items.join('\n'));
    writeFileSync(join(data, 'interactions.jsonl'), readFileSync(join(sample, 'interactions.jsonl'), 'utf8'));
    const v = await evalCli(['--data', data, '--users', '2', '--methods', 'rag']);
    assert.equal(v.code, 1);
    assert.match(v.stderr, new RegExp(`items\\.jsonl:3: the catalog refused item "${third.id}": ARAG_E_DIM: "vector" has 3 numbers`));
    // A reasoner weight out of range stops the run at the first user, naming the weight.
    const w = await evalCli(['--data', sample, '--users', '50', '--methods', 'rag,arag', '--config', '{"reasoner":{"decay":3}}', '--json', join(dir, 'w.json')]);
    assert.equal(w.code, 1);
    assert.match(w.stderr, /config "reasoner\.decay" must be a number in \[0, 1\]/);
    assert.doesNotMatch(w.stderr, /users failed/);
    assert.ok(!existsSync(join(dir, 'w.json')));
    const d = await run(process.execPath, [cli, 'eval', '--data', sample, '--dist', join(dir, 'no-dist'), '--users', '1']);
    assert.equal(d.code, 1);
    assert.match(d.stderr, /index\.mjs not found: build the module first \(make wasm\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('evaluate() from code with a function adapter: broken answers are counted as degradations, not hidden', async () => {
  const { evaluate } = await import('../web/src/eval/index.mjs');
  const lib = await import(join(dist, 'index.mjs'));
  let asked = 0;
  const llm = lib.fromFunction(async () => {
    asked++;
    return { content: 'I would rather not answer in JSON.', usage: { prompt_tokens: 5, completion_tokens: 2 } };
  });
  const { result, records } = await evaluate({ data: sample, dist, methods: ['rag', 'arag'], users: 6, backend: 'broken-llm', model: 'none', llm, resamples: 50 });
  assert.equal(result.backend, 'broken-llm');
  assert.equal(records.length, 6);
  const u = result.usage.arag;
  assert.equal(u.calls, asked);
  assert.equal(u.prompt_tokens, 5 * asked);
  assert.equal(u.completion_tokens, 2 * asked);
  assert.equal(u.degraded_users, 6);
  for (const agent of ['uua', 'nli', 'csa', 'ira']) assert.ok(u.degradations[`${agent}:parse_error`] > 0, JSON.stringify(u.degradations));
  // Every answer failed, yet each user still got a full ranking (the fallback order).
  assert.ok(records.every((r) => Number.isInteger(r.ranks.arag) && r.ranks.arag >= 1 && r.ranks.arag <= 50));
  assert.equal(result.failed_users, 0);
});
