// The host library takes enums, status names and struct layouts from the module
// (web/src/abi.mjs, generated from arag_abi_json by make abi), never from copies: both
// builds describe themselves as abi.mjs says, the JS values are the module's, the loader
// refuses a module that describes itself otherwise, and a create call that fails says why.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { ROOT, DIST, requireFile } from './helpers/common.mjs';

requireFile(join(DIST, 'index.mjs'), 'run `make wasm` first');
const lib = await import('../dist/index.mjs');
const { createArag, createRecommender, AragError, Status, STATUS_NAMES, loadModule } = lib;
const { ABI, ABI_JSON } = await import('../dist/abi.mjs');
const { DTYPES, METRICS, KERNELS } = await import('../dist/handles.mjs');
const { default: createAragModule } = await import('../dist/arag.mjs');

const KINDS = ['emscripten', 'wasi'];
const arags = {};
before(async () => {
  for (const kind of KINDS) arags[kind] = await createArag({ kind });
});

function moduleAbi(raw) {
  const p = raw.fn.arag_abi_json() >>> 0;
  const text = raw.getCString(p);
  raw.fn.arag_free(p);
  return text;
}

describe('the module describes itself', () => {
  for (const kind of KINDS) {
    test(`${kind}: arag_abi_json is web/src/abi.mjs (run make abi when this fails)`, () => {
      assert.equal(moduleAbi(arags[kind].raw), ABI_JSON);
      assert.deepEqual(JSON.parse(ABI_JSON), ABI);
    });
  }

  test('the committed web/src/abi.mjs is the one in dist/', () => {
    assert.equal(readFileSync(join(ROOT, 'web/src/abi.mjs'), 'utf8'), readFileSync(join(DIST, 'abi.mjs'), 'utf8'));
  });

  test('status names are the module strerror names, 0 .. n-1, and nothing past them', () => {
    for (const kind of KINDS) {
      const a = arags[kind];
      assert.ok(STATUS_NAMES.length >= 12);
      STATUS_NAMES.forEach((name, i) => {
        assert.equal(Status[name], i);
        assert.ok(a.strerror(i).startsWith(`${name}: `), `${kind}: ${a.strerror(i)}`);
      });
      assert.match(a.strerror(STATUS_NAMES.length), /^ARAG_E_UNKNOWN/);
    }
  });

  test('index.d.ts lists the same status names', () => {
    const dts = readFileSync(join(ROOT, 'web/src/index.d.ts'), 'utf8');
    const union = dts.slice(dts.indexOf('export type StatusCode ='), dts.indexOf(';', dts.indexOf('export type StatusCode =')));
    assert.deepEqual([...union.matchAll(/'(ARAG_[A-Z_]+)'/g)].map((m) => m[1]), [...STATUS_NAMES]);
  });

  test('the JS enums are the module enums', () => {
    assert.deepEqual(DTYPES, { f32: ABI.enums.arag_dtype.ARAG_F32, i8: ABI.enums.arag_dtype.ARAG_I8, int8: ABI.enums.arag_dtype.ARAG_I8 });
    assert.deepEqual(METRICS, { cosine: ABI.enums.arag_metric.ARAG_COSINE, dot: ABI.enums.arag_metric.ARAG_DOT });
    assert.deepEqual(Object.keys(KERNELS), ['auto', 'scalar', 'simd']);
    for (const [name, v] of Object.entries(KERNELS)) assert.equal(v, ABI.enums.arag_kernel[`ARAG_KERNEL_${name.toUpperCase()}`]);
    assert.deepEqual(Object.keys(ABI.enums.arag_fetch_status).map((n) => n.slice(11).toLowerCase()), [
      'network',
      'timeout',
      'budget',
      'deadline',
      'cancelled',
      'refusal',
    ]);
  });

  test('struct layouts: arag_limits round-trips through C at the described offsets', () => {
    for (const kind of KINDS) {
      const a = arags[kind];
      const L = ABI.structs.arag_limits;
      assert.equal(L.fields.reduce((n, f) => n + f.size, 0), L.size, 'every byte of arag_limits is a described field');
      // The C defaults, read at the described offsets.
      assert.deepEqual(a.defaultLimits(), { maxDim: 4096, maxRows: 1000000, maxIdBytes: 256, maxTextBytes: 65536, maxRestoreBytes: 2 ** 30 });
      const limits = { maxDim: 301, maxRows: 302, maxIdBytes: 303, maxTextBytes: 304, maxRestoreBytes: 305 };
      const ix = a.createIndex({ dim: 8, limits });
      assert.deepEqual(ix.limits, limits);
      ix.free();
      const E = ABI.structs.arag_error;
      assert.deepEqual(E.fields.map((f) => [f.name, f.type]), [['status', 'i32'], ['message', 'char']]);
      assert.equal(E.fields[1].offset + E.fields[1].size, E.size);
    }
  });
});

describe('the loader refuses a module that describes itself otherwise', () => {
  // The Emscripten glue's wrappers replace themselves with the wasm function on their
  // first call: call it once, then put the altered one in its place.
  const altered = (change) => async (arg) => {
    const M = await createAragModule(arg);
    M._arag_free(M._arag_abi_json());
    change(M);
    return M;
  };
  test('another layout', async () => {
    const createModule = altered((M) => {
      const real = M._arag_abi_json;
      M._arag_abi_json = () => {
        const p = real();
        M._arag_free(p);
        const text = ABI_JSON.replace('"max_dim","offset":0', '"max_dim","offset":4');
        assert.notEqual(text, ABI_JSON);
        const mem = Object.values(M.asm).find((v) => v instanceof WebAssembly.Memory);
        const bytes = new TextEncoder().encode(`${text}\0`);
        const q = M._malloc(bytes.length);
        new Uint8Array(mem.buffer).set(bytes, q);
        return q;
      };
    });
    await assert.rejects(loadModule({ kind: 'emscripten', createModule }), (e) => e instanceof AragError && e.code === 'ARAG_E_INVALID' && /another include\/arag\.h/.test(e.message));
  });
  test('no description', async () => {
    const createModule = altered((M) => {
      delete M._arag_abi_json;
    });
    await assert.rejects(loadModule({ kind: 'emscripten', createModule }), (e) => e instanceof AragError && /does not describe itself/.test(e.message));
  });
});

describe('a create call that fails says why', () => {
  for (const kind of KINDS) {
    test(`${kind}: index, catalog, history and engine`, () => {
      const a = arags[kind];
      const fails = (fn, code, re) =>
        assert.throws(fn, (e) => {
          assert.ok(e instanceof AragError, String(e));
          assert.equal(e.code, code, e.message);
          assert.match(e.message, re);
          return true;
        });
      fails(() => a.createIndex({ dim: 5000 }), 'ARAG_E_LIMIT', /^createIndex: ARAG_E_LIMIT: dim 5000 is above max_dim 4096$/);
      fails(() => a.createIndex({ dim: 8, limits: { maxDim: 1 << 30 } }), 'ARAG_E_LIMIT', /max_dim \d+ is above the supported/);
      fails(() => a.createCatalog({ dim: 64, limits: { maxDim: 32 } }), 'ARAG_E_LIMIT', /^createCatalog: ARAG_E_LIMIT: dim 64 is above max_dim 32$/);
      fails(() => a.createHistory({ dim: 9000 }), 'ARAG_E_LIMIT', /^createHistory: ARAG_E_LIMIT: dim 9000 is above max_dim 4096$/);
      fails(() => a.createEngine({ thetaa: 1 }), 'ARAG_E_INVALID', /^engine config: ARAG_E_INVALID: unknown config key "thetaa"$/);
      fails(() => a.createEngine('{"theta": '), 'ARAG_E_JSON', /^engine config: ARAG_E_JSON: config is not valid JSON$/);
      fails(() => a.createEngine({ top_k: 2000 }), 'ARAG_E_LIMIT', /"top_k" \(2000\) is past max_candidates \(1000\)/);
      const e = a.createEngine({ k: 3 });
      assert.equal(e.config.k, 3);
      e.free();
      assert.equal(e.freed, true);
    });
  }

  test('createRecommender learns the reason from the one engine it tries to create', async () => {
    const a = arags.wasi;
    const asked = [];
    const need = a.raw.need;
    a.raw.need = (name) => (asked.push(name), need.call(a.raw, name));
    try {
      await assert.rejects(createRecommender({ arag: a, config: { thetaa: 0.2 } }), (e) =>
        e.code === 'ARAG_E_INVALID' && e.message === 'engine config: ARAG_E_INVALID: unknown config key "thetaa"');
    } finally {
      a.raw.need = need;
    }
    assert.deepEqual(asked.filter((n) => n.startsWith('arag_engine')), ['arag_engine_create_err']);
  });
});

test('a failed call on a const handle reports its own status, not the last error of another call', () => {
  for (const kind of KINDS) {
    const ix = arags[kind].createIndex({ dim: 4 });
    assert.throws(() => ix.add('a', [1, 2, 3]), (e) => e.code === 'ARAG_E_DIM' && /ARAG_E_DIM/.test(e.message));
    assert.equal(ix.slotOf('x'), -1);
    assert.throws(() => ix.slotOf(''), (e) => e.code === 'ARAG_E_INVALID' && e.message === 'slot of id "": ARAG_E_INVALID: invalid argument');
    assert.match(ix.lastError(), /^ARAG_E_DIM: /, 'the const call left the last error alone');
    ix.free();
  }
});

test('a recommender dropped without free() has its engine finalized', async () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc');
  const a = await createArag({ kind: 'wasi' });
  let ptr = 0;
  await (async () => {
    const rec = await createRecommender({ arag: a, catalog: [{ id: 'a', title: 'a red pen' }] });
    assert.equal(rec.engine.sessions, 0);
    ptr = rec.engine.ptr;
  })();
  for (let i = 0; i < 50 && !a.raw._unrouted.has(ptr); i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.ok(a.raw._unrouted.has(ptr), 'the engine was not finalized');
});
