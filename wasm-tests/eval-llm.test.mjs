// arag eval with an LLM backend as it fails, and record/replay: with every call failing the
// metrics are exactly the offline backend's, with a share failing they lie between the
// offline ones and the model's; --record then --replay gives the recorded run byte for
// byte without a network, and no key reaches a recording. fromRecording does the same for
// createRecommender.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startOpenAIServer } from './helpers/openai-test-server.mjs';
import { sampleDataSet, loadSlice } from './helpers/data.mjs';
import { DIST, requireFile } from './helpers/common.mjs';

requireFile(join(DIST, 'index.mjs'), 'run `make wasm` first');
const lib = await import('../dist/index.mjs');
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'web', 'bin', 'arag.mjs');
const sample = sampleDataSet();
const METRICS = ['ndcg@5', 'hit@5', 'ndcg@10', 'hit@10', 'mrr'];
const METHODS = 'rag,arag,arag-no-csa';

function evalCli(args, env = {}) {
  return new Promise((done) => {
    const p = spawn(process.execPath, [cli, 'eval', '--dist', DIST, '--quiet', '--data', sample, '--users', '60', '--methods', METHODS, '--resamples', '50', ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c) => (stdout += c));
    p.stderr.on('data', (c) => (stderr += c));
    p.on('close', (code) => done({ code, stdout, stderr }));
  });
}

async function closedPort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

const metrics = (file, m = 'arag') => JSON.parse(readFileSync(file, 'utf8')).methods[m];

test('eval: every call failing gives exactly the offline metrics; a share failing lies between them and the model\'s', { timeout: 600000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'arag-eval-llm-'));
  const server = await startOpenAIServer();
  try {
    const off = await evalCli(['--json', join(dir, 'off.json')]);
    assert.equal(off.code, 0, off.stderr);
    const port = await closedPort();
    const down = await evalCli(['--backend', 'openai', '--base-url', `http://127.0.0.1:${port}/v1`, '--model', 'm', '--retries', '0', '--json', join(dir, 'down.json')]);
    assert.equal(down.code, 0, down.stderr);
    for (const m of ['arag', 'arag-no-csa']) {
      assert.deepEqual(metrics(join(dir, 'down.json'), m), metrics(join(dir, 'off.json'), m), `${m}: all calls failed, the offline metrics`);
    }
    const usage = JSON.parse(readFileSync(join(dir, 'down.json'), 'utf8')).usage.arag;
    assert.ok(usage.failures > 0 && usage.degraded_users === 60, JSON.stringify(usage));

    const model = await evalCli(['--backend', 'openai', '--base-url', server.baseURL, '--model', 'm', '--json', join(dir, 'model.json')]);
    assert.equal(model.code, 0, model.stderr);
    // Half of the requests (by a hash of their body) fail, every time they are asked.
    server.setFault(({ body }) => (createHash('sha256').update(JSON.stringify(body.messages)).digest()[0] & 1 ? { status: 503 } : null));
    const half = await evalCli(['--backend', 'openai', '--base-url', server.baseURL, '--model', 'm', '--retries', '0', '--json', join(dir, 'half.json')]);
    assert.equal(half.code, 0, half.stderr);
    const [o, s, h] = ['off', 'model', 'half'].map((n) => metrics(join(dir, `${n}.json`)));
    assert.notDeepEqual(o, s, 'the model and the offline reasoner rank differently');
    for (const k of METRICS) {
      assert.ok(h[k] >= Math.min(o[k], s[k]) && h[k] <= Math.max(o[k], s[k]), `${k}: ${h[k]} between ${o[k]} and ${s[k]}`);
    }
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('eval --record then --replay: the recorded run byte for byte, no network, no key in the recording', { timeout: 600000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'arag-eval-rr-'));
  const server = await startOpenAIServer();
  const SECRET = 'sk-test-Zq81SECRETkey0000';
  try {
    // Some calls fail with a 401 that quotes the key, as providers do; some with a 503.
    server.setFault(({ seq }) => (seq % 13 === 0 ? { echoAuth: true } : seq % 17 === 0 ? { status: 503 } : null));
    const rec = await evalCli(['--backend', 'openai', '--base-url', server.baseURL, '--model', 'rec-model', '--retries', '0', '--json', join(dir, 'a.json'), '--record', join(dir, 'calls.jsonl')], { OPENAI_API_KEY: SECRET });
    assert.equal(rec.code, 0, rec.stderr);
    const text = readFileSync(join(dir, 'calls.jsonl'), 'utf8');
    assert.ok(!text.includes('Zq81SECRET') && !text.includes(SECRET), 'no key in the recording');
    assert.ok(text.includes('Incorrect API key provided: [key]'), 'the refusal is kept, the key replaced');
    const lines = text.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines[0], { arag_recording: 1, model: 'rec-model' });
    assert.equal(lines.length - 1, server.chat().length, 'one entry per call');
    assert.ok(lines.slice(1).every((e) => /^[0-9a-f]{64}$/.test(e.key) && e.request && Array.isArray(e.request.messages)));
    const served = server.chat().length;
    await server.close();
    // The server is gone: the replay answers from the recording alone.
    const rep = await evalCli(['--json', join(dir, 'b.json'), '--replay', join(dir, 'calls.jsonl')]);
    assert.equal(rep.code, 0, rep.stderr);
    assert.equal(readFileSync(join(dir, 'b.json'), 'utf8'), readFileSync(join(dir, 'a.json'), 'utf8'));
    assert.equal(JSON.parse(readFileSync(join(dir, 'b.json'), 'utf8')).model, 'rec-model');
    assert.ok(served > 0);
    // A recording that lacks calls: named, exit 3.
    writeFileSync(join(dir, 'part.jsonl'), text.split('\n').slice(0, 30).join('\n') + '\n');
    const part = await evalCli(['--json', join(dir, 'c.json'), '--replay', join(dir, 'part.jsonl')]);
    assert.equal(part.code, 3);
    assert.match(part.stderr, /requests were not in .*part\.jsonl/);
    // Usage errors.
    const both = await evalCli(['--record', join(dir, 'x'), '--replay', join(dir, 'calls.jsonl')]);
    assert.equal(both.code, 2);
    const notRec = await evalCli(['--replay', join(dir, 'a.json')]);
    assert.equal(notRec.code, 2);
    assert.match(notRec.stderr, /not a recording/);
  } finally {
    await server.close().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
});

test('recordTo / fromRecording with createRecommender: the same recommendation without the model', { timeout: 120000 }, async () => {
  const slice = loadSlice({ users: 2 });
  const server = await startOpenAIServer();
  try {
    const arag = await lib.createArag();
    server.setFault(({ agent }) => (agent === 'csa' ? { status: 500 } : null));
    const recorder = lib.recordTo(lib.openAIChat({ baseURL: server.baseURL, model: 'm', retries: 0, apiKey: 'sk-abcdefgh12345678' }));
    const outs = [];
    for (const u of slice.users) {
      const rec = await lib.createRecommender({ arag, llm: recorder, catalog: slice.items });
      rec.history.add(u.events);
      outs.push(await rec.recommend({ candidates: u.candidates, k: 10 }));
      rec.free();
    }
    const text = recorder.toJSONL();
    assert.ok(!text.includes('sk-abcdefgh12345678'));
    await server.close();
    const replay = lib.fromRecording(text);
    assert.equal(replay.model, 'm');
    for (const [i, u] of slice.users.entries()) {
      const rec = await lib.createRecommender({ arag, llm: replay, catalog: slice.items });
      rec.history.add(u.events);
      const out = await rec.recommend({ candidates: u.candidates, k: 10 });
      rec.free();
      assert.deepEqual(out.items, outs[i].items);
      assert.deepEqual(out.fallbacks, outs[i].fallbacks);
      assert.deepEqual(out.fallbacks.map((f) => f.step), ['csa'], 'the recorded failure replayed');
      assert.equal(out.usage.prompt_tokens, outs[i].usage.prompt_tokens);
    }
    assert.equal(replay.stats.misses, 0);
    // Another input is not in it: a miss, answered offline.
    const rec = await lib.createRecommender({ arag, llm: replay, catalog: slice.items });
    const out = await rec.recommend({ candidates: slice.users[0].candidates.slice(0, 5) });
    rec.free();
    assert.ok(replay.stats.misses > 0);
    assert.ok(out.fallbacks.every((f) => f.cause === 'network'));
    assert.throws(() => lib.fromRecording('{"arag_recording": 2}\n'), /version 2/);
    assert.throws(() => lib.fromRecording([{ key: 'x', status: 200 }]), /SHA-256/);
  } finally {
    await server.close().catch(() => {});
  }
});
