// Catalog snapshots in the wasm builds: a recommender created from snapshot bytes
// recommends exactly as the one built from the items (the same result but for
// timings), f32 and int8; the Emscripten, WASI and native builds write the same bytes
// and, restored, give the same results; bad bytes, a small restore budget and another
// dimension are refused with nothing changed (the checksum is taken by the module as
// restore() and restoreStream() write the bytes: altered bytes in any piece and a
// state that does not cover them are refused, and so are rows the module checks as they
// come, in any piece, with the message of a whole restore); version-1 index and history snapshots
// (made before the shared container) still restore; the real data sets when present.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { DIST, ROOT, requireFile, rng } from './helpers/common.mjs';
import { dataSet, needData } from './helpers/data.mjs';
import { sealSnapshot } from './helpers/seal.mjs';

requireFile(join(DIST, 'index.mjs'), 'run `make wasm` first');
const { createArag, createRecommender, AragError, Status } = await import('../dist/index.mjs');

const DEMO = JSON.parse(readFileSync(join(ROOT, 'web/demo/catalog.json'), 'utf8')).items;
const NATIVE = join(ROOT, 'build', 'native', 'catalog_native');

/** The result without what depends on the clock or the host adapter (the JS result's
 * order is its items' ids; the engine's full order is in the trace). */
function comparable(out) {
  const strip = (v) => {
    if (Array.isArray(v)) return v.map(strip);
    if (v && typeof v === 'object') {
      const o = {};
      for (const [k, x] of Object.entries(v)) if (!['elapsed_ms', 'started_ms', 'ended_ms'].includes(k)) o[k] = strip(x);
      return o;
    }
    return v;
  };
  return strip({ items: out.items, order: out.items.map((it) => it.id), degraded: out.degraded, trace: out.trace });
}

/** Shoppers over a list of items: id-only events (text from the catalog), one event with text. */
function shoppers(items, n, seed) {
  const r = rng(seed);
  const out = [];
  for (let u = 0; u < n; u++) {
    const len = 2 + Math.floor(r() * 6);
    const events = [];
    for (let i = 0; i < len; i++) {
      const it = items[Math.floor(r() * items.length)];
      events.push({ id: it.id, ts: i, kind: ['view', 'cart', 'purchase'][i % 3] });
    }
    if (u % 3 === 0) events.push({ id: 'elsewhere', ts: len, title: items[u].title, brand: 'Somewhere' });
    const cands = Array.from({ length: 12 }, () => items[Math.floor(r() * items.length)].id);
    out.push({ events, requests: [{ k: 6, topK: 30 }, { candidates: [...new Set(cands)], k: 4 }] });
  }
  return out;
}

async function recommendAll(rec, cases) {
  const out = [];
  for (const c of cases) {
    rec.history.clear();
    rec.history.add(c.events);
    for (const req of c.requests) out.push(comparable(await rec.recommend(req)));
  }
  return out;
}

function aragError(fn, code) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof AragError, `expected AragError, got ${e && e.message}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

const arags = {};
before(async () => {
  arags.emscripten = await createArag({ kind: 'emscripten' });
  arags.wasi = await createArag({ kind: 'wasi' });
});

describe('a recommender from snapshot bytes', () => {
  for (const dtype of ['f32', 'int8']) {
    test(`recommends exactly as the one built from the items (${dtype})`, async () => {
      const arag = arags.emscripten;
      const built = await createRecommender({ arag, catalog: DEMO, catalogDtype: dtype, config: { reasoner: { ira_div: 1 } } });
      const bytes = built.catalog.snapshot();
      assert.ok(bytes instanceof Uint8Array && bytes.length > 1000);
      assert.equal(new TextDecoder().decode(bytes.subarray(0, 8)), 'ARAGCATL');
      // As a worker gets it: an ArrayBuffer (from R2, KV or a static asset).
      const shipped = bytes.slice().buffer;
      const restored = await createRecommender({ arag, catalogSnapshot: shipped, config: { reasoner: { ira_div: 1 } } });
      assert.equal(restored.catalog.count, DEMO.length);
      assert.equal(restored.catalog.handle.dim, 512);
      const cases = shoppers(DEMO, 6, 11);
      const want = await recommendAll(built, cases);
      const got = await recommendAll(restored, cases);
      assert.ok(want.every((r) => r.items.length > 0));
      assert.deepEqual(got, want);
      // Each item reads back as given (no vector), from either catalog.
      for (const it of DEMO) {
        const got = restored.catalog.get(it.id);
        assert.deepEqual(got, built.catalog.get(it.id));
        for (const k of ['id', 'title', 'text', 'brand', 'categories', 'price', 'popularity']) assert.deepEqual(got[k], it[k], `${it.id}.${k}`);
      }
      assert.equal(restored.catalog.get('no-such-item'), null);
      // The restored catalog snapshots to the same bytes, and both take the same edits.
      assert.deepEqual(restored.catalog.snapshot(), bytes);
      const fresh = { id: 'new-1', title: 'Mossberry Night Balm', categories: ['Skin Care', 'Moisturizers'], price: 12 };
      built.catalog.add(fresh);
      restored.catalog.add(fresh);
      built.catalog.remove(DEMO[3].id);
      restored.catalog.remove(DEMO[3].id);
      assert.deepEqual(await recommendAll(restored, cases), await recommendAll(built, cases));
      assert.deepEqual(restored.catalog.snapshot(), built.catalog.snapshot());
      // int8 rows take dim + 4 bytes, f32 4 * dim: the snapshot size says which.
      const perItem = bytes.length / DEMO.length;
      assert.ok(dtype === 'int8' ? perItem < 900 : perItem > 2048, `${perItem} bytes per item`);
      built.free();
      restored.free();
    });
  }

  test('items given with the snapshot are added after it', async () => {
    const arag = arags.emscripten;
    const bytes = (await createRecommender({ arag, catalog: DEMO.slice(0, 50) })).catalog.snapshot();
    const rec = await createRecommender({ arag, catalogSnapshot: bytes, catalog: DEMO.slice(50, 60) });
    assert.equal(rec.catalog.count, 60);
    rec.free();
  });

  test('an embedder of another dimension than the snapshot is refused', async () => {
    const arag = arags.emscripten;
    const bytes = arag.createCatalog({ dim: 64 }).snapshot();
    const embed = { kind: 'embeddings', name: 'test', dim: 32, embed: async (t) => t.map(() => new Float32Array(32)) };
    await assert.rejects(createRecommender({ arag, embed, catalogSnapshot: bytes }), (e) => e.code === 'ARAG_E_DIM');
  });
});

describe('bad bytes, small budgets and other dimensions change nothing', () => {
  test('corrupt, truncated and foreign bytes are refused', () => {
    const arag = arags.emscripten;
    const src = arag.createCatalog({ dtype: 'int8' });
    src.add(DEMO.slice(0, 40));
    const bytes = src.snapshot();
    const cat = arag.createCatalog();
    cat.add(DEMO.slice(100, 110));
    const before = cat.snapshot();
    const r = rng(5);
    for (let i = 0; i < 60; i++) {
      const bad = bytes.slice();
      bad[Math.floor(r() * bad.length)] ^= 1 << Math.floor(r() * 8);
      aragError(() => cat.restore(bad), 'ARAG_E_CORRUPT');
    }
    for (const cut of [0, 7, 31, 40, bytes.length >> 1, bytes.length - 1]) aragError(() => cat.restore(bytes.subarray(0, cut)), 'ARAG_E_CORRUPT');
    const idx = arag.createIndex({ dim: 4 }).snapshot();
    assert.throws(() => cat.restore(idx), /index snapshot, not a catalog snapshot/);
    assert.throws(() => cat.restore('not bytes'), (e) => e.code === 'ARAG_E_INVALID');
    assert.deepEqual(cat.snapshot(), before);
    assert.equal(cat.count, 10);
    assert.throws(() => arag.createCatalog({ snapshot: bytes.subarray(0, 100) }), (e) => e.code === 'ARAG_E_CORRUPT');
    src.free();
    cat.free();
  });

  test('the checksum taken as the bytes are written: a snapshot of several pieces, altered in any of them, is refused', () => {
    for (const kind of ['emscripten', 'wasi']) {
      const arag = arags[kind];
      const src = arag.createCatalog();
      src.add(DEMO);
      const bytes = src.snapshot();
      assert.ok(bytes.length > 3 * 128 * 1024, `${bytes.length} bytes: more than three pieces of 128 KiB`);
      const cat = arag.createCatalog();
      cat.add(DEMO.slice(0, 3));
      const before = cat.snapshot();
      for (const at of [40, 128 * 1024 - 1, 128 * 1024, 200000, bytes.length - 1]) {
        const bad = bytes.slice();
        bad[at] ^= 0x10;
        aragError(() => cat.restore(bad), 'ARAG_E_CORRUPT');
      }
      assert.deepEqual(cat.snapshot(), before, kind);
      cat.restore(bytes);
      assert.deepEqual(cat.snapshot(), bytes, kind);
      src.free();
      cat.free();
    }
  });

  test('rows and scales checked as the bytes are written: one not usable, in any piece or across two, is refused by name', async () => {
    for (const dtype of ['f32', 'int8']) {
      const src = arags.emscripten.createCatalog({ dtype });
      src.add(DEMO);
      const bytes = src.snapshot();
      const n = src.count;
      const row = dtype === 'f32' ? 512 * 4 : 512;
      const scales = 64 + n * row;
      // The first row, the one across the first 128 KiB piece's end, the last; int8: their scales.
      const rows = [0, Math.floor((128 * 1024 - 64) / row), n - 1];
      assert.ok(64 + (rows[1] + 1) * row > 128 * 1024 && 64 + rows[1] * row < 128 * 1024);
      for (const r of rows) {
        const bad = bytes.slice();
        const dv = new DataView(bad.buffer);
        if (dtype === 'f32') dv.setFloat32(64 + r * row + 8, 2, true); // a unit row holds no 2
        else dv.setFloat32(scales + 4 * r, -1, true);
        sealSnapshot(bad);
        const message = new RegExp(`row ${r} has ${dtype === 'f32' ? 'a non-finite value or norm' : 'a bad scale'}`);
        for (const kind of ['emscripten', 'wasi']) {
          const cat = arags[kind].createCatalog();
          cat.add(DEMO.slice(0, 3));
          const before = cat.snapshot();
          assert.throws(() => cat.restore(bad), (e) => e.code === 'ARAG_E_CORRUPT' && message.test(e.message), `${kind} ${dtype} row ${r}`);
          const stream = new ReadableStream({
            start(c) {
              for (let i = 0; i < bad.length; i += 1000) c.enqueue(bad.slice(i, i + 1000));
              c.close();
            },
          });
          await assert.rejects(cat.restoreStream(stream, bad.length), (e) => e.code === 'ARAG_E_CORRUPT' && message.test(e.message), kind);
          assert.deepEqual(cat.snapshot(), before, kind);
          cat.free();
        }
      }
      src.free();
    }
  });

  test('a checksum state fed short of the end or over other bytes is refused, nothing changed', () => {
    for (const kind of ['emscripten', 'wasi']) {
      const arag = arags[kind];
      const raw = arag.raw;
      const src = arag.createCatalog({ dtype: 'int8' });
      src.add(DEMO);
      const bytes = src.snapshot();
      const cat = arag.createCatalog();
      cat.add(DEMO.slice(0, 3));
      const before = cat.snapshot();
      const take = raw.need('arag_catalog_restore_take_fed');
      const feed = raw.need('arag_catalog_fed_feed');
      const p = raw.malloc(bytes.length);
      const q = raw.malloc(bytes.length);
      raw.u8().set(bytes, p);
      raw.u8().set(bytes, q);
      const partial = raw.need('arag_wasm_catalog_fed_new')(p) >>> 0;
      feed(partial, bytes.length - 1);
      const unfed = raw.need('arag_wasm_catalog_fed_new')(p) >>> 0;
      const other = raw.need('arag_wasm_catalog_fed_new')(q) >>> 0;
      feed(other, bytes.length);
      for (const [sum, message] of [
        [partial, `covers ${bytes.length - 1} of its ${bytes.length} bytes`],
        [unfed, `covers 0 of its ${bytes.length} bytes`],
        [other, 'checksum state is of other bytes'],
      ]) {
        assert.equal(take(cat.ptr, p, bytes.length, sum), Status.ARAG_E_INVALID, kind);
        assert.match(cat.lastError(), new RegExp(message), kind);
        assert.deepEqual(cat.snapshot(), before, kind);
      }
      // The state fed to the end: the restore takes the bytes.
      feed(partial, bytes.length);
      assert.equal(take(cat.ptr, p, bytes.length, partial), Status.ARAG_OK, kind);
      assert.deepEqual(cat.snapshot(), bytes, kind);
      for (const s of [partial, unfed, other, q]) raw.free(s);
      src.free();
      cat.free();
    }
  });

  test('maxRestoreBytes bounds what a restore allocates', () => {
    const arag = arags.emscripten;
    const src = arag.createCatalog();
    src.add(DEMO);
    const bytes = src.snapshot();
    assert.ok(src.memoryBytes > bytes.length * 0.9, `${src.memoryBytes} bytes held for ${bytes.length} snapshot bytes`);
    const small = arag.createCatalog({ limits: { maxRestoreBytes: bytes.length } });
    small.add(DEMO[0]);
    assert.throws(() => small.restore(bytes), (e) => e.code === 'ARAG_E_LIMIT' && /max_restore_bytes/.test(e.message));
    assert.equal(small.count, 1);
    const enough = arag.createCatalog({ limits: { maxRestoreBytes: 2 * src.memoryBytes }, snapshot: bytes });
    assert.equal(enough.count, DEMO.length);
    assert.equal(arag.defaultLimits().maxRestoreBytes, 1 << 30);
    src.free();
    small.free();
    enough.free();
  });

  test("a recommender's catalog refuses a snapshot of another dimension", async () => {
    const arag = arags.emscripten;
    const rec = await createRecommender({ arag, catalog: DEMO.slice(0, 20) });
    const other = arag.createCatalog({ dim: 64 });
    other.add(DEMO.slice(0, 5));
    assert.throws(() => rec.catalog.restore(other.snapshot()), (e) => e.code === 'ARAG_E_DIM');
    assert.equal(rec.catalog.count, 20);
    rec.catalog.restore(rec.catalog.snapshot());
    assert.equal(rec.catalog.count, 20);
    rec.free();
    other.free();
  });
});

describe('the same snapshot in every build', () => {
  let dir;
  before(() => {
    requireFile(NATIVE, 'run `make native` (builds tools/catalog_native.c)');
    dir = mkdtempSync(join(tmpdir(), 'arag-catalog-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const dtype of ['f32', 'int8']) {
    test(`Emscripten, WASI and native write the same bytes and recommend alike (${dtype})`, async () => {
      const items = join(dir, 'items.jsonl');
      writeFileSync(items, DEMO.map((it) => JSON.stringify(it)).join('\n') + '\n');
      const snaps = {};
      for (const kind of ['emscripten', 'wasi']) {
        const cat = arags[kind].createCatalog({ dtype });
        cat.add(readFileSync(items, 'utf8'));
        snaps[kind] = cat.snapshot();
        cat.free();
      }
      const file = join(dir, `native-${dtype}.snap`);
      execFileSync(NATIVE, ['snapshot', items, file, dtype]);
      const native = new Uint8Array(readFileSync(file));
      assert.deepEqual(snaps.wasi, snaps.emscripten);
      assert.deepEqual(native, snaps.emscripten);
      // The native snapshot restored in each wasm build and natively: the same results.
      const cases = shoppers(DEMO, 4, 23);
      const flat = cases.flatMap((c) => c.requests.map((q) => ({ events: c.events, request: { ...q, top_k: q.topK, topK: undefined } })));
      const casesFile = join(dir, `cases-${dtype}.json`);
      writeFileSync(casesFile, JSON.stringify(flat));
      const nat = execFileSync(NATIVE, ['recommend', file, casesFile], { encoding: 'utf8', maxBuffer: 1 << 26 })
        .trim()
        .split('\n')
        .map((l) => comparable(JSON.parse(l)));
      for (const kind of ['emscripten', 'wasi']) {
        const rec = await createRecommender({ arag: arags[kind], catalogSnapshot: native });
        assert.deepEqual(await recommendAll(rec, cases), nat, kind);
        rec.free();
      }
    });
  }
});

test('restoreStream: the snapshot read from a stream into the module, as restore() takes it', async () => {
  for (const kind of ['emscripten', 'wasi']) {
    const arag = await createArag({ kind });
    const src = arag.createCatalog({ dtype: 'int8' });
    src.add(DEMO);
    const bytes = src.snapshot();
    const chunks = (b, size) => new ReadableStream({
      start(c) {
        for (let i = 0; i < b.length; i += size) c.enqueue(b.slice(i, i + size));
        c.close();
      },
    });
    const cat = arag.createCatalog();
    // Something else grows the module's memory between chunks: the writes follow it.
    let grown = null;
    const growing = new ReadableStream({
      pull: (() => {
        let i = 0;
        return (c) => {
          if (i >= bytes.length) return c.close();
          if (i === 4096) grown = arag.createCatalog({ dim: 2048 }).add(Array.from({ length: 2500 }, (_, j) => ({ id: `g${j}`, title: `grow ${j}` })));
          c.enqueue(bytes.slice(i, i + 4096));
          i += 4096;
        };
      })(),
    });
    const before = arag.raw.u8().length;
    await cat.restoreStream(growing, bytes.length);
    assert.equal(grown, 2500);
    assert.ok(arag.raw.u8().length > before, 'the memory grew mid-stream');
    assert.deepEqual(cat.snapshot(), bytes, `${kind}: the same catalog`);
    assert.equal(cat.count, DEMO.length);
    // Short, long, corrupt: refused, the catalog as it was.
    const other = arag.createCatalog();
    other.add(DEMO.slice(0, 3));
    for (const [stream, size, code] of [
      [chunks(bytes.slice(0, 1000), 300), bytes.length, 'ARAG_E_CORRUPT'],
      [chunks(bytes, 777), bytes.length - 1, 'ARAG_E_CORRUPT'],
      [chunks(bytes.map((x, i) => (i === 300 ? x ^ 1 : x)), 999), bytes.length, 'ARAG_E_CORRUPT'],
    ]) {
      await assert.rejects(other.restoreStream(stream, size), (e) => e instanceof AragError && e.code === code, kind);
      assert.equal(other.count, 3);
    }
    await assert.rejects(other.restoreStream(null, 10), (e) => e instanceof AragError && e.code === 'ARAG_E_INVALID');
    for (const c of [src, cat, other]) c.free();
  }
});

test('version-1 index and history snapshots (before the container) still restore', () => {
  const arag = arags.emscripten;
  const fixture = (name) => new Uint8Array(readFileSync(join(ROOT, 'tests/fixtures', name)));
  const ix = arag.createIndex({ dim: 3 });
  ix.restore(fixture('index-v1-f32.snap'));
  assert.equal(ix.count, 4);
  assert.equal(ix.has('beta'), false);
  assert.equal(new TextDecoder().decode(ix.snapshot().subarray(0, 8)), 'ARAGINDX');
  const h = arag.createHistory({ dim: 16 });
  h.restore(fixture('history-v1.snap'));
  assert.equal(h.count, 5);
  assert.equal(new TextDecoder().decode(h.snapshot().subarray(0, 8)), 'ARAGHIST');
  ix.free();
  h.free();
});

describe('real data sets', () => {
  for (const name of ['amazon-beauty', 'amazon-office']) {
    test(`${name}: a restored int8 catalog recommends as the built one`, needData(name), async () => {
      const dir = dataSet(name);
      const arag = arags.emscripten;
      const text = readFileSync(join(dir, 'items.jsonl'), 'utf8');
      const built = await createRecommender({ arag, catalogDtype: 'int8' });
      built.catalog.add(text);
      const restored = await createRecommender({ arag, catalogSnapshot: built.catalog.snapshot() });
      const byUser = new Map();
      for (const l of readFileSync(join(dir, 'interactions.jsonl'), 'utf8').split('\n')) {
        if (!l.trim()) continue;
        const e = JSON.parse(l);
        if (!byUser.has(e.user)) byUser.set(e.user, []);
        byUser.get(e.user).push({ id: e.item, ts: e.ts, kind: 'purchase' });
      }
      const cases = [...byUser.values()].slice(0, 12).map((events) => ({ events: events.slice(0, -1), requests: [{ k: 10, topK: 50 }] }));
      assert.deepEqual(await recommendAll(restored, cases), await recommendAll(built, cases));
      built.free();
      restored.free();
    });
  }
});

test('Status names the snapshot errors', () => {
  assert.equal(Status.ARAG_E_CORRUPT, 7);
  assert.equal(Status.ARAG_E_VERSION, 8);
});
