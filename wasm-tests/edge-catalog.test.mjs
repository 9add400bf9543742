// The edge worker holding the shop's catalog, in workerd (Miniflare): the snapshot as a
// static asset, an R2 object or a KV value, loaded once per isolate and shared; a new
// version swapped in while requests run (every one of them answered); POST /recommend
// with the shopper's events by id and no candidates (the catalog's top_k), candidates
// by id or inline; a catalog past the isolate's share taken from Vectorize (a stand-in
// binding serving Vectorize's query API: Miniflare runs no Vectorize); the shopper's
// history kept by the page (events or a history snapshot) or by a Durable Object per
// shopper named in the page token, attacked as a hostile client would.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { stageWorker, edgeMiniflare, edgeMiniflareWithVectorize } from './helpers/edge-worker.mjs';
import { startOpenAIServer } from './helpers/openai-test-server.mjs';
import { sampleDataSet, readJsonl } from './helpers/data.mjs';
import { DIST, ROOT } from './helpers/common.mjs';

const { createArag, signPageToken } = await import(join(DIST, 'index.mjs'));

const ORIGIN = 'https://shop.example';
const SECRET = 'edge-catalog-test-secret-0123456789abcdef';
const items = readJsonl(join(sampleDataSet(), 'items.jsonl'));
const V1 = items.slice(0, 300); // version 1: the first 300 items; version 2: all of them
const events = [
  { id: items[0].id, ts: 1, kind: 'purchase' },
  { id: items[4].id, ts: 2, kind: 'view' },
  { id: items[9].id, ts: 3, kind: 'cart' },
];

let dir;
let arag;
let snap1;
let snap2;
let llm;
const tmp = mkdtempSync(join(tmpdir(), 'arag-edge-catalog-'));

const post = (m, body, headers = {}, path = '/recommend') =>
  m.dispatchFetch(`http://edge.test${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
const health = async (m) => (await m.dispatchFetch('http://edge.test/health')).json();
const token = (o = {}) => signPageToken({ secret: SECRET, origin: ORIGIN, ...o });
const bearer = async (o = {}) => ({ Origin: ORIGIN, Authorization: `Bearer ${await token(o)}` });

function snapshotOf(list, dtype = 'f32') {
  const c = arag.createCatalog({ dtype });
  c.add(list);
  const b = c.snapshot();
  c.free();
  return b;
}

before(async () => {
  dir = stageWorker(join(tmp, 'worker'));
  arag = await createArag();
  snap1 = snapshotOf(V1);
  snap2 = snapshotOf(items);
  llm = await startOpenAIServer();
});

after(async () => {
  await llm?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('the catalog as a static asset (wrangler.toml [assets])', () => {
  let mf;
  before(async () => {
    const assets = join(tmp, 'assets');
    mkdirSync(assets, { recursive: true });
    writeFileSync(join(assets, 'catalog.snap'), snap2);
    mf = edgeMiniflare(dir, { catalog: { assets }, ratePerMinute: 1000 });
    await mf.ready;
  });
  after(() => mf?.dispose());

  test('events by id and k: the catalog\'s top_k for the shopper, the same as arag\'s own catalog mode', async () => {
    const res = await post(mf, { history: events, k: 6, options: { trace: true } });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    const out = JSON.parse(text);
    assert.equal(out.items.length, 6);
    assert.equal(out.catalog.source, 'catalog');
    assert.equal(out.catalog.unknown_events, 0);
    // The same recommendation in Node from the same snapshot.
    const { createRecommender } = await import(join(DIST, 'index.mjs'));
    const rec = await createRecommender({ arag, catalogSnapshot: snap2, config: { deadline_ms: 20000, nli_batch: 10, session_len: 5, long_term_len: 50, max_prompt_item_chars: 300, max_in_flight: 4, max_tokens: 3000 } });
    rec.history.add(events);
    const want = await rec.recommend({ k: 6, topK: 50 });
    rec.free();
    assert.deepEqual(out.items.map((i) => i.id), want.order);
    assert.ok(out.items.every((i) => !events.some((e) => e.id === i.id)), 'not the items the shopper already has');
    assert.ok(out.items.every((i) => typeof i.reason === 'string' && i.reason.length > 0));
  });

  test('candidates by id, inline, or both; an unknown id is a 400 naming it', async () => {
    let res = await post(mf, { history: events, candidates: [items[20].id, items[21].id, { id: 'inline-1', title: 'Hydrating face serum for dry skin' }], k: 3 });
    assert.equal(res.status, 200, await res.clone().text());
    assert.deepEqual((await res.json()).items.map((i) => i.id).sort(), [items[20].id, items[21].id, 'inline-1'].sort());
    res = await post(mf, { history: events, candidates: ['no-such-item'], k: 1 });
    assert.equal(res.status, 400);
    assert.match((await res.json()).error.message, /no-such-item/);
    // Events the catalog does not know add nothing and are counted.
    res = await post(mf, { history: [...events, { id: 'gone-item', ts: 4, kind: 'view' }], k: 3 });
    assert.equal((await res.json()).catalog.unknown_events, 1);
  });

  test('loaded once per isolate, shared by every request; memory flat over requests', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await post(mf, { history: events, k: 5 })).status, 200);
    const a = await health(mf);
    assert.equal(a.catalog.loads, 1);
    assert.equal(a.catalog.items, items.length);
    assert.match(a.catalog.version, /./);
    for (let i = 0; i < 20; i++) assert.equal((await post(mf, { history: events.slice(0, 1 + (i % 3)), k: 5 })).status, 200);
    const b = await health(mf);
    assert.equal(b.catalog.loads, 1, 'no second load');
    assert.equal(b.catalog.heldBy, 0, 'every request gave its lease back');
    assert.equal(b.memoryBytes, a.memoryBytes);
  });
});

describe('the catalog in R2: a new version swapped in while requests run', () => {
  test('every request in flight during the swap succeeds; later ones see the new version; the old one is freed', async () => {
    llm.reset();
    llm.setFault((info) => (info.agent === 'ira' ? { delayMs: 600 } : null));
    const mf = edgeMiniflare(dir, {
      catalog: { r2: true },
      vars: {
        CATALOG_CHECK_SECONDS: '0',
        MAX_LIVE_RECOMMENDATIONS: '64',
        MAX_BYTES_IN_FLIGHT: '16777216',
        ARAG_LLM: 'openai',
        LLM_BASE_URL: llm.baseURL,
        LLM_MODEL: 'm',
        PAGE_TOKEN_SECRET: SECRET,
        HEARTBEAT_MS: '100',
      },
      ratePerMinute: 100000,
    });
    try {
      await mf.ready;
      const bucket = await mf.getR2Bucket('CATALOG_BUCKET');
      await bucket.put('catalog.snap', new Uint8Array(snap1));
      const only2 = items[310].id; // in version 2 only
      let res = await post(mf, { history: events, candidates: [only2], k: 1, options: { llm: 'offline' } });
      assert.equal(res.status, 400, 'version 1 does not have it');
      const v1 = (await health(mf)).catalog.version;
      const auth = await bearer({ maxCalls: 1000, maxTokens: 10000000 });
      // LLM-backed requests on version 1, in flight while version 2 comes.
      const inFlight = Array.from({ length: 4 }, () => post(mf, { history: events, k: 4 }, auth));
      while (llm.chat().filter((c) => c.agent === 'ira').length < 1) await new Promise((r) => setTimeout(r, 10));
      await bucket.put('catalog.snap', new Uint8Array(snap2));
      // Offline requests while the isolate finds and loads version 2.
      const during = await Promise.all(Array.from({ length: 40 }, (_, i) => post(mf, { history: events.slice(0, 1 + (i % 3)), k: 5, options: { llm: 'offline' } })));
      const statuses = during.map((r) => r.status);
      assert.deepEqual([...new Set(statuses)], [200], `statuses during the swap: ${statuses}`);
      const versions = await Promise.all(during.map(async (r) => (await r.json()).catalog.version));
      const flown = await Promise.all(inFlight.map(async (p) => {
        const r = await p;
        return [r.status, JSON.parse(await r.text())];
      }));
      for (const [status, body] of flown) {
        assert.equal(status, 200);
        assert.equal(body.items.length, 4);
        assert.equal(body.catalog.version, v1, 'an answer started on version 1 finishes on it');
      }
      let h = await health(mf);
      for (let i = 0; i < 50 && h.catalog.swaps < 1; i++) {
        await post(mf, { history: events, k: 2, options: { llm: 'offline' } });
        h = await health(mf);
      }
      assert.equal(h.catalog.swaps, 1);
      assert.notEqual(h.catalog.version, v1);
      assert.equal(h.catalog.items, items.length);
      assert.equal(h.catalog.heldBy, 0);
      assert.ok(versions.every((v) => v === v1 || v === h.catalog.version), 'each answer from one whole version');
      res = await post(mf, { history: events, candidates: [only2], k: 1, options: { llm: 'offline' } });
      assert.equal(res.status, 200, 'version 2 has it');
      assert.equal(h.catalog.failures, 0);
    } finally {
      llm.setFault(null);
      await mf.dispose();
    }
  });

  test('a corrupt new version is refused; the one in use stays and nothing fails', async () => {
    const mf = edgeMiniflare(dir, { catalog: { r2: true }, vars: { CATALOG_CHECK_SECONDS: '0' }, ratePerMinute: 100000 });
    try {
      await mf.ready;
      const bucket = await mf.getR2Bucket('CATALOG_BUCKET');
      await bucket.put('catalog.snap', new Uint8Array(snap1));
      assert.equal((await post(mf, { history: events, k: 3 })).status, 200);
      const bad = new Uint8Array(snap2);
      bad[bad.length >> 1] ^= 0xff;
      await bucket.put('catalog.snap', bad);
      for (let i = 0; i < 10; i++) assert.equal((await post(mf, { history: events, k: 3 })).status, 200);
      const h = await health(mf);
      assert.equal(h.catalog.items, V1.length, 'version 1 still in use');
      assert.ok(h.catalog.failures >= 1);
    } finally {
      await mf.dispose();
    }
  });
});

describe('the catalog in KV', () => {
  test('loaded from the value; a new metadata.version swaps it', async () => {
    const mf = edgeMiniflare(dir, { catalog: { kv: true }, vars: { CATALOG_CHECK_SECONDS: '0' }, ratePerMinute: 100000 });
    try {
      await mf.ready;
      const kv = await mf.getKVNamespace('CATALOG_KV');
      await kv.put('catalog.snap', snap1.buffer.slice(snap1.byteOffset, snap1.byteOffset + snap1.byteLength), { metadata: { version: '1' } });
      assert.equal((await post(mf, { history: events, k: 3 })).status, 200);
      assert.equal((await health(mf)).catalog.version, '1');
      await kv.put('catalog.snap', snap2.buffer.slice(snap2.byteOffset, snap2.byteOffset + snap2.byteLength), { metadata: { version: '2' } });
      let h;
      for (let i = 0; i < 50; i++) {
        assert.equal((await post(mf, { history: events, k: 3 })).status, 200);
        h = await health(mf);
        if (h.catalog.version === '2') break;
      }
      assert.equal(h.catalog.version, '2');
      assert.equal(h.catalog.items, items.length);
    } finally {
      await mf.dispose();
    }
  });
});

describe('past one isolate: the catalog\'s top-k from Vectorize (a stand-in binding)', () => {
  let ndjson;
  before(() => {
    const out = join(tmp, 'vz');
    writeFileSync(join(tmp, 'items.jsonl'), `${items.map((i) => JSON.stringify(i)).join('\n')}\n`);
    execFileSync(process.execPath, [join(ROOT, 'web', 'bin', 'arag.mjs'), 'catalog', 'build', '--data', join(tmp, 'items.jsonl'), '--out', join(tmp, 'vz.snap'), '--vectorize', out, '--quiet']);
    ndjson = readFileSync(join(out, 'vectors-0001.ndjson'), 'utf8');
  });

  test('a snapshot past CATALOG_MAX_BYTES without Vectorize: 503 naming the setting', async () => {
    const assets = join(tmp, 'assets-big');
    mkdirSync(assets, { recursive: true });
    writeFileSync(join(assets, 'catalog.snap'), snap2);
    const mf = edgeMiniflare(dir, { catalog: { assets }, vars: { CATALOG_MAX_BYTES: '100000' }, ratePerMinute: 1000 });
    try {
      await mf.ready;
      const res = await post(mf, { history: events, k: 3 });
      assert.equal(res.status, 503);
      assert.match((await res.json()).error.message, /CATALOG_MAX_BYTES/);
      assert.equal((await health(mf)).catalog.items, 0, 'nothing loaded');
    } finally {
      await mf.dispose();
    }
  });

  test('with Vectorize: the same candidates, in the same order, as the catalog held in the isolate', async () => {
    const assets = join(tmp, 'assets-big2');
    mkdirSync(assets, { recursive: true });
    writeFileSync(join(assets, 'catalog.snap'), snap2);
    const held = edgeMiniflare(dir, { catalog: { assets }, ratePerMinute: 1000 });
    const vz = await edgeMiniflareWithVectorize(dir, { ndjson, catalog: { assets }, vars: { CATALOG_MAX_BYTES: '100000' }, ratePerMinute: 1000 });
    try {
      await held.ready;
      const body = { history: events, k: 8, options: { trace: true } };
      const a = await (await post(held, body)).json();
      const res = await post(vz, body);
      const text = await res.text();
      assert.equal(res.status, 200, text);
      const b = JSON.parse(text);
      assert.equal(b.catalog.source, 'vectorize');
      assert.equal(a.catalog.source, 'catalog');
      assert.deepEqual(b.trace.i0.map((c) => c.id), a.trace.i0.map((c) => c.id), 'I0: the same 50 candidates, the same order');
      assert.equal(b.items.length, 8);
      assert.ok(b.items.every((i) => typeof i.reason === 'string' && i.reason.length > 0));
      // Candidates by id come from Vectorize too; an unknown one is refused by name.
      let r = await post(vz, { history: events, candidates: [items[20].id, items[21].id], k: 2 });
      assert.equal(r.status, 200, await r.clone().text());
      r = await post(vz, { history: events, candidates: ['no-such-item'], k: 1 });
      assert.equal(r.status, 400);
      assert.match((await r.json()).error.message, /no-such-item/);
      // No history and no candidates: nothing to retrieve with.
      r = await post(vz, { k: 3 });
      assert.equal(r.status, 400);
    } finally {
      await held.dispose();
      await vz.dispose();
    }
  });
});

describe('the shopper\'s history', () => {
  let mf;
  before(async () => {
    const assets = join(tmp, 'assets-h');
    mkdirSync(assets, { recursive: true });
    writeFileSync(join(assets, 'catalog.snap'), snap2);
    mf = edgeMiniflare(dir, { catalog: { assets }, vars: { PAGE_TOKEN_SECRET: SECRET, ALLOWED_ORIGINS: ORIGIN, STORED_HISTORY_MAX_EVENTS: '20' }, ratePerMinute: 100000 });
    await mf.ready;
  });
  after(() => mf?.dispose());

  test('kept by the page: its history snapshot gives the recommendation its events give', async () => {
    const h = arag.createHistory();
    h.add(events);
    const b64 = Buffer.from(h.snapshot()).toString('base64');
    h.free();
    const byEvents = await (await post(mf, { history: events, k: 6 })).json();
    const res = await post(mf, { history_snapshot: b64, k: 6 });
    assert.equal(res.status, 200, await res.clone().text());
    assert.deepEqual((await res.json()).items.map((i) => i.id), byEvents.items.map((i) => i.id));
  });

  test('a history snapshot as an attacker sends it: oversized, not base64, corrupt, too many events', async () => {
    const big = Buffer.alloc(70000, 1).toString('base64');
    let res = await post(mf, { history_snapshot: big, k: 3 });
    assert.equal(res.status, 413);
    assert.match((await res.json()).error.message, /history_snapshot is 70000 bytes; the limit is 65536/);
    res = await post(mf, { history_snapshot: 'not base64!', k: 3 });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error.param, 'history_snapshot');
    const h = arag.createHistory();
    h.add(events);
    const bytes = h.snapshot();
    bytes[bytes.length - 3] ^= 0x55;
    res = await post(mf, { history_snapshot: Buffer.from(bytes).toString('base64'), k: 3 });
    assert.equal(res.status, 400);
    assert.match((await res.json()).error.message, /^ARAG_E_CORRUPT/);
    h.clear();
    h.add(Array.from({ length: 501 }, (_, i) => ({ id: items[i % items.length].id, ts: i, kind: 'view' })));
    res = await post(mf, { history_snapshot: Buffer.from(h.snapshot()).toString('base64'), k: 3 });
    h.free();
    assert.equal(res.status, 413);
    assert.match((await res.json()).error.message, /501 events; the limit is 500/);
  });

  test('kept by the worker for a signed-in shopper: one history across devices', async () => {
    const phone = await bearer({ shopper: 'shopper-42' });
    const laptop = await bearer({ shopper: 'shopper-42' }); // another page token, the same shopper
    let res = await post(mf, { history: events.slice(0, 2), k: 4, options: { history: 'stored' } }, phone);
    assert.equal(res.status, 200, await res.clone().text());
    res = await post(mf, { history: events.slice(2), k: 4, options: { history: 'stored' } }, laptop);
    const stored = await res.json();
    const sent = await (await post(mf, { history: events, k: 4 })).json();
    assert.deepEqual(stored.items.map((i) => i.id), sent.items.map((i) => i.id), 'the stored three events recommend as the three sent');
    res = await mf.dispatchFetch('http://edge.test/history', { headers: phone });
    assert.deepEqual((await res.json()).events.map((e) => e.id), events.map((e) => e.id));
    // Kept: ids, times and kinds, no text.
    await post(mf, { history: [{ id: items[30].id, title: 'a title the shopper typed', ts: 9, kind: 'view' }], k: 1, options: { history: 'stored' } }, phone);
    const kept = (await (await mf.dispatchFetch('http://edge.test/history', { headers: phone })).json()).events;
    assert.deepEqual(Object.keys(kept.at(-1)).sort(), ['id', 'kind', 'ts']);
    // At most STORED_HISTORY_MAX_EVENTS (20 here): the oldest go first.
    await post(mf, { history: Array.from({ length: 25 }, (_, i) => ({ id: items[40 + i].id, ts: 100 + i, kind: 'view' })), k: 1, options: { history: 'stored' } }, phone);
    const capped = (await (await mf.dispatchFetch('http://edge.test/history', { headers: phone })).json()).events;
    assert.equal(capped.length, 20);
    assert.equal(capped.at(-1).id, items[64].id);
    // DELETE forgets it.
    res = await mf.dispatchFetch('http://edge.test/history', { method: 'DELETE', headers: laptop });
    assert.equal(res.status, 200);
    assert.deepEqual((await (await mf.dispatchFetch('http://edge.test/history', { headers: phone })).json()).events, []);
  });

  test('attacks on the stored history: another shopper, no shopper, forged or expired tokens, naming a shopper in the body', async () => {
    const victim = await bearer({ shopper: 'victim' });
    await post(mf, { history: events, k: 2, options: { history: 'stored' } }, victim);
    const other = await bearer({ shopper: 'attacker' });
    let res = await mf.dispatchFetch('http://edge.test/history', { headers: other });
    assert.deepEqual((await res.json()).events, [], "another shopper's token reads its own (empty) history");
    res = await post(mf, { history: [], k: 2, options: { history: 'stored' }, shopper: 'victim' }, other);
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error.param, 'shopper');
    res = await mf.dispatchFetch('http://edge.test/history', { headers: await bearer() });
    assert.equal(res.status, 403);
    assert.equal((await res.json()).error.code, 'no_shopper');
    const forged = await signPageToken({ secret: 'another-secret-of-32-bytes-or-more-000000', origin: ORIGIN, shopper: 'victim' });
    const expired = await token({ shopper: 'victim', ttlSeconds: 1, now: Date.now() - 5000 });
    const good = await token({ shopper: 'attacker' });
    const [h, claims, sig] = good.split('.');
    const c = JSON.parse(Buffer.from(claims, 'base64url').toString());
    c.sh = 'victim';
    const tampered = `${h}.${Buffer.from(JSON.stringify(c)).toString('base64url')}.${sig}`;
    for (const [t, code] of [[forged, 'invalid_token'], [expired, 'token_expired'], [tampered, 'invalid_token']]) {
      for (const send of [
        () => mf.dispatchFetch('http://edge.test/history', { headers: { Origin: ORIGIN, Authorization: `Bearer ${t}` } }),
        () => mf.dispatchFetch('http://edge.test/history', { method: 'DELETE', headers: { Origin: ORIGIN, Authorization: `Bearer ${t}` } }),
        () => post(mf, { history: [], k: 2, options: { history: 'stored' } }, { Origin: ORIGIN, Authorization: `Bearer ${t}` }),
      ]) {
        const r = await send();
        assert.equal(r.status, 401);
        assert.equal((await r.json()).error.code, code);
      }
    }
    res = await mf.dispatchFetch('http://edge.test/history', { headers: { Origin: 'https://evil.example', Authorization: victim.Authorization } });
    assert.equal(res.status, 401, 'a token works from its own origin only');
    res = await post(mf, { history: [], k: 2, options: { history: 'stored' } });
    assert.equal(res.status, 401, 'no token, no stored history');
    // The victim's history is untouched by all of it.
    const kept = (await (await mf.dispatchFetch('http://edge.test/history', { headers: victim })).json()).events;
    assert.deepEqual(kept.map((e) => e.id), events.map((e) => e.id));
  });
});
