// The vector index through the JS API, in both wasm builds (Emscripten and WASI) in
// Node, cross-checked against a plain-JS reference and against the native build.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';
import { join } from 'node:path';
import { ROOT, DIST, requireFile, randomVectors, bruteTopK, rng } from './helpers/common.mjs';

requireFile(join(DIST, 'index.mjs'), 'run `make wasm` first');
const { createArag, AragError } = await import('../dist/index.mjs');

const KINDS = ['emscripten', 'wasi'];
const ids = (hits) => hits.map((h) => h.id);

function assertAragError(fn, code) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof AragError, `expected AragError, got ${e && e.name}: ${e && e.message}`);
    assert.equal(e.code, code, `code ${e.code} (${e.message})`);
    assert.equal(typeof e.status, 'number');
    assert.ok(e.message.length > 0);
    return true;
  });
}

function fill(ix, vecs, prefix = 'r') {
  const rows = vecs.map((v, i) => ({ id: `${prefix}${i}`, v }));
  for (const { id, v } of rows) ix.add(id, v);
  return rows;
}

const arags = {};
before(async () => {
  for (const kind of KINDS) arags[kind] = await createArag({ kind });
});

for (const kind of KINDS) {
  describe(`index (${kind})`, () => {
    test('module kind and version', () => {
      const a = arags[kind];
      assert.equal(a.kind, kind);
      assert.match(a.version, /^\d+\.\d+\.\d+/);
    });

    test('add / search / update / remove / compact agree with a JS reference', () => {
      const a = arags[kind];
      const ix = a.createIndex({ dim: 32 });
      const vecs = randomVectors(300, 32, 11);
      const rows = fill(ix, vecs);
      assert.equal(ix.count, 300);
      assert.equal(ix.dim, 32);
      const queries = randomVectors(10, 32, 12);
      for (const q of queries) {
        const got = ix.search(q, 8);
        const want = bruteTopK(rows, q, 8);
        assert.deepEqual(ids(got), ids(want));
        got.forEach((h, i) => assert.ok(Math.abs(h.score - want[i].score) < 1e-5));
      }
      // Every row finds itself first (cosine of a vector with itself is 1).
      for (const i of [0, 17, 299]) {
        const [top] = ix.search(vecs[i], 1);
        assert.equal(top.id, `r${i}`);
        assert.ok(Math.abs(top.score - 1) < 1e-5);
      }
      // Update keeps the slot and count, and changes what the id matches.
      const slot = ix.slotOf('r5');
      ix.add('r5', vecs[200]);
      assert.equal(ix.count, 300);
      assert.equal(ix.slotOf('r5'), slot);
      const top2 = ix.search(vecs[200], 2).map((h) => h.id).sort();
      assert.deepEqual(top2, ['r200', 'r5']);
      // Remove: gone from results and count.
      ix.remove('r200');
      assert.equal(ix.count, 299);
      assert.equal(ix.has('r200'), false);
      assert.ok(!ids(ix.search(vecs[200], 20)).includes('r200'));
      assertAragError(() => ix.remove('r200'), 'ARAG_E_NOT_FOUND');
      // Compact: same answers, no more memory than before.
      for (let i = 0; i < 100; i++) ix.remove(`r${i * 3}`);
      assert.equal(ix.count, 199);
      const before = queries.map((q) => ix.search(q, 10));
      const bytesBefore = ix.memoryBytes;
      const countBefore = ix.count;
      ix.compact();
      assert.equal(ix.count, countBefore);
      assert.ok(ix.memoryBytes <= bytesBefore, `${ix.memoryBytes} <= ${bytesBefore}`);
      queries.forEach((q, i) => assert.deepEqual(ix.search(q, 10), before[i]));
      ix.free();
    });

    test('stored vectors are normalized for cosine and exact for dot', () => {
      const a = arags[kind];
      const c = a.createIndex({ dim: 4, metric: 'cosine' });
      c.add('x', [3, 0, 4, 0]);
      assert.deepEqual(Array.from(c.get('x')), [0.6000000238418579, 0, 0.800000011920929, 0]);
      assert.equal(c.get('nope'), null);
      const d = a.createIndex({ dim: 4, metric: 'dot' });
      d.add('x', [3, 0, 4, 0]);
      d.add('y', [1, 1, 1, 1]);
      assert.deepEqual(d.search([1, 0, 1, 0], 2), [
        { id: 'x', score: 7 },
        { id: 'y', score: 2 },
      ]);
      c.free();
      d.free();
    });

    test('allow restricts the search to a candidate set', () => {
      const a = arags[kind];
      const ix = a.createIndex({ dim: 16, metric: 'dot' });
      const rows = fill(ix, randomVectors(200, 16, 21, 'int'));
      const allow = ['r3', 'r50', 'r77', 'r120', 'r199', 'unknown-id'];
      const q = randomVectors(1, 16, 22, 'int')[0];
      const got = ix.search(q, 3, { allow });
      const want = bruteTopK(rows.filter((r) => allow.includes(r.id)), q, 3, 'dot');
      assert.deepEqual(got, want);
      assert.deepEqual(ix.search(q, 3, { allow: ['nothing'] }), []);
      ix.free();
    });

    test('ties are broken by ascending slot', () => {
      const a = arags[kind];
      const ix = a.createIndex({ dim: 2, metric: 'dot' });
      for (const id of ['c', 'a', 'b']) ix.add(id, [1, 1]);
      ix.add('z', [0, 1]);
      assert.deepEqual(ids(ix.search([1, 0], 4)), ['c', 'a', 'b', 'z']);
      ix.free();
    });

    test('snapshot / restore round trip; corrupt bytes change nothing', () => {
      const a = arags[kind];
      const ix = a.createIndex({ dim: 24, dtype: 'int8', keepF32: true });
      fill(ix, randomVectors(120, 24, 31));
      ix.remove('r7');
      const qs = randomVectors(5, 24, 32);
      const want = qs.map((q) => ix.search(q, 6, { rerank: 4 }));
      const snap = ix.snapshot();
      assert.ok(snap instanceof Uint8Array && snap.length > 120 * 24);

      const other = a.createIndex({ dim: 3 }); // restore takes dim, dtype, metric from the bytes
      other.add('old', [1, 2, 3]);
      other.restore(snap);
      assert.equal(other.dim, 24);
      assert.equal(other.count, 119);
      assert.equal(other.has('old'), false);
      qs.forEach((q, i) => assert.deepEqual(other.search(q, 6, { rerank: 4 }), want[i]));

      const target = a.createIndex({ dim: 3 });
      target.add('keep', [1, 2, 3]);
      const flipped = snap.slice();
      flipped[Math.floor(flipped.length / 2)] ^= 0x40;
      assertAragError(() => target.restore(flipped), 'ARAG_E_CORRUPT');
      assertAragError(() => target.restore(snap.subarray(0, snap.length - 5)), 'ARAG_E_CORRUPT');
      assertAragError(() => target.restore(new Uint8Array(3)), 'ARAG_E_CORRUPT');
      assert.equal(target.count, 1);
      assert.equal(target.dim, 3);
      assert.equal(target.search([1, 2, 3], 1)[0].id, 'keep');
      for (const h of [ix, other, target]) h.free();
    });

    test('bad input gives AragError and changes nothing', () => {
      const a = arags[kind];
      const ix = a.createIndex({ dim: 4, limits: { maxRows: 3, maxIdBytes: 8 } });
      ix.add('a', [1, 0, 0, 0]);
      assertAragError(() => ix.add('b', [1, 0, 0]), 'ARAG_E_DIM');
      assertAragError(() => ix.add('b', [1, NaN, 0, 0]), 'ARAG_E_NONFINITE');
      assertAragError(() => ix.add('b', [1, Infinity, 0, 0]), 'ARAG_E_NONFINITE');
      assertAragError(() => ix.add('much-too-long-id', [1, 0, 0, 0]), 'ARAG_E_LIMIT');
      assertAragError(() => ix.add('', [1, 0, 0, 0]), 'ARAG_E_INVALID');
      assertAragError(() => ix.add(42, [1, 0, 0, 0]), 'ARAG_E_INVALID');
      assertAragError(() => ix.add('b', 'not a vector'), 'ARAG_E_INVALID');
      assertAragError(() => ix.search([1, 0], 1), 'ARAG_E_DIM');
      assertAragError(() => ix.search([1, 0, 0, 0], -1), 'ARAG_E_INVALID');
      assertAragError(() => ix.search([NaN, 0, 0, 0], 1), 'ARAG_E_NONFINITE');
      // A failed search brings its own message and writes none into the index (which a
      // catalog may share read-only): the index's last error is the add's from before.
      const before = ix.lastError();
      assert.throws(() => ix.search([1, 0], 1), /has 2 dims, the index has 4/);
      assert.throws(() => ix.search([1, 0, 0, NaN], 1), /NONFINITE|finite/i);
      assert.equal(ix.lastError(), before);
      assert.equal(ix.count, 1);
      ix.add('b', [0, 1, 0, 0]);
      ix.add('c', [0, 0, 1, 0]);
      assertAragError(() => ix.add('d', [0, 0, 0, 1]), 'ARAG_E_LIMIT');
      assert.equal(ix.count, 3);
      assertAragError(() => ix.setLimits({ maxRows: 2 }), 'ARAG_E_LIMIT');
      assert.equal(ix.limits.maxRows, 3);
      ix.setLimits({ maxRows: 10 });
      assert.equal(ix.limits.maxRows, 10);
      ix.add('d', [0, 0, 0, 1]);
      assert.equal(ix.count, 4);
      assertAragError(() => ix.setKernel('fast'), 'ARAG_E_INVALID');
      assertAragError(() => a.createIndex({ dim: 0 }), 'ARAG_E_INVALID');
      assertAragError(() => a.createIndex({ dim: 8, dtype: 'f16' }), 'ARAG_E_INVALID');
      assertAragError(() => a.createIndex({ dim: 5000 }), 'ARAG_E_LIMIT');
      ix.free();
      assertAragError(() => ix.count, 'ARAG_E_STATE');
      assertAragError(() => ix.search([1, 0, 0, 0], 1), 'ARAG_E_STATE');
      ix.free(); // a second free is harmless
    });

    test('scalar and SIMD kernels give identical rankings (f32 and int8)', () => {
      const a = arags[kind];
      for (const dtype of ['f32', 'int8']) {
        const ix = a.createIndex({ dim: 96, dtype });
        fill(ix, randomVectors(2000, 96, 41));
        const qs = randomVectors(12, 96, 42);
        ix.setKernel('scalar');
        const scalar = qs.map((q) => ix.search(q, 10));
        ix.setKernel('simd');
        const simd = qs.map((q) => ix.search(q, 10));
        qs.forEach((_, i) => {
          assert.deepEqual(ids(simd[i]), ids(scalar[i]), `${dtype} query ${i}`);
          simd[i].forEach((h, j) => assert.ok(Math.abs(h.score - scalar[i][j].score) < 1e-5));
        });
        ix.free();
      }
    });

    test('int8 with f32 re-rank returns the exact f32 top-k', () => {
      const a = arags[kind];
      const vecs = randomVectors(3000, 64, 51);
      const f = a.createIndex({ dim: 64, dtype: 'f32' });
      const q8 = a.createIndex({ dim: 64, dtype: 'int8', keepF32: true });
      fill(f, vecs);
      fill(q8, vecs);
      assert.ok(q8.memoryBytes > f.memoryBytes, 'int8 + f32 copy holds both');
      let plainDiffers = 0;
      for (const q of randomVectors(20, 64, 52)) {
        const exact = f.search(q, 10);
        const reranked = q8.search(q, 10, { rerank: 8 });
        assert.deepEqual(ids(reranked), ids(exact));
        reranked.forEach((h, j) => assert.ok(Math.abs(h.score - exact[j].score) < 1e-6));
        const plain = q8.search(q, 10);
        if (plain.some((h, j) => h.score !== exact[j].score)) plainDiffers++;
      }
      // Without re-rank the int8 scores are approximations.
      assert.ok(plainDiffers > 0);
      const i8only = a.createIndex({ dim: 64, dtype: 'int8' });
      fill(i8only, vecs.slice(0, 500));
      assert.ok(i8only.memoryBytes < f.memoryBytes / 4, 'int8 rows take about a quarter of f32');
      for (const h of [f, q8, i8only]) h.free();
    });

    test('memory growth keeps views valid', () => {
      const a = arags[kind];
      const ix = a.createIndex({ dim: 256 });
      const r = rng(61);
      const v = new Float32Array(256);
      for (let i = 0; i < 24000; i++) {
        for (let j = 0; j < 8; j++) v[(i * 8 + j) % 256] = r() - 0.5;
        ix.add(`g${i}`, v);
      }
      assert.equal(ix.count, 24000);
      assert.ok(ix.memoryBytes > 24000 * 256 * 4);
      const last = ix.get('g23999');
      assert.equal(ix.search(last, 1)[0].id, 'g23999');
      ix.free();
    });

    test("a catalog's index is read-only: searches and snapshots, no changes", () => {
      const a = arags[kind];
      const cat = a.createCatalog({ dim: 64 });
      cat.add([
        { id: 'cream', title: 'hydrating face cream' },
        { id: 'drill', title: 'cordless power drill' },
        { id: 'serum', title: 'vitamin c face serum' },
      ]);
      const ix = cat.index;
      assert.equal(ix.count, 3);
      assert.equal(ix.dim, 64);
      const q = a.embed('face cream', 64);
      assert.equal(ix.search(q, 1)[0].id, 'cream');
      assert.deepEqual(ids(ix.search(q, 3, { allow: ['drill', 'serum'] })).sort(), ['drill', 'serum']);
      assert.ok(ix.has('drill') && ix.get('drill').length === 64);
      const snap = ix.snapshot();
      const before = cat.snapshot();
      const v = a.embed('garden hose', 64);
      const attempts = [
        () => ix.add('hose', v),
        () => ix.add('cream', v),
        () => ix.remove('drill'),
        () => ix.compact(),
        () => ix.restore(snap),
        () => ix.setLimits({ maxRows: 1 }),
        () => ix.setKernel('scalar'),
      ];
      for (const f of attempts) {
        assertAragError(f, 'ARAG_E_STATE');
        assert.throws(f, /read-only.*through the catalog/);
      }
      // Nothing changed: the catalog and its index still agree, byte for byte.
      assert.equal(ix.count, 3);
      assert.equal(cat.count, 3);
      assert.deepEqual(cat.snapshot(), before);
      assert.deepEqual(ix.snapshot(), snap);
      // The catalog's own calls still change it, and its index follows.
      cat.remove('drill');
      assert.equal(ix.count, 2);
      assert.equal(ix.has('drill'), false);
      // An index of one's own restores the catalog index's snapshot and is changeable.
      const own = a.createIndex({ dim: 64 }).restore(snap);
      assert.equal(own.count, 3);
      own.add('hose', v).remove('drill');
      assert.equal(own.count, 3);
      own.free();
      cat.free();
      assert.throws(() => ix.count, (e) => e.code === 'ARAG_E_STATE');
    });

    test('built-in embedder: deterministic, normalized, zero for empty text', () => {
      const a = arags[kind];
      const e1 = a.embed('hydrating face cream for dry skin');
      const e2 = a.embed('hydrating face cream for dry skin');
      assert.equal(e1.length, 512);
      assert.deepEqual(e1, e2);
      const n = Math.sqrt(e1.reduce((s, x) => s + x * x, 0));
      assert.ok(Math.abs(n - 1) < 1e-5);
      assert.ok(a.embed('', 64).every((x) => x === 0));
      const ix = a.createIndex({ dim: 512 });
      ix.add('cream', e1);
      ix.add('drill', a.embed('cordless power drill with battery'));
      assert.equal(ix.search(a.embed('moisturizing cream for dry skin'), 1)[0].id, 'cream');
      ix.free();
    });
  });
}

describe('loading', () => {
  test('from bytes, a compiled module, a path; kind detected from the module', async () => {
    const { readFileSync } = await import('node:fs');
    const wasiBytes = readFileSync(join(DIST, 'arag-wasi.wasm'));
    const emBytes = readFileSync(join(DIST, 'arag.wasm'));
    assert.equal((await createArag({ wasm: wasiBytes })).kind, 'wasi');
    assert.equal((await createArag({ wasm: await WebAssembly.compile(wasiBytes) })).kind, 'wasi');
    assert.equal((await createArag({ wasm: new Uint8Array(emBytes) })).kind, 'emscripten');
    assert.equal((await createArag({ wasm: join(DIST, 'arag.wasm') })).kind, 'emscripten');
    await assert.rejects(createArag({ wasm: wasiBytes, kind: 'emscripten' }), (e) => e instanceof AragError && e.code === 'ARAG_E_INVALID');
    await assert.rejects(createArag({ kind: 'wasm64' }), (e) => e instanceof AragError && e.code === 'ARAG_E_INVALID');
    await assert.rejects(createArag({ wasm: 42 }), (e) => e instanceof AragError && e.code === 'ARAG_E_INVALID');
    await assert.rejects(createArag({ wasm: new Uint8Array([0, 97, 115, 109, 9, 9]) }), WebAssembly.CompileError);
  });
});

describe('handles left to the garbage collector', () => {
  test('the FinalizationRegistry frees dropped indexes', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc');
    for (const kind of KINDS) {
      const a = await createArag({ kind }); // a fresh module: no free space left by other tests
      const v = new Float32Array(256).fill(0.5);
      const startBytes = a.raw.u8().length;
      // 30 indexes of about 1.5 MB each, never freed explicitly.
      for (let i = 0; i < 30; i++) {
        (() => {
          const ix = a.createIndex({ dim: 256 });
          for (let j = 0; j < 1500; j++) ix.add(`x${j}`, v);
        })();
        gc();
        await new Promise((r) => setTimeout(r, 5));
      }
      const grown = a.raw.u8().length - startBytes;
      assert.ok(grown < 16 * 1024 * 1024, `${kind}: memory grew by ${grown} bytes for 45 MB of dropped indexes`);
    }
  });
});

describe('cross-check: Emscripten, WASI and native return identical top-k', () => {
  const exe = join(ROOT, 'build', 'native', 'xcheck_native');
  let dir;
  before(() => {
    requireFile(exe, 'run `make native` (builds tools/xcheck_native.c)');
    dir = mkdtempSync(join(tmpdir(), 'arag-xcheck-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const cases = [
    { name: 'cosine f32, gaussian', dim: 48, n: 1500, dtype: 'f32', metric: 'cosine', kind: 'gauss', exactScores: false },
    { name: 'dot f32, small integers (exact arithmetic)', dim: 32, n: 1500, dtype: 'f32', metric: 'dot', kind: 'int', exactScores: true },
    { name: 'int8 + keep_f32 re-rank', dim: 40, n: 1200, dtype: 'int8', metric: 'cosine', kind: 'gauss', rerank: 6, exactScores: false },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const vecs = randomVectors(c.n, c.dim, 71 + c.dim);
      const ivecs = c.kind === 'int' ? randomVectors(c.n, c.dim, 71 + c.dim, 'int') : vecs;
      const rows = ivecs.map((v, i) => ({ id: `item-${i}`, v: Array.from(v) }));
      const queries = (c.kind === 'int' ? randomVectors(15, c.dim, 99, 'int') : randomVectors(15, c.dim, 99)).map((q) => Array.from(q));
      const remove = ['item-3', 'item-500', 'item-999'];
      const k = 10;
      const file = join(dir, `${c.dim}.json`);
      writeFileSync(file, JSON.stringify({ dim: c.dim, dtype: c.dtype, metric: c.metric, keep_f32: 1, k, rerank: c.rerank || 0, rows, remove, compact: 1, queries }));
      const native = JSON.parse(execFileSync(exe, [file], { encoding: 'utf8', maxBuffer: 1 << 24 })).results;
      assert.equal(native.length, queries.length);
      const per = {};
      for (const kind of KINDS) {
        const ix = arags[kind].createIndex({ dim: c.dim, dtype: c.dtype, metric: c.metric, keepF32: true });
        for (const r of rows) ix.add(r.id, r.v);
        for (const id of remove) ix.remove(id);
        ix.compact();
        per[kind] = queries.map((q) => ix.search(q, k, { rerank: c.rerank || 0 }));
        ix.free();
      }
      queries.forEach((_, i) => {
        const n = native[i];
        assert.equal(n.length, k);
        for (const kind of KINDS) {
          assert.deepEqual(ids(per[kind][i]), ids(n), `${kind} vs native, query ${i}`);
          per[kind][i].forEach((h, j) => {
            if (c.exactScores) assert.equal(h.score, n[j].score);
            else assert.ok(Math.abs(h.score - n[j].score) < 1e-5, `${h.score} vs ${n[j].score}`);
          });
        }
        // The two wasm builds share one compiler back end and kernel: bit-identical.
        assert.deepEqual(per.emscripten[i], per.wasi[i]);
        assert.ok(!ids(n).some((id) => remove.includes(id)));
      });
    });
  }
});
