// History snapshots from an untrusted source (a crafted file, a tampered store): numbers
// event JSON refuses are refused, and a snapshot past the history's memory budget is
// refused before it is unpacked, in both wasm builds.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DIST, requireFile } from './helpers/common.mjs';

requireFile(join(DIST, 'index.mjs'), 'run `make wasm` first');
const { createArag, AragError } = await import('../dist/index.mjs');

/** A history snapshot written by hand (format in src/catalog/history.c): n events with a
 * 7-byte id, no text and no stored vector; 69 bytes each. */
function craft({ dim, n, rating = NaN, price = NaN, popularity = NaN }) {
  const total = 32 + n * 69 + 8;
  const buf = new Uint8Array(total);
  const v = new DataView(buf.buffer);
  buf.set([65, 82, 72, 83]); // "ARHS"
  v.setUint32(4, 1, true);
  v.setUint32(8, dim, true);
  v.setUint32(12, n, true);
  v.setBigUint64(16, BigInt(n), true);
  v.setBigUint64(24, BigInt(total), true);
  let o = 32;
  for (let i = 0; i < n; i++) {
    v.setBigUint64(o, BigInt(i), true);
    v.setFloat64(o + 8, i, true);
    buf[o + 16] = 0; // view
    v.setFloat64(o + 17, rating, true);
    v.setFloat64(o + 25, price, true);
    v.setFloat64(o + 33, popularity, true);
    v.setUint32(o + 41, 7, true);
    const id = `e${String(i).padStart(6, '0')}`;
    for (let k = 0; k < 7; k++) buf[o + 45 + k] = id.charCodeAt(k);
    o += 52 + 16 + 1; // title, text, brand, categories: empty; has_vec 0
  }
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < o; i++) h = BigInt.asUintN(64, (h ^ BigInt(buf[i])) * 0x100000001b3n);
  v.setBigUint64(o, h, true);
  return buf;
}

const isAragError = (code) => (e) => {
  assert.ok(e instanceof AragError, `expected AragError, got ${e}`);
  assert.equal(e.code, code, e.message);
  return true;
};

for (const kind of ['emscripten', 'wasi']) {
  describe(`history snapshots (${kind})`, () => {
    test('a rating, price or popularity that is not finite is refused; NaN stays absent', async () => {
      const a = await createArag({ kind });
      const h = a.createHistory({ dim: 64 });
      h.add({ id: 'keep', title: 'kept' });
      for (const bad of [{ rating: Infinity }, { price: -Infinity }, { popularity: Infinity }]) {
        assert.throws(() => h.restore(craft({ dim: 64, n: 2, ...bad })), isAragError('ARAG_E_CORRUPT'));
        assert.equal(h.count, 1);
      }
      assert.throws(() => h.add('{"id":"x","price":1e999}'), isAragError('ARAG_E_JSON')); // the JSON path
      h.restore(craft({ dim: 64, n: 2, price: 4.5 }));
      assert.equal(h.count, 2);
      h.free();
    });

    test('a 15 MB snapshot of 220,000 events is refused within the memory budget', async () => {
      const a = await createArag({ kind }); // a fresh module: its memory is this test's
      const h = a.createHistory({ dim: 512 });
      h.add({ id: 'keep', title: 'kept' });
      const before = a.raw.u8().length;
      const snap = craft({ dim: 512, n: 220000 });
      assert.ok(snap.length > 15e6);
      assert.throws(() => h.restore(snap), isAragError('ARAG_E_LIMIT'));
      assert.match(h.lastError(), /max_bytes/);
      assert.equal(h.count, 1);
      // The bytes are copied in (15 MB) and nothing is unpacked.
      const grown = a.raw.u8().length - before;
      assert.ok(grown < 24 * 2 ** 20, `wasm memory grew by ${grown} bytes`);
      // The same snapshot restores under a budget that holds it (by default: 64 MiB).
      const small = craft({ dim: 512, n: 6000 });
      h.restore(small);
      assert.equal(h.count, 6000);
      assert.ok(h.memoryBytes <= h.maxBytes && h.memoryBytes > 6000 * 2 * 4 * 512);
      assert.throws(() => h.setMaxBytes(h.memoryBytes - 1), isAragError('ARAG_E_LIMIT'));
      assert.throws(() => a.createHistory({ dim: 8, maxBytes: 0 }), AragError);
      const tiny = a.createHistory({ dim: 8, maxBytes: 4096 });
      assert.throws(() => tiny.add(Array.from({ length: 40 }, (_, i) => ({ id: `i${i}`, title: 'pen' }))), isAragError('ARAG_E_LIMIT'));
      assert.equal(tiny.count, 0);
      h.free();
      tiny.free();
    });
  });
}
