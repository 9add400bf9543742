// The short soak of `make test`: 300 recommendations through the edge worker in workerd
// with mixed LLM faults, on the sample data set (the full run is `make soak`, 10,000 by
// default, on amazon-beauty when it is there).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DIST, requireFile } from '../helpers/common.mjs';
import { runEdgeSoak } from './edge-soak.mjs';

requireFile(join(DIST, 'arag.wasm'), 'run `make wasm` first');

test('edge worker soak: 300 requests with faults, no failed response, memory flat, one instance', { timeout: 240000 }, async () => {
  const r = await runEdgeSoak({ n: 300, concurrency: 16, seed: 2, log: () => {} });
  assert.deepEqual(r.failures, []);
  assert.equal(r.failed, 0);
  assert.equal(r.ok + r.bad_request_400, 300);
  assert.equal(r.bad_request_400, 6, 'every malformed body got a 400');
  assert.equal(r.recommends_served, r.ok);
  assert.equal(r.instances, 1);
  assert.ok(r.faults_injected > 50, `faults injected: ${r.faults_injected}`);
  assert.ok(r.degraded > 0 && r.degraded < r.ok);
  assert.ok(r.flat, `memory after warm-up: ${JSON.stringify(r.memory_after_warmup)}`);
  // the module's memory comes back to where it started: every handle of every request was freed
  assert.equal(r.curve[r.curve.length - 1].memoryBytes, r.curve[0].memoryBytes);
  console.log(`soak-short ${JSON.stringify({ ...r, curve: undefined })}`);
});
