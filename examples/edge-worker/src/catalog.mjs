// The shop's catalog in this isolate: a snapshot written once by `arag catalog build`,
// deployed as a static asset (CATALOG_ASSETS), an R2 object (CATALOG_BUCKET) or a KV value
// (CATALOG_KV) under CATALOG_KEY, restored into the module on the first request that
// needs it and shared by every request after it (createRecommender({ sharedCatalog })).
//
// New versions: every CATALOG_CHECK_SECONDS one request asks, in the background, whether
// the snapshot changed (the asset's or R2 object's ETag, the KV value's metadata.version);
// a new one is restored beside the one in use, requests that start after that take it,
// and the old one is freed when the last request holding it is done. A failed check or
// load keeps the version in use. A snapshot past CATALOG_MAX_BYTES is never loaded: with
// a VECTORIZE binding the catalog's top-k then comes from Vectorize (vectorize.mjs).
import { HttpError } from './http.mjs';

/** Where the snapshot lives: {kind, check(version) -> null (unchanged) | {version, size,
 * body(), absent}}, or null when no catalog binding is configured. */
export function catalogSource(env, s) {
  const key = s.CATALOG_KEY;
  if (env.CATALOG_BUCKET && typeof env.CATALOG_BUCKET.head === 'function') {
    const bucket = env.CATALOG_BUCKET;
    return {
      kind: 'r2',
      async check(version) {
        const head = await bucket.head(key);
        if (!head) return { absent: true };
        if (head.etag === version) return null;
        return {
          version: head.etag,
          size: head.size,
          async body() {
            // The object as it is now (a later put may have replaced the one checked).
            const obj = await bucket.get(key);
            if (!obj) return null;
            return { version: obj.etag, size: obj.size, stream: obj.body };
          },
        };
      },
    };
  }
  if (env.CATALOG_KV && typeof env.CATALOG_KV.get === 'function') {
    const kv = env.CATALOG_KV;
    return {
      kind: 'kv',
      async check(version) {
        // list() carries the metadata without the value: the version costs no download.
        const { keys } = await kv.list({ prefix: key, limit: 10 });
        const entry = keys.find((k) => k.name === key);
        if (!entry) return { absent: true };
        const v = entry.metadata && entry.metadata.version !== undefined ? String(entry.metadata.version) : 'unversioned';
        if (v === version) return null;
        return {
          version: v,
          size: entry.metadata && Number.isInteger(entry.metadata.size) ? entry.metadata.size : null,
          async body() {
            const { value, metadata } = await kv.getWithMetadata(key, { type: 'arrayBuffer' });
            if (!value) return null;
            const mv = metadata && metadata.version !== undefined ? String(metadata.version) : 'unversioned';
            return { version: mv, size: value.byteLength, bytes: value };
          },
        };
      },
    };
  }
  if (env.CATALOG_ASSETS && typeof env.CATALOG_ASSETS.fetch === 'function') {
    const assets = env.CATALOG_ASSETS;
    const url = `https://assets.invalid/${key.replace(/^\/+/, '')}`;
    return {
      kind: 'asset',
      async check(version) {
        const headers = version ? { 'If-None-Match': version } : {};
        const res = await assets.fetch(new Request(url, { headers }));
        if (res.status === 304) return null;
        if (res.status === 404) {
          res.body?.cancel().catch(() => {});
          return { absent: true };
        }
        if (!res.ok) {
          res.body?.cancel().catch(() => {});
          throw new Error(`asset ${key}: HTTP ${res.status}`);
        }
        const etag = res.headers.get('ETag') || `size:${res.headers.get('Content-Length')}`;
        const len = Number(res.headers.get('Content-Length'));
        if (etag === version) {
          res.body?.cancel().catch(() => {});
          return null;
        }
        return { version: etag, size: Number.isInteger(len) && len > 0 ? len : null, body: async () => ({ version: etag, size: len || null, response: res }) };
      },
    };
  }
  return null;
}

/** One restored version: its catalog, and the requests holding it. */
class Held {
  constructor(catalog, version, bytes, loadMs) {
    this.catalog = catalog;
    this.version = version;
    this.bytes = bytes;
    this.loadMs = loadMs;
    this.leases = 0;
    this.retired = false;
  }
  lease() {
    this.leases++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (--this.leases === 0 && this.retired) this.catalog.free();
    };
  }
  retire() {
    this.retired = true;
    if (this.leases === 0) this.catalog.free();
  }
}

// Per isolate.
const state = {
  held: null,
  loading: null, // the first load (requests wait for it)
  checking: null, // a background check (requests do not wait)
  checkedAt: 0,
  tooLarge: null, // {version, size}: past CATALOG_MAX_BYTES
  absent: false,
  stats: { loads: 0, swaps: 0, failures: 0, checks: 0 },
};

async function restoreVersion(arag, found, s) {
  const t0 = Date.now();
  const got = await found.body();
  if (!got) return { absent: true };
  const size = got.size ?? null;
  if (size !== null && size > s.CATALOG_MAX_BYTES) {
    got.stream?.cancel().catch(() => {});
    got.response?.body?.cancel().catch(() => {});
    return { tooLarge: { version: got.version, size } };
  }
  // Of a known size: streamed into the module as it arrives; else read whole first.
  const stream = size ? got.stream || (got.response && got.response.body) : null;
  const bytes = stream ? null : got.bytes ?? (await got.response.arrayBuffer());
  if (bytes && bytes.byteLength > s.CATALOG_MAX_BYTES) return { tooLarge: { version: got.version, size: bytes.byteLength } };
  const catalog = arag.createCatalog();
  try {
    if (stream) await catalog.restoreStream(stream, size);
    else catalog.restore(bytes);
  } catch (e) {
    catalog.free();
    throw e;
  }
  return { held: new Held(catalog, got.version, catalog.memoryBytes, Date.now() - t0) };
}

function install(r) {
  if (r.absent) {
    state.absent = true;
    return;
  }
  if (r.tooLarge) {
    // Every isolate then agrees: this version is past the isolate's share, whatever an
    // isolate held before.
    state.tooLarge = r.tooLarge;
    if (state.held) state.held.retire();
    state.held = null;
    return;
  }
  const old = state.held;
  state.held = r.held;
  state.absent = false;
  state.tooLarge = null;
  state.stats.loads++;
  if (old) {
    state.stats.swaps++;
    old.retire();
  }
}

async function checkAndLoad(arag, src, s) {
  state.stats.checks++;
  const current = state.held ? state.held.version : state.tooLarge ? state.tooLarge.version : null;
  const found = await src.check(current);
  if (!found) return;
  if (found.absent) {
    // Removed: what is held stays (a missing object is more likely a mistake than a
    // wish to serve nothing); a worker that never had one has none.
    if (!state.held) state.absent = true;
    return;
  }
  if (found.size !== null && found.size > s.CATALOG_MAX_BYTES) {
    install({ tooLarge: { version: found.version, size: found.size } });
    return;
  }
  install(await restoreVersion(arag, found, s));
}

/**
 * The catalog for one request: {catalog, version, items, release} (release when the
 * request is done), {tooLarge: {size}} when the snapshot is past CATALOG_MAX_BYTES, or
 * null without a catalog binding or snapshot. The first call in an isolate waits for the
 * load; later ones start a background check now and then (ctx.waitUntil).
 */
export async function leaseCatalog(arag, env, s, ctx) {
  const src = catalogSource(env, s);
  if (!src) return null;
  const now = Date.now();
  if (!state.held && !state.tooLarge && !(state.absent && now - state.checkedAt < s.CATALOG_CHECK_SECONDS * 1000)) {
    if (!state.loading) {
      state.checkedAt = now;
      state.loading = checkAndLoad(arag, src, s).finally(() => {
        state.loading = null;
      });
    }
    try {
      await state.loading;
    } catch (e) {
      state.stats.failures++;
      console.error(JSON.stringify({ catalog: src.kind, load_error: String((e && e.message) || e).slice(0, 200) }));
      throw new HttpError(503, 'the catalog could not be loaded; try again shortly', { code: 'catalog_unavailable', headers: { 'Retry-After': '5' } });
    }
  } else if (now - state.checkedAt >= s.CATALOG_CHECK_SECONDS * 1000 && !state.checking && !state.loading) {
    state.checkedAt = now;
    state.checking = checkAndLoad(arag, src, s)
      .catch((e) => {
        state.stats.failures++;
        console.error(JSON.stringify({ catalog: src.kind, check_error: String((e && e.message) || e).slice(0, 200) }));
      })
      .finally(() => {
        state.checking = null;
      });
    if (ctx && typeof ctx.waitUntil === 'function') ctx.waitUntil(state.checking);
  }
  const held = state.held;
  if (held) return { catalog: held.catalog, version: held.version, items: held.catalog.count, release: held.lease() };
  if (state.tooLarge) return { tooLarge: state.tooLarge };
  return null;
}

/** What /health shows: the version in use, its size, how it was loaded. */
export function catalogStatus() {
  const h = state.held;
  return {
    version: h ? h.version : null,
    items: h ? h.catalog.count : 0,
    memoryBytes: h ? h.bytes : 0,
    loadMs: h ? h.loadMs : null,
    heldBy: h ? h.leases : 0,
    tooLargeBytes: state.tooLarge ? state.tooLarge.size : null,
    ...state.stats,
  };
}
