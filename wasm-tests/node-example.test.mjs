// The Node example (examples/node/recommend.mjs) against the sample data set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startOpenAIServer } from './helpers/openai-test-server.mjs';
import { sampleDataSet } from './helpers/data.mjs';
import { renderReason } from '../web/src/reasons.mjs';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const DATA = sampleDataSet();
const SCRIPT = join(ROOT, 'examples/node/recommend.mjs');

function run(args, env = {}) {
  return new Promise((ok) => {
    const opts = { cwd: ROOT, timeout: 120000, maxBuffer: 1 << 24, env: { ...process.env, ...env } };
    execFile(process.execPath, [SCRIPT, ...args], opts, (err, stdout, stderr) =>
      ok({ code: err ? (err.code ?? 1) : 0, stdout, stderr })
    );
  });
}

function readJsonl(file) {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

const interactions = readJsonl(join(DATA, 'interactions.jsonl'));
const itemIds = new Set(readJsonl(join(DATA, 'items.jsonl')).map((it) => it.id));
const byUser = new Map();
for (const r of interactions) {
  if (!byUser.has(r.user)) byUser.set(r.user, []);
  byUser.get(r.user).push(r);
}
// A user with a longer history, and the first one in file order.
const users = [...byUser.keys()];
const longUser = users.find((u) => byUser.get(u).length >= 12);
const firstUser = users[0];

test('JSON output: k ranked catalog items with reasons, history = all but the last interaction', async () => {
  const k = 7;
  const { code, stdout, stderr } = await run(['--data', DATA, '--user', longUser, '--k', String(k), '--json']);
  assert.equal(code, 0, stderr);
  const out = JSON.parse(stdout);
  const seq = byUser.get(longUser).slice().sort((a, b) => a.ts - b.ts);
  assert.equal(out.user, longUser);
  assert.equal(out.history, seq.length - 1);
  assert.equal(out.target.id, seq[seq.length - 1].item);
  assert.equal(out.items.length, k);
  const ids = out.items.map((r) => r.id);
  assert.equal(new Set(ids).size, k, 'ranked ids are unique');
  for (const r of out.items) {
    assert.ok(itemIds.has(r.id), `${r.id} is a catalog item`);
    assert.ok(Array.isArray(r.evidence));
    assert.equal(r.reason, renderReason(r), 'the reason is the evidence in plain words');
    if (r.evidence.length) assert.ok(r.reason.length > 0);
    assert.equal(r.target, r.id === out.target.id);
  }
  assert.deepEqual(out.items.map((r) => r.rank), Array.from({ length: k }, (_, i) => i + 1));
  if (out.target_rank !== null) assert.equal(out.items[out.target_rank - 1].id, out.target.id);
  else assert.ok(!ids.includes(out.target.id));
  const agents = new Set(out.trace.map((m) => m.agent));
  for (const a of ['uua', 'nli', 'csa', 'ira']) assert.ok(agents.has(a), `trace has ${a}`);
  assert.ok(out.s_user && out.s_user.length > 0, 'S_user present');
  assert.ok(out.s_ctx && out.s_ctx.length > 0, 'S_ctx present');
  assert.ok(Array.isArray(out.degraded));
});

test('text output: ranked list with reasons, the actual next item line and a compact trace', async () => {
  const { code, stdout, stderr } = await run(['--data', DATA, '--user', firstUser, '--k', '5']);
  assert.equal(code, 0, stderr);
  const seq = byUser.get(firstUser);
  const target = seq[seq.length - 1].item;
  assert.match(stdout, new RegExp(`actual next item: ${target}`));
  const ranked = stdout.split('\n').filter((l) => /^\s+\d+\.\s/.test(l));
  assert.equal(ranked.length, 5);
  assert.match(stdout, /^trace:$/m);
  for (const a of ['UUA', 'NLI', 'CSA', 'IRA']) assert.match(stdout, new RegExp(`^  ${a}\\s+\\d+ call`, 'm'));
  const marked = ranked.filter((l) => l.includes('<== actual next item'));
  assert.ok(marked.length <= 1);
  if (marked.length) assert.ok(marked[0].includes(target));
  else assert.match(stdout, /the actual next item is (a candidate but not in the top 5|not among the \d+ candidates)/);
});

test('--backend openai: the agents run on an OpenAI-compatible server, the key from the environment', async () => {
  const llm = await startOpenAIServer();
  try {
    const args = ['--data', DATA, '--user', longUser, '--k', '5', '--top-k', '20', '--backend', 'openai',
      '--base-url', llm.baseURL, '--model', 'node-model', '--json'];
    const { code, stdout, stderr } = await run(args, { OPENAI_API_KEY: 'node-key-789' });
    assert.equal(code, 0, stderr);
    const out = JSON.parse(stdout);
    assert.equal(out.backend, 'openai');
    assert.equal(out.items.length, 5);
    // Each item keeps the model's reason for it (the shelf's rules may move it).
    const ranks = out.items.map((r) => Number(/^server rank (\d+)$/.exec(r.model_reason)[1]));
    assert.equal(new Set(ranks).size, 5);
    // What the shopper reads is still the evidence, never the model's unchecked text.
    out.items.forEach((r) => assert.equal(r.reason, renderReason(r)));
    assert.deepEqual(out.degraded, []);
    assert.match(out.s_user, new RegExp(`^server summary of ${out.history > 55 ? 55 : out.history} events`));
    const chat = llm.chat();
    const agents = new Set(chat.map((r) => r.agent));
    for (const a of ['uua', 'nli', 'csa', 'ira']) assert.ok(agents.has(a), a);
    for (const r of chat) {
      assert.equal(r.headers.authorization, 'Bearer node-key-789');
      assert.equal(r.model, 'node-model');
    }
    assert.equal(chat.filter((r) => r.agent === 'nli').length, 2, '20 candidates in batches of 10');
  } finally {
    await llm.close();
  }
});

test('bad arguments and unknown users fail with a message, not a stack trace', async () => {
  let r = await run(['--data', DATA]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--data and --user are required/);
  r = await run(['--data', DATA, '--user', 'no-such-user-xyz']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no interactions/);
  r = await run(['--data', DATA, '--user', firstUser, '--k', '0']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--k must be an integer/);
  r = await run(['--data', join(DATA, 'missing'), '--user', firstUser]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /cannot read/);
  r = await run(['--data', DATA, '--user', firstUser, '--backend', 'openai']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /needs --base-url and --model/);
});
