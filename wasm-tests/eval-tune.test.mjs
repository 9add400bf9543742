// `arag tune` over the built wasm module: the moves it tries, a search that must climb out
// of a bad start, scores that `arag eval` reproduces, and clear errors for bad options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { moves } from '../web/src/eval/tune.mjs';
import { sampleDataSet } from './helpers/data.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'web', 'bin', 'arag.mjs');
const dist = join(root, 'dist');
const sample = sampleDataSet();

function arag(args) {
  return new Promise((done) => {
    const p = spawn(process.execPath, [cli, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c) => (stdout += c));
    p.stderr.on('data', (c) => (stderr += c));
    p.on('close', (code) => done({ code, stdout, stderr }));
  });
}

test('moves: relative steps, zero weights by the step, shares kept in [0, 1], windows by whole events', () => {
  assert.deepEqual(moves('ira_pop', 0.8, 0.5), [0.4, 1.2]);
  assert.deepEqual(moves('ira_pop', -2, 0.25), [-1.5, -2.5]);
  assert.deepEqual(moves('nli_sess', 0, 0.5), [-0.5, 0.5]);
  assert.deepEqual(moves('decay', 0.8, 0.5), [0.4, 1]);
  assert.deepEqual(moves('decay', 1, 0.5), [0.5]); // 1.5 clamps to 1, the value itself
  assert.deepEqual(moves('sim_window', 10, 0.5), [5, 15]);
  assert.deepEqual(moves('rel_window', 2, 0.125), [1, 3]); // 1.75 and 2.25 round back to 2
  assert.deepEqual(moves('rel_window', 1, 0.5), [2]); // never below one event
  assert.deepEqual(moves('decay', 0.7, 0.25), [0.525, 0.875]);
});

test('tune climbs out of a bad start, and arag eval reproduces its scores on both splits', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'arag-tune-'));
  try {
    const out = join(dir, 'tune.json');
    const start = { reasoner: { ira_pop: -3 } };
    const r = await arag(['tune', '--dist', dist, '--data', sample, '--users', '150', '--params', 'ira_pop', '--rounds', '2', '--config', JSON.stringify(start), '--json', out, '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    const t = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(t.start.ira_pop, -3);
    assert.ok(t.tuned.ira_pop > -3, `ira_pop moved up from -3: ${JSON.stringify(t.tuned)}`);
    assert.deepEqual(Object.keys(t.tuned), ['ira_pop']);
    assert.deepEqual(t.config, { reasoner: { ira_pop: t.tuned.ira_pop } });
    assert.ok(t.valid.tuned > t.valid.start + 0.05, `validation NDCG@5 ${t.valid.start} -> ${t.valid.tuned}`);
    // Every kept move beat the best before it; the last kept one is the tuned score.
    let best = t.valid.start;
    for (const tr of t.trials) {
      if (tr.accepted) {
        assert.ok(tr.ndcg5 > best, `kept ${tr.value} at ${tr.ndcg5} <= ${best}`);
        best = tr.ndcg5;
      } else assert.ok(tr.ndcg5 <= best + 0.0005);
    }
    assert.equal(best, t.valid.tuned);
    assert.match(r.stdout, new RegExp(`config: ${JSON.stringify(JSON.stringify(t.config)).slice(1, -1).replace(/[{}.[\]]/g, '\\$&')}`));

    // The same numbers from arag eval with the config tune printed.
    const evalNdcg = async (split, config) => {
      const j = join(dir, `${split}.json`);
      const e = await arag(['eval', '--dist', dist, '--data', sample, '--users', '150', '--split', split, '--methods', 'arag', '--config', JSON.stringify(config), '--json', j, '--quiet', '--no-checkpoint']);
      assert.equal(e.code, 0, e.stderr);
      return JSON.parse(readFileSync(j, 'utf8')).methods.arag['ndcg@5'];
    };
    assert.equal(await evalNdcg('valid', t.config), t.valid.tuned);
    assert.equal(await evalNdcg('test', t.config), t.test.tuned['ndcg@5']);
    assert.equal(await evalNdcg('test', start), t.test.start['ndcg@5']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad options: a clear message, exit 2 for usage, 1 for an unknown weight', async () => {
  let r = await arag(['tune', '--dist', dist, '--data', sample, '--step', '1.5']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--step: expected a number in \(0, 1\), got "1\.5"/);
  r = await arag(['tune', '--dist', dist, '--data', sample, '--min-gain=-0.01']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--min-gain: expected a number in \[0, 1\), got "-0\.01"/);
  r = await arag(['tune', '--dist', dist, '--data', sample, '--config', '{"reasoner":']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--config: not JSON/);
  r = await arag(['tune', '--dist', dist, '--data', sample, '--params', 'ira_pop,ira_zzz']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /unknown reasoner weight "ira_zzz" \(known: decay, /);
  r = await arag(['tune', '--dist', dist, '--data', sample, '--config', '{"reasoner":{"decay":3}}']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /decay/);
  assert.equal(r.stdout, '');
});
