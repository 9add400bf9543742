// Shared helpers of the wasm test suites: repository paths, a seeded random source,
// random vectors and a plain-JS exact top-k for reference.
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const DIST = join(ROOT, 'dist');
export const distUrl = (f) => new URL(`../../dist/${f}`, import.meta.url);

/** Fails with a clear message when the build output a suite needs is missing. */
export function requireFile(path, hint) {
  if (!existsSync(path)) throw new Error(`${path} is missing: ${hint}`);
  return path;
}

/** mulberry32: a small seeded generator in [0, 1). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function gaussian(r) {
  const u = Math.max(r(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

export function randomVectors(n, dim, seed, kind = 'gauss') {
  const r = rng(seed);
  const out = [];
  for (let i = 0; i < n; i++) {
    const v = new Float32Array(dim);
    for (let j = 0; j < dim; j++) v[j] = kind === 'int' ? Math.floor(r() * 9) - 4 : gaussian(r);
    out.push(v);
  }
  return out;
}

/** Exact top-k in double precision; ties by insertion order. metric: 'cosine' | 'dot'. */
export function bruteTopK(rows, query, k, metric = 'cosine') {
  const norm = (v) => Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
  const qn = metric === 'cosine' ? norm(query) : 1;
  const scored = rows.map(({ id, v }, i) => {
    let d = 0;
    for (let j = 0; j < v.length; j++) d += v[j] * query[j];
    return { id, score: metric === 'cosine' ? d / (qn * norm(v)) : d, i };
  });
  scored.sort((a, b) => b.score - a.score || a.i - b.i);
  return scored.slice(0, k).map(({ id, score }) => ({ id, score }));
}

/** Resolves within ms or rejects: keeps every suite bounded in time. */
export function within(ms, promise, what = 'operation') {
  let t;
  return Promise.race([
    promise.finally(() => clearTimeout(t)),
    new Promise((_, reject) => {
      t = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    }),
  ]);
}

/** Heap bytes in use, to within 64 KiB: the wasm memory minus what malloc can still hand
 * out in 64 KiB blocks before the memory has to grow. Fills the heap: the module is not
 * usable afterwards. */
export function heapInUse(raw) {
  const size = raw.u8().buffer.byteLength;
  let free = 0;
  while (raw.u8().buffer.byteLength === size) {
    if (!raw.fn.malloc(65536)) break;
    free += 65536;
  }
  return size - free;
}
