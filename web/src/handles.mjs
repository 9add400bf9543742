// JS handles over the C objects: Index, Catalog, History, Engine. Each wraps one pointer,
// throws AragError with the handle's last error message when a call fails, and is freed by
// free() or, as a safety net, by a FinalizationRegistry when garbage collected. Enum values
// and struct layouts come from the module's own description (web/src/abi.mjs).
import { ABI } from './abi.mjs';
import { AragError, Status, enumByName } from './errors.mjs';
import { loadModule } from './loader.mjs';

export const DTYPES = Object.freeze({ ...enumByName('arag_dtype', 'ARAG_'), int8: ABI.enums.arag_dtype.ARAG_I8 });
export const METRICS = enumByName('arag_metric', 'ARAG_');
export const KERNELS = enumByName('arag_kernel', 'ARAG_KERNEL_');
const camel = (snake) => snake.replace(/_([a-z])/g, (_m, c) => c.toUpperCase());
// struct arag_limits: [camelName, snake_name, byte offset] of each u32 field.
const LIMITS = ABI.structs.arag_limits;
const LIMIT_KEYS = LIMITS.fields.map((f) => [camel(f.name), f.name, f.offset]);
const LIMITS_BYTES = LIMITS.size;
if (LIMITS.fields.some((f) => f.type !== 'u32')) throw new AragError(Status.ARAG_E_STATE, 'arag_limits has a field that is not u32');
// struct arag_error: what a create call that failed reports.
const ERROR = ABI.structs.arag_error;
const ERROR_FIELD = Object.fromEntries(ERROR.fields.map((f) => [f.name, f]));
// A search's failure message (arag_index_search_r) fits what an arag_error holds.
const SEARCH_ERR_BYTES = ERROR_FIELD.message.size;

// workerd offers FinalizationRegistry only from newer compatibility dates: without it,
// handles are freed by free() alone.
const NO_REGISTRY = { register() {}, unregister() {} };
const registries = new WeakMap();
function registryOf(raw) {
  if (typeof FinalizationRegistry !== 'function') return NO_REGISTRY;
  let r = registries.get(raw);
  if (!r) {
    r = new FinalizationRegistry(({ freeName, ptr }) => {
      try {
        if (freeName === 'arag_engine_free') raw.unroute(ptr);
        raw.fn[freeName](ptr);
      } catch {
        /* the module may be gone */
      }
    });
    registries.set(raw, r);
  }
  return r;
}

export function invalid(message) {
  return new AragError(Status.ARAG_E_INVALID, message);
}

function isU32(n) {
  return Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
}
export function checkU32(name, n, { min = 0 } = {}) {
  if (!isU32(n) || n < min) throw invalid(`${name} must be an integer >= ${min}, got ${String(n)}`);
  return n;
}
function checkId(id) {
  if (typeof id !== 'string') throw invalid(`id must be a string, got ${typeof id}`);
  return id;
}
function toF32(name, v) {
  if (v instanceof Float32Array) return v;
  if (Array.isArray(v) || ArrayBuffer.isView(v)) return Float32Array.from(v, Number);
  throw invalid(`${name} must be a Float32Array or an array of numbers`);
}
function toBytes(b) {
  if (b instanceof Uint8Array) return b;
  if (b instanceof ArrayBuffer) return new Uint8Array(b);
  if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  throw invalid('snapshot bytes must be a Uint8Array, an ArrayBuffer or a typed array');
}

// A lone UTF-16 surrogate (possible in any JS string, e.g. a third-party product title)
// is written by JSON.stringify as a "\ud800" escape, which the C parser refuses: the whole
// call would fail on one bad character. It becomes U+FFFD, as TextEncoder does.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const wellFormed = (s) => (typeof s.toWellFormed === 'function' ? s.toWellFormed() : s.replace(LONE_SURROGATE, '\uFFFD'));

/** JSON text for the C parsers: typed arrays become arrays; strings pass through. */
export function toJsonText(value, what) {
  if (typeof value === 'string') return value;
  if (value === null || typeof value !== 'object') throw invalid(`${what} must be an object, an array or JSON text`);
  return JSON.stringify(value, (_k, v) =>
    typeof v === 'string' ? wellFormed(v) : ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v) : v
  );
}

/** Writes an arag_limits struct (u32 fields) for a JS limits object over the defaults. */
export function writeLimits(raw, s, limits) {
  const p = s.alloc(LIMITS_BYTES);
  raw.need('arag_limits_default')(p);
  if (limits) {
    if (typeof limits !== 'object') throw invalid('limits must be an object');
    for (const [c, snake, offset] of LIMIT_KEYS) {
      const v = limits[c] ?? limits[snake];
      if (v !== undefined) raw.setU32(p + offset, checkU32(`limits.${c}`, v, { min: 1 }));
    }
    for (const k of Object.keys(limits)) {
      if (!LIMIT_KEYS.some(([c, sn]) => c === k || sn === k)) throw invalid(`unknown limit ${k}`);
    }
  }
  return p;
}
export function readLimits(raw, p) {
  const out = {};
  for (const [c, , offset] of LIMIT_KEYS) out[c] = raw.getU32(p + offset);
  return out;
}

class Handle {
  constructor(raw, ptr, kind, freeName, errName, owner) {
    this._raw = raw;
    this._ptr = ptr >>> 0;
    this._kind = kind;
    this._errName = errName;
    this._freeName = freeName;
    this._owner = owner || null; // a borrowed handle keeps its owner alive
    if (!owner && freeName) registryOf(raw).register(this, { freeName, ptr: this._ptr }, this);
  }
  get ptr() {
    if (!this._ptr || (this._owner && !this._owner._ptr)) {
      throw new AragError(Status.ARAG_E_STATE, `this ${this._kind} was freed`);
    }
    return this._ptr;
  }
  get freed() {
    return !this._ptr || (!!this._owner && !this._owner._ptr);
  }
  lastError() {
    if (!this._ptr) return '';
    return this._raw.getCString(this._raw.fn[this._errName](this._ptr));
  }
  _check(status) {
    if (status !== 0) {
      const msg = this.lastError() || this._raw.getCString(this._raw.fn.arag_strerror(status));
      throw new AragError(status, msg);
    }
  }
  /** For a call on a const handle: it writes no error into the handle (several threads
   * may make such calls), so the status is the answer and the last error is another
   * call's. */
  _checkConst(status, what) {
    if (status !== 0) throw new AragError(status, `${what}: ${this._raw.getCString(this._raw.fn.arag_strerror(status))}`);
  }
  free() {
    if (!this._ptr) return;
    if (!this._owner) {
      registryOf(this._raw).unregister(this);
      if (this._freeName === 'arag_engine_free') this._raw.unroute(this._ptr); // nothing is delivered to it any more
      this._raw.fn[this._freeName](this._ptr);
    }
    this._ptr = 0;
  }
  /** Calls fn(handle, &ptr, &len) and returns a copy of the library-owned bytes. */
  _snapshotWith(fnName) {
    const raw = this._raw;
    return raw.scope((s) => {
      const out = s.alloc(8);
      this._checkConst(raw.fn[fnName](this.ptr, out, out + 4), `${this._kind} snapshot`);
      const p = raw.getU32(out);
      const bytes = raw.getBytes(p, raw.getU32(out + 4));
      raw.fn.arag_free(p);
      return bytes;
    });
  }
  _restoreWith(fnName, bytes) {
    const b = toBytes(bytes);
    const raw = this._raw;
    raw.scope((s) => {
      const p = s.bytes(b);
      this._check(raw.fn[fnName](this.ptr, p, b.length));
    });
    return this;
  }
  /** Passes a string (id or JSON text) to fn(handle, ptr, len). */
  _callWithString(fnName, text) {
    const raw = this._raw;
    raw.scope((s) => {
      const [p, n] = s.str(text);
      this._check(raw.fn[fnName](this.ptr, p, n));
    });
  }
}

// What every index offers: reading, searching and snapshots. The catalog's index is one
// of these (CatalogIndex): items change through the catalog, which keeps its id map and
// word counts in step with its index.
export class ReadOnlyIndex extends Handle {
  /** @internal */
  constructor(raw, ptr, owner) {
    super(raw, ptr, 'index', 'arag_index_free', 'arag_index_last_error', owner);
  }
  get count() {
    return this._raw.fn.arag_index_count(this.ptr) >>> 0;
  }
  get dim() {
    return this._raw.fn.arag_index_dim(this.ptr) >>> 0;
  }
  get memoryBytes() {
    return this._raw.fn.arag_index_memory_bytes(this.ptr) >>> 0;
  }
  get limits() {
    const raw = this._raw;
    return raw.scope((s) => {
      const p = s.alloc(LIMITS_BYTES);
      this._checkConst(raw.fn.arag_index_get_limits(this.ptr, p), 'limits');
      return readLimits(raw, p);
    });
  }
  /** Slot of id, or -1 when absent. */
  slotOf(id) {
    checkId(id);
    const raw = this._raw;
    return raw.scope((s) => {
      const [ip, il] = s.str(id);
      const out = s.alloc(4);
      const st = raw.fn.arag_index_slot(this.ptr, ip, il, out);
      if (st === Status.ARAG_E_NOT_FOUND) return -1;
      this._checkConst(st, `slot of id ${JSON.stringify(id.slice(0, 64))}`);
      return raw.getU32(out);
    });
  }
  has(id) {
    return this.slotOf(id) >= 0;
  }
  /** The stored vector of id (normalized for cosine, dequantized for int8), or null. */
  get(id) {
    const slot = this.slotOf(id);
    if (slot < 0) return null;
    const raw = this._raw;
    const dim = this.dim;
    return raw.scope((s) => {
      const out = s.alloc(dim * 4);
      this._checkConst(raw.fn.arag_index_vector(this.ptr, slot, out, dim), 'vector');
      return raw.f32Copy(out, dim);
    });
  }
  _idAt(s, slot, lenPtr) {
    const raw = this._raw;
    const p = raw.fn.arag_index_id(this.ptr, slot, lenPtr) >>> 0;
    return p ? raw.getString(p, raw.getU32(lenPtr)) : null;
  }
  /**
   * Exact top-k: [{id, score}], best first, ties by ascending slot.
   * opts.allow: ids to restrict the search to (ids not in the index are skipped);
   * opts.rerank: for int8 with keepF32, re-score rerank*k rows in f32 (0: off).
   */
  search(query, k = 10, opts = {}) {
    const q = toF32('query', query);
    checkU32('k', k);
    const rerank = checkU32('rerank', opts.rerank ?? 0);
    const raw = this._raw;
    const ptr = this.ptr;
    let allowSlots = null;
    if (opts.allow !== undefined && opts.allow !== null) {
      if (!Array.isArray(opts.allow)) throw invalid('allow must be an array of ids');
      allowSlots = [];
      for (const id of opts.allow) {
        const slot = this.slotOf(id);
        if (slot >= 0) allowSlots.push(slot);
      }
      if (allowSlots.length === 0) return [];
    }
    const kk = Math.min(k, this.count);
    if (kk === 0) {
      if (q.length !== this.dim) {
        throw new AragError(Status.ARAG_E_DIM, `query has dimension ${q.length}, the index ${this.dim}`);
      }
      return [];
    }
    return raw.scope((s) => {
      const qp = s.f32(q);
      const ap = allowSlots ? s.u32(allowSlots) : 0;
      const slots = s.alloc(kk * 4);
      const scores = s.alloc(kk * 4);
      const nPtr = s.alloc(4);
      // The _r form: its message goes to this call's buffer, never into the (possibly
      // shared, read-only) index.
      const err = s.alloc(SEARCH_ERR_BYTES);
      const st = raw.fn.arag_index_search_r(ptr, qp, q.length, kk, ap, allowSlots ? allowSlots.length : 0, rerank, slots, scores, nPtr, err, SEARCH_ERR_BYTES);
      if (st !== 0) throw new AragError(st, raw.getCString(err) || raw.getCString(raw.fn.arag_strerror(st)));
      const n = raw.getU32(nPtr);
      const lenPtr = s.alloc(4);
      const out = new Array(n);
      for (let i = 0; i < n; i++) {
        const slot = raw.getU32(slots + i * 4);
        out[i] = { id: this._idAt(s, slot, lenPtr), score: raw.getF32(scores + i * 4) };
      }
      return out;
    });
  }
  /** Versioned, checksummed bytes of the whole index. */
  snapshot() {
    return this._snapshotWith('arag_index_snapshot');
  }
}

// An index of one's own (arag.createIndex()): reading and changing it.
export class Index extends ReadOnlyIndex {
  setLimits(limits) {
    const raw = this._raw;
    raw.scope((s) => {
      const cur = s.alloc(LIMITS_BYTES);
      this._checkConst(raw.fn.arag_index_get_limits(this.ptr, cur), 'limits');
      const merged = { ...readLimits(raw, cur), ...limits };
      const p = writeLimits(raw, s, merged);
      this._check(raw.fn.arag_index_set_limits(this.ptr, p));
    });
    return this;
  }
  setKernel(kernel) {
    const k = KERNELS[kernel];
    if (k === undefined) throw invalid(`kernel must be 'auto', 'scalar' or 'simd', got ${JSON.stringify(kernel)}`);
    this._check(this._raw.need('arag_index_set_kernel')(this.ptr, k));
    return this;
  }
  /** Inserts id, or replaces its vector (the slot is kept). */
  add(id, vector) {
    checkId(id);
    const v = toF32('vector', vector);
    const raw = this._raw;
    raw.scope((s) => {
      const [ip, il] = s.str(id);
      const vp = s.f32(v);
      this._check(raw.fn.arag_index_add(this.ptr, ip, il, vp, v.length));
    });
    return this;
  }
  remove(id) {
    checkId(id);
    const raw = this._raw;
    raw.scope((s) => {
      const [ip, il] = s.str(id);
      this._check(raw.fn.arag_index_remove(this.ptr, ip, il));
    });
    return this;
  }
  compact() {
    this._check(this._raw.fn.arag_index_compact(this.ptr));
    return this;
  }
  /** Replaces the contents with a snapshot; on error nothing changes. */
  restore(bytes) {
    return this._restoreWith('arag_index_restore', bytes);
  }
}

// The catalog's own index, borrowed (valid while the catalog lives): read-only. Calls that
// would change it throw ARAG_E_STATE; they would leave the catalog's items, id map and
// word counts behind.
const READ_ONLY_CALLS = ['setLimits', 'setKernel', 'add', 'remove', 'compact', 'restore'];
export class CatalogIndex extends ReadOnlyIndex {}
for (const name of READ_ONLY_CALLS) {
  Object.defineProperty(CatalogIndex.prototype, name, {
    value() {
      throw new AragError(
        Status.ARAG_E_STATE,
        `the catalog's index is read-only (${name}): change items through the catalog (add, remove, restore)`
      );
    },
    writable: true,
    configurable: true,
  });
}

/**
 * The dimension a catalog snapshot holds (read from its header), or 0 when the bytes
 * do not start like one. Restoring checks everything; this only lets a caller refuse
 * a snapshot of the wrong dimension before restoring it.
 */
export function catalogSnapshotDim(bytes) {
  const b = toBytes(bytes);
  const magic = [0x41, 0x52, 0x41, 0x47, 0x43, 0x41, 0x54, 0x4c]; // "ARAGCATL"
  if (b.length < 36 || magic.some((c, i) => b[i] !== c)) return 0;
  return (b[32] | (b[33] << 8) | (b[34] << 16) | (b[35] << 24)) >>> 0;
}

// A catalog restore takes the snapshot's checksum and checks its rows as its bytes are
// written into the module: after each piece (still in the CPU's cache) the module hashes
// it where it lies and checks the rows in it (arag_catalog_fed_feed), and the restore
// compares that digest with the header's and leaves those rows be instead of reading the
// whole body again, out of cache (docs/catalog.md).
const FEED_PIECE = 128 * 1024;

function newFedState(raw, p) {
  const fed = raw.need('arag_wasm_catalog_fed_new')(p) >>> 0;
  if (!fed) throw new AragError(Status.ARAG_E_NOMEM, 'out of memory for a snapshot checksum state');
  return fed;
}

// Writes bytes into the module at p + at, a piece at a time, feeding the state after each
// piece; returns the offset after them. u8() again for each piece: an allocation
// elsewhere may grow memory meanwhile.
function writeFed(raw, fed, p, at, bytes) {
  const feed = raw.need('arag_catalog_fed_feed');
  for (let i = 0; i < bytes.length; i += FEED_PIECE) {
    const piece = bytes.subarray(i, i + FEED_PIECE);
    raw.u8().set(piece, p + at);
    at += piece.length;
    feed(fed, at);
  }
  return at;
}

// Restores cat from the n bytes at p with the state fed over them; throws on error (the
// bytes stay the caller's).
function takeFed(cat, p, n, fed) {
  const st = cat._raw.need('arag_catalog_restore_take_fed')(cat.ptr, p, n, fed);
  if (st !== 0) cat._check(st);
}

export class Catalog extends Handle {
  constructor(raw, ptr) {
    super(raw, ptr, 'catalog', 'arag_catalog_free', 'arag_catalog_last_error');
    this._index = null;
  }
  get count() {
    return this._raw.fn.arag_catalog_count(this.ptr) >>> 0;
  }
  /** Vector dimension (a restore can change it). */
  get dim() {
    return this.index.dim;
  }
  /** Bytes the catalog holds in the module's memory (index, metadata, word counts). */
  get memoryBytes() {
    return this._raw.need('arag_catalog_memory_bytes')(this.ptr) >>> 0;
  }
  /** The catalog's vector index, read-only (borrowed: valid while the catalog lives). */
  get index() {
    const p = this._raw.fn.arag_catalog_index(this.ptr) >>> 0;
    if (!this._index || this._index._ptr !== p) this._index = new CatalogIndex(this._raw, p, this);
    return this._index;
  }
  /** Adds one item, an array of items, or JSON / JSON lines text. All or nothing. */
  add(items) {
    this._callWithString('arag_catalog_add_json', toJsonText(items, 'items'));
    return this.count;
  }
  remove(id) {
    checkId(id);
    this._callWithString('arag_catalog_remove', id);
    return this;
  }
  has(id) {
    return this.index.has(id);
  }
  /** The item with this id, as given (no vector), or null: {id, title, text?, ...}. */
  get(id) {
    checkId(id);
    const raw = this._raw;
    return raw.scope((s) => {
      const [ip, il] = s.str(id);
      const out = s.alloc(8);
      const st = raw.need('arag_catalog_item_json')(this.ptr, ip, il, out, out + 4);
      if (st === Status.ARAG_E_NOT_FOUND) return null;
      this._check(st);
      return JSON.parse(raw.getString(raw.getU32(out), raw.getU32(out + 4)));
    });
  }
  /** Versioned, checksummed bytes of the whole catalog: items, vectors, word counts. */
  snapshot() {
    return this._snapshotWith('arag_catalog_snapshot');
  }
  /**
   * Replaces the contents (dim and dtype included) with a snapshot; on error nothing
   * changes. The bytes are copied into the module once, and the catalog keeps that copy:
   * its vectors and text are used where they lie (the caller's bytes can be dropped).
   */
  restore(bytes) {
    const b = toBytes(bytes);
    const raw = this._raw;
    this.ptr; // freed: ARAG_E_STATE before allocating anything
    const p = raw.malloc(b.length);
    let fed = 0;
    try {
      fed = newFedState(raw, p);
      writeFed(raw, fed, p, 0, b);
      takeFed(this, p, b.length, fed);
    } catch (e) {
      raw.free(p); // the catalog takes the copy only when it restores
      throw e;
    } finally {
      raw.free(fed);
    }
    return this;
  }
  /**
   * restore() from a stream of the snapshot's bytes (a fetch Response's body, an R2
   * object's body) of a known size, written straight into the module's memory as they
   * arrive: no copy of the whole snapshot in JS. Resolves this; rejects (nothing
   * changed) when the stream ends short of size or runs past it, or the bytes are not a
   * snapshot this catalog can take.
   */
  async restoreStream(stream, size) {
    if (!stream || typeof stream.getReader !== 'function') throw invalid('restoreStream: stream must be a ReadableStream');
    checkU32('size', size, { min: 1 });
    const raw = this._raw;
    this.ptr; // freed: ARAG_E_STATE before reading anything
    const p = raw.malloc(size);
    let fed = 0;
    const reader = stream.getReader();
    let n = 0;
    try {
      fed = newFedState(raw, p);
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        const chunk = value instanceof Uint8Array ? value : new Uint8Array(value);
        if (n + chunk.length > size) throw new AragError(Status.ARAG_E_CORRUPT, `catalog snapshot stream is longer than its size ${size}`);
        n = writeFed(raw, fed, p, n, chunk);
      }
      if (n !== size) throw new AragError(Status.ARAG_E_CORRUPT, `catalog snapshot stream ended at ${n} of ${size} bytes`);
      takeFed(this, p, size, fed);
    } catch (e) {
      raw.free(p);
      reader.cancel().catch(() => {});
      throw e;
    } finally {
      raw.free(fed);
    }
    return this;
  }
}

export class History extends Handle {
  constructor(raw, ptr) {
    super(raw, ptr, 'history', 'arag_history_free', 'arag_history_last_error');
  }
  get count() {
    return this._raw.fn.arag_history_count(this.ptr) >>> 0;
  }
  /** Memory the events take (counted generously), and the budget adding and restoring keep to. */
  get memoryBytes() {
    return this._raw.fn.arag_history_memory_bytes(this.ptr) >>> 0;
  }
  get maxBytes() {
    return this._raw.fn.arag_history_max_bytes(this.ptr) >>> 0;
  }
  setMaxBytes(n) {
    checkU32('maxBytes', n, { min: 1 });
    this._check(this._raw.fn.arag_history_set_max_bytes(this.ptr, n));
    return this;
  }
  /** Adds one event, an array of events, or JSON / JSON lines text. All or nothing. */
  add(events) {
    this._callWithString('arag_history_add_json', toJsonText(events, 'events'));
    return this.count;
  }
  clear() {
    this._raw.fn.arag_history_clear(this.ptr);
    return this;
  }
  snapshot() {
    return this._snapshotWith('arag_history_snapshot');
  }
  restore(bytes) {
    return this._restoreWith('arag_history_restore', bytes);
  }
}

/** An engine: its configuration and the recommendation sessions it runs (createRecommender
 * drives one; arag.createEngine() makes one on its own). */
export class Engine extends Handle {
  /** @internal use arag.createEngine() */
  constructor(raw, ptr) {
    super(raw, ptr, 'engine', 'arag_engine_free', 'arag_engine_last_error');
  }
  /** The effective configuration. */
  get config() {
    const p = this._raw.fn.arag_engine_config(this.ptr) >>> 0;
    if (!p) this._check(Status.ARAG_E_NOMEM);
    return JSON.parse(this._raw.getCString(p));
  }
  /** Applies config keys over the configuration (all or nothing; sessions keep theirs). */
  configure(config) {
    this._callWithString('arag_engine_configure', toJsonText(config, 'config'));
    return this;
  }
  /** Live sessions (0 when idle). */
  get sessions() {
    return this._raw.fn.arag_engine_sessions(this.ptr) >>> 0;
  }
}

/** A loaded module with factories for the handles. */
export class Arag {
  constructor(raw) {
    this.raw = raw;
    this.kind = raw.kind;
  }
  get version() {
    return this.raw.getCString(this.raw.need('arag_version')());
  }
  /** Static name of a status, e.g. 'ARAG_E_LIMIT: ...'. */
  strerror(status) {
    return this.raw.getCString(this.raw.need('arag_strerror')(status));
  }
  defaultLimits() {
    return this.raw.scope((s) => readLimits(this.raw, writeLimits(this.raw, s, null)));
  }
  /** The built-in feature-hashing embedding of text (L2-normalized; zeros for ''). */
  embed(text, dim = 512) {
    if (typeof text !== 'string') throw invalid('text must be a string');
    checkU32('dim', dim, { min: 1 });
    const raw = this.raw;
    const f = raw.need('arag_embed_text');
    return raw.scope((s) => {
      const [p, n] = s.str(text);
      const out = s.alloc(dim * 4);
      const st = f(p, n, dim, out);
      if (st !== 0) throw new AragError(st, `embed: ${this.strerror(st)}`);
      return raw.f32Copy(out, dim);
    });
  }
  /** Calls a create function that reports why it failed in an arag_error (its last
   * argument) and returns the new handle's pointer, or throws that reason. */
  _create(fnName, s, args, what) {
    const raw = this.raw;
    const out = s.alloc(4);
    const err = s.alloc(ERROR.size);
    const st = raw.need(fnName)(...args, out, err);
    if (st !== 0) throw new AragError(st, `${what}: ${raw.getCString(err + ERROR_FIELD.message.offset) || this.strerror(st)}`);
    return raw.getU32(out);
  }
  createIndex(opts = {}) {
    const { dim, dtype = 'f32', metric = 'cosine', keepF32 = false, limits } = opts;
    checkU32('dim', dim, { min: 1 });
    if (!(dtype in DTYPES)) throw invalid(`dtype must be 'f32' or 'int8', got ${JSON.stringify(dtype)}`);
    if (!(metric in METRICS)) throw invalid(`metric must be 'cosine' or 'dot', got ${JSON.stringify(metric)}`);
    const ptr = this.raw.scope((s) =>
      this._create(
        'arag_index_create_err',
        s,
        [dim, DTYPES[dtype], METRICS[metric], keepF32 ? 1 : 0, writeLimits(this.raw, s, limits)],
        'createIndex'
      )
    );
    return new Index(this.raw, ptr);
  }
  /**
   * An empty catalog, or with opts.snapshot (bytes of catalog.snapshot()) the catalog
   * it holds: dim and dtype then come from the snapshot.
   */
  createCatalog(opts = {}) {
    const { dim = 512, dtype = 'f32', limits, snapshot } = opts;
    checkU32('dim', dim, { min: 1 });
    if (!(dtype in DTYPES)) throw invalid(`dtype must be 'f32' or 'int8', got ${JSON.stringify(dtype)}`);
    const ptr = this.raw.scope((s) =>
      this._create(
        'arag_catalog_create_err',
        s,
        [dim, DTYPES[dtype], writeLimits(this.raw, s, limits)],
        'createCatalog'
      )
    );
    const cat = new Catalog(this.raw, ptr);
    if (snapshot !== undefined && snapshot !== null) {
      try {
        cat.restore(snapshot);
      } catch (e) {
        cat.free();
        throw e;
      }
    }
    return cat;
  }
  createHistory(opts = {}) {
    const { dim = 512, limits, maxBytes } = opts;
    checkU32('dim', dim, { min: 1 });
    if (maxBytes !== undefined) checkU32('maxBytes', maxBytes, { min: 1 });
    const ptr = this.raw.scope((s) =>
      this._create('arag_history_create_err', s, [dim, writeLimits(this.raw, s, limits)], 'createHistory')
    );
    const history = new History(this.raw, ptr);
    if (maxBytes !== undefined) history.setMaxBytes(maxBytes);
    return history;
  }
  /** An engine with a configuration (an object or JSON text; {} for the defaults). A
   * refused configuration throws the reason, naming the key: 'engine config: ARAG_E_...'. */
  createEngine(config = {}) {
    const text = toJsonText(config, 'config');
    const ptr = this.raw.scope((s) => this._create('arag_engine_create_err', s, s.str(text), 'engine config'));
    return new Engine(this.raw, ptr);
  }
}

/**
 * Loads the module and returns an Arag instance.
 * @param {{ wasm?: any, kind?: 'emscripten'|'wasi', createModule?: Function }} [opts]
 */
export async function createArag(opts = {}) {
  return new Arag(await loadModule(opts));
}
