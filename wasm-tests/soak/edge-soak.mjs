// Soak: N recommendations through the edge worker (examples/edge-worker) in
// workerd (Miniflare), its LLM calls going to an OpenAI-compatible server with seeded
// faults (slow answers, 429/500, truncated and off-schema JSON, empty choices, unknown
// and duplicate ids, dropped connections). A share of the requests ask for the offline
// reasoner and a few are malformed (they must get a 400 and change nothing).
// Samples /health along the run: the module's linear memory, which stays flat after
// warm-up when every handle is freed.
//
//   node wasm-tests/soak/edge-soak.mjs [--n 10000] [--concurrency 8] [--seed 1] [--json FILE]
//        [--data DIR]   (default: amazon-beauty under $ARAG_DATA_ROOT, else the sample data set)
// Exits 1 when a response failed or memory grew after warm-up.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stageWorker, edgeMiniflare } from '../helpers/edge-worker.mjs';
import { DIST } from '../helpers/common.mjs';
import { faultSchedule, startFaultServer } from '../helpers/faults.mjs';
import { rng } from '../helpers/common.mjs';
import { dataSet, sampleDataSet } from '../helpers/data.mjs';

// The worker's adapter waits 30 s before a time-out; time-outs are covered by
// wasm-tests/faults.test.mjs with short time-outs, so the soak leaves them out.
const SOAK_FAULTS = ['slow', 'http_429', 'http_500', 'truncated', 'off_schema', 'empty', 'unknown_ids', 'duplicate_ids', 'drop'];

function loadData(dir, seed) {
  const items = readFileSync(join(dir, 'items.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .slice(0, 3000)
    .map((l) => JSON.parse(l))
    .filter((it) => it.title)
    .map((it) => ({ id: it.id, title: it.title.slice(0, 400), ...(it.categories ? { categories: it.categories.slice(0, 16) } : {}) }));
  return { items, r: rng(seed) };
}

function makeBody(data, i) {
  const { items, r } = data;
  const pick = (n) => {
    const out = new Map();
    while (out.size < n) {
      const it = items[Math.floor(r() * items.length)];
      out.set(it.id, it);
    }
    return [...out.values()];
  };
  const history = pick(3 + Math.floor(r() * 8)).map((it, j) => ({ ...it, ts: j, kind: 'purchase' }));
  const candidates = pick(20);
  const body = { history, candidates, k: candidates.length, options: { trace: false } };
  if (i % 10 === 3) body.options.llm = 'offline';
  return body;
}

function pct(a, p) {
  if (!a.length) return 0;
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

export async function runEdgeSoak({ n = 10000, concurrency = 8, seed = 1, data: dataDir = sampleDataSet(), log = console.log } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'arag-soak-'));
  stageWorker(dir);
  const server = await startFaultServer(faultSchedule({ seed, rate: 0.3, kinds: SOAK_FAULTS, delayMs: 15 }));
  let logs = '';
  const secret = 'soak-page-token-secret-0123456789abcdef';
  const mf = edgeMiniflare(dir, {
    vars: { ARAG_LLM: 'openai', LLM_BASE_URL: server.baseURL, LLM_MODEL: 'soak', PAGE_TOKEN_SECRET: secret, RATE_LIMIT_ISOLATE_PER_MINUTE: '100000000',
      // the soak is about faults, not admission: room for every request it keeps in flight
      MAX_LIVE_RECOMMENDATIONS: String(Math.max(6, concurrency)), MAX_BYTES_IN_FLIGHT: String(Math.max(2097152, concurrency * 262144)) },
    ratePerMinute: 100000000,
    // keep only the tail: the worker logs one line per request
    log: (d) => (logs = (logs + d).slice(-4000)),
  });
  const { signPageToken } = await import(join(DIST, 'page-token.mjs'));
  const origin = 'https://soak.example';
  const token = await signPageToken({ secret, origin, ttlSeconds: 86400, maxCalls: 1e9, maxTokens: 1e9 });
  const data = loadData(dataDir, seed);
  const health = async () => (await (await mf.dispatchFetch('http://edge.test/health')).json());
  const res = { n, concurrency, ok: 0, failed: 0, bad_request_400: 0, degraded: 0, offline: 0, failures: [], latency_ms: [], curve: [] };
  const t0 = performance.now();
  try {
    await mf.ready;
    const h0 = await health();
    res.curve.push({ requests: 0, memoryBytes: h0.memoryBytes, instances: h0.instances });
    async function one(i) {
      const malformed = i % 50 === 17;
      const body = malformed ? null : makeBody(data, i);
      const t = performance.now();
      const resp = await mf.dispatchFetch('http://edge.test/recommend', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Origin: origin, Authorization: `Bearer ${token}` },
        body: malformed ? '{"history": [}, "candidates": ' : JSON.stringify(body),
      });
      const text = await resp.text();
      res.latency_ms.push(performance.now() - t);
      if (malformed) {
        if (resp.status === 400) res.bad_request_400++;
        else res.failures.push({ i, status: resp.status, text: text.slice(0, 200), why: 'malformed body not refused with 400' });
        return;
      }
      let out = null;
      try {
        out = JSON.parse(text);
      } catch {
        /* counted below */
      }
      const want = body.candidates.map((c) => c.id).sort();
      const got = out && Array.isArray(out.items) ? out.items.map((x) => x.id).sort() : null;
      if (resp.status !== 200 || !got || JSON.stringify(got) !== JSON.stringify(want)) {
        res.failed++;
        if (res.failures.length < 10) res.failures.push({ i, status: resp.status, text: text.slice(0, 300) });
        return;
      }
      res.ok++;
      if (out.degraded.length) res.degraded++;
      if (body.options.llm === 'offline') res.offline++;
    }
    // Batches of sampleEvery requests, concurrency at a time; /health is read between
    // batches, when no request is in flight (a probe during requests sees their memory).
    const sampleEvery = Math.max(1, Math.floor(n / 20));
    for (let start = 0; start < n; start += sampleEvery) {
      const end = Math.min(n, start + sampleEvery);
      let next = start;
      const worker = async () => {
        while (next < end) await one(next++);
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      const h = await health();
      res.curve.push({ requests: end, memoryBytes: h.memoryBytes, instances: h.instances });
      log(`soak ${end}/${n}: memory ${h.memoryBytes} ok ${res.ok} failed ${res.failed}`);
    }
    const hEnd = await health();
    res.recommends_served = hEnd.recommends;
    res.instances = hEnd.instances;
  } finally {
    await mf.dispose();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  res.seconds = Math.round((performance.now() - t0) / 100) / 10;
  res.p50_ms = Math.round(pct(res.latency_ms, 50));
  res.p95_ms = Math.round(pct(res.latency_ms, 95));
  res.p99_ms = Math.round(pct(res.latency_ms, 99));
  delete res.latency_ms;
  res.llm_calls = server.schedule.total;
  res.faults_injected = server.schedule.faults;
  res.fault_counts = server.schedule.counts;
  // memory after warm-up: the samples past the first tenth of the run
  const warm = res.curve.filter((c) => c.requests >= n / 10);
  res.memory_after_warmup = {
    min: Math.min(...warm.map((c) => c.memoryBytes)),
    max: Math.max(...warm.map((c) => c.memoryBytes)),
  };
  res.flat = res.memory_after_warmup.min === res.memory_after_warmup.max;
  if (res.failed || res.failures.length) res.workerd_stderr_tail = logs.slice(-1000);
  return res;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name, d) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : d;
  };
  const data = arg('data', null) ? resolve(arg('data')) : dataSet('amazon-beauty') || sampleDataSet();
  console.log(`soak: data set ${data}`);
  const out = await runEdgeSoak({ n: Number(arg('n', 10000)), concurrency: Number(arg('concurrency', 8)), seed: Number(arg('seed', 1)), data });
  const file = arg('json', null);
  if (file) {
    mkdirSync(dirname(resolve(file)), { recursive: true });
    writeFileSync(file, JSON.stringify(out, null, 1));
  }
  console.log(`soak-summary ${JSON.stringify(out)}`);
  process.exit(out.failed || out.failures.length || !out.flat ? 1 : 0);
}
