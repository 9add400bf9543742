// Loads the arag WebAssembly module, Emscripten or WASI build, and exposes both through
// one raw interface: the wasm exports (arag_*, malloc, free), the memory, and helpers to
// move strings, vectors and out-parameters across the boundary.
//
// Where the bytes come from (`wasm`): a URL or string (fetched; file: URLs are read from
// disk in Node), bytes (ArrayBuffer or a view), a Response, or an already compiled
// WebAssembly.Module (workerd: `import wasm from './arag.wasm'`: workers refuse to compile
// wasm from bytes at run time, so the host compiles it at deploy time).
import createAragModule from './arag.mjs';
import { ABI_JSON } from './abi.mjs';
import { AragError, Status } from './errors.mjs';
import { wasiImports } from './wasi-shim.mjs';

const FILES = { emscripten: 'arag.wasm', wasi: 'arag-wasi.wasm' };

// What to do when the default address does not work; every load error ends with it.
function hint(kind) {
  const file = FILES[kind] || FILES.emscripten;
  return (
    `Pass the module as { wasm }: the URL where ${file} is served (copy node_modules/arag/dist/${file} there), ` +
    `its bytes, or in Cloudflare Workers \`import wasm from 'arag/${file}'\` (see docs/install.md)`
  );
}

// The built-in module files, next to this module. Each URL is a literal
// `new URL('./x.wasm', import.meta.url)`, the form bundlers (Vite, webpack, Parcel) find,
// emit as an asset and rewrite; a URL built from a variable is invisible to them.
function defaultWasmUrl(kind) {
  try {
    return kind === 'wasi' ? new URL('./arag-wasi.wasm', import.meta.url) : new URL('./arag.wasm', import.meta.url);
  } catch (e) {
    // Cloudflare Workers give a module no URL (import.meta.url is undefined).
    throw new AragError(
      Status.ARAG_E_INVALID,
      `no default address for ${FILES[kind]}: this runtime gives the module no URL (import.meta.url is ${JSON.stringify(import.meta.url)}). ${hint(kind)}`,
      { cause: e }
    );
  }
}

// Node only: read a file. No import() of a Node built-in appears in this module, so
// bundlers and workerd's module collector never try to resolve one.
async function readFileNode(pathOrUrl) {
  let fs = null;
  if (typeof process.getBuiltinModule === 'function') fs = process.getBuiltinModule('node:fs/promises');
  if (!fs) fs = await new Function('s', 'return import(s)')('node:fs/promises');
  return fs.readFile(pathOrUrl);
}

function isNodeLike() {
  return typeof process === 'object' && !!(process.versions && process.versions.node);
}

const MAGIC = [0x00, 0x61, 0x73, 0x6d]; // "\0asm"

function describeBytes(u8) {
  const head = Array.from(u8.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  const text = new TextDecoder().decode(u8.subarray(0, 40)).replace(/\s+/g, ' ').trim();
  return /^[\x20-\x7e]+$/.test(text) ? `"${text.slice(0, 30)}" (${head})` : `bytes ${head}`;
}

// Compiles a fetched module, or says what came back instead (status, content type, first
// bytes: a dev server's index.html for a file it does not have is the common case).
async function compileResponse(resp, where, kind) {
  const url = resp.url || where || '(a Response without a URL)';
  const type = (resp.headers && resp.headers.get('content-type')) || '';
  const what = `HTTP ${resp.status}${type ? `, content-type ${type}` : ', no content-type'}`;
  if (!resp.ok) {
    throw new AragError(Status.ARAG_E_INVALID, `fetching the wasm module ${url} failed: ${what}. ${hint(kind)}`);
  }
  if (typeof WebAssembly.compileStreaming === 'function' && type.startsWith('application/wasm')) {
    try {
      return await WebAssembly.compileStreaming(resp);
    } catch (e) {
      throw new AragError(Status.ARAG_E_INVALID, `${url} (${what}) did not compile: ${e && e.message ? e.message : e}. ${hint(kind)}`, { cause: e });
    }
  }
  const bytes = new Uint8Array(await resp.arrayBuffer());
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new AragError(
      Status.ARAG_E_INVALID,
      `${url} is not a WebAssembly module (${what}, ${bytes.length} bytes starting with ${describeBytes(bytes)}). ${hint(kind)}`
    );
  }
  return WebAssembly.compile(bytes);
}

/** Turns any accepted `wasm` source into a compiled WebAssembly.Module. kind names the
 * expected build in error messages. */
export async function compileWasm(source, kind = 'emscripten') {
  source = await source;
  if (source instanceof WebAssembly.Module) return source;
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    return WebAssembly.compile(source);
  }
  if (typeof Response === 'function' && source instanceof Response) return compileResponse(source, '', kind);
  if (typeof source === 'string' || source instanceof URL) {
    let url;
    try {
      url = new URL(String(source), typeof location === 'object' && location.href ? location.href : undefined);
    } catch {
      url = null;
    }
    if (url && url.protocol === 'file:' && isNodeLike()) return WebAssembly.compile(await readFileNode(url));
    if (!url && isNodeLike()) return WebAssembly.compile(await readFileNode(String(source)));
    const where = String(url || source);
    let resp;
    try {
      resp = await fetch(url || String(source));
    } catch (e) {
      throw new AragError(Status.ARAG_E_INVALID, `fetching the wasm module ${where} failed: ${e && e.message ? e.message : e}. ${hint(kind)}`, {
        cause: e,
      });
    }
    return compileResponse(resp, where, kind);
  }
  throw new AragError(
    Status.ARAG_E_INVALID,
    'wasm must be a URL, a string address, bytes, a Response or a WebAssembly.Module'
  );
}

function detectKind(mod) {
  const exps = WebAssembly.Module.exports(mod).map((e) => e.name);
  return exps.includes('_initialize') ? 'wasi' : 'emscripten';
}

/** The raw module: exports plus memory helpers. Shared by every handle of one module. */
export class RawModule {
  constructor(kind, exports, getMemory) {
    this.kind = kind;
    this.fn = exports;
    this._getMemory = getMemory;
    this._buf = null;
    this._u8 = null;
    this._dv = null;
    this._routes = new Map();
    this._unrouted = new Set(); // engines freed: their late requests are dropped
    this._enc = new TextEncoder();
    this._dec = new TextDecoder();
  }

  /** Whether the module exports a function (the C side grows as features land). */
  has(name) {
    return typeof this.fn[name] === 'function';
  }

  /** The export, or an AragError naming it when the module was built without it. */
  need(name) {
    const f = this.fn[name];
    if (typeof f !== 'function') {
      throw new AragError(Status.ARAG_E_STATE, `the wasm module does not export ${name}`);
    }
    return f;
  }

  _refresh() {
    const buf = this._getMemory().buffer;
    if (buf !== this._buf) {
      this._buf = buf;
      this._u8 = new Uint8Array(buf);
      this._dv = new DataView(buf);
    }
  }
  /** Views are re-created whenever memory grew (any call that allocates may grow it). */
  u8() {
    this._refresh();
    return this._u8;
  }
  dv() {
    this._refresh();
    return this._dv;
  }

  malloc(n) {
    const p = this.fn.malloc(Math.max(1, n)) >>> 0;
    if (!p) throw new AragError(Status.ARAG_E_NOMEM, `out of memory allocating ${n} bytes in the wasm module`);
    return p;
  }
  free(p) {
    if (p) this.fn.free(p);
  }

  getU32(p) {
    return this.dv().getUint32(p, true);
  }
  setU32(p, v) {
    this.dv().setUint32(p, v >>> 0, true);
  }
  getF32(p) {
    return this.dv().getFloat32(p, true);
  }

  /** UTF-8 text at (ptr, len), copied out. */
  getString(ptr, len) {
    if (!ptr || !len) return '';
    return this._dec.decode(this.u8().slice(ptr, ptr + len));
  }
  /** NUL-terminated UTF-8 text at ptr. */
  getCString(ptr) {
    if (!ptr) return '';
    const u8 = this.u8();
    let end = ptr;
    while (end < u8.length && u8[end] !== 0) end++;
    return this._dec.decode(u8.slice(ptr, end));
  }
  getBytes(ptr, len) {
    return this.u8().slice(ptr, ptr + len);
  }
  f32Copy(ptr, n) {
    const out = new Float32Array(n);
    out.set(new Float32Array(this._getMemory().buffer, ptr, n));
    return out;
  }

  /**
   * Runs fn(scope) and frees every allocation made through the scope afterwards.
   * scope.str(s) -> [ptr, len] (NUL-terminated), scope.bytes(u8) -> ptr,
   * scope.f32(array) -> ptr, scope.u32(array) -> ptr, scope.alloc(n) -> ptr (zeroed).
   */
  scope(fn) {
    const ptrs = [];
    const self = this;
    const s = {
      alloc(n) {
        const p = self.malloc(n);
        ptrs.push(p);
        self.u8().fill(0, p, p + Math.max(1, n));
        return p;
      },
      str(text) {
        const bytes = self._enc.encode(String(text));
        const p = self.malloc(bytes.length + 1);
        ptrs.push(p);
        const u8 = self.u8();
        u8.set(bytes, p);
        u8[p + bytes.length] = 0;
        return [p, bytes.length];
      },
      bytes(data) {
        const u = data instanceof Uint8Array ? data : new Uint8Array(data.buffer || data, data.byteOffset || 0, data.byteLength);
        const p = self.malloc(u.length);
        ptrs.push(p);
        self.u8().set(u, p);
        return p;
      },
      f32(arr) {
        const n = arr.length;
        const p = self.malloc(n * 4);
        ptrs.push(p);
        const view = new Float32Array(self._getMemory().buffer, p, n);
        view.set(arr);
        return p;
      },
      u32(arr) {
        const n = arr.length;
        const p = self.malloc(n * 4);
        ptrs.push(p);
        new Uint32Array(self._getMemory().buffer, p, n).set(arr);
        return p;
      },
    };
    try {
      return fn(s);
    } finally {
      for (const p of ptrs) this.fn.free(p);
    }
  }

  /** Routes env.arag_host_fetch calls of one engine (by its pointer) to handler. */
  route(enginePtr, handler) {
    this._routes.set(enginePtr >>> 0, handler);
    this._unrouted.delete(enginePtr >>> 0);
  }
  /** Stops routing an engine's calls (it is being freed: nothing is delivered to it). */
  unroute(enginePtr) {
    this._routes.delete(enginePtr >>> 0);
    this._unrouted.add(enginePtr >>> 0);
  }

  /** The import's body: read the request now (valid only during the call), dispatch later. */
  _hostFetch(engine, session, requestId, ptr, len) {
    const json = this.getString(ptr >>> 0, len >>> 0);
    const handler = this._routes.get(engine >>> 0);
    if (!handler) {
      // Nobody listens for this engine: answer with a network error, later, so the
      // session falls back instead of waiting for ever.
      this._failLater(engine, session, requestId, 'no host fetch handler for this engine');
      return;
    }
    try {
      handler(session >>> 0, requestId >>> 0, json);
    } catch (e) {
      // Never unwind through the C code that called the import, and never leave an
      // unhandled rejection: the call fails as a network error.
      this._failLater(engine, session, requestId, `the host fetch handler threw: ${(e && e.message) || e}`);
    }
  }

  _failLater(engine, session, requestId, message) {
    Promise.resolve()
      .then(() => {
        if (!this.has('arag_deliver') || this._unrouted.has(engine >>> 0)) return; // freed
        this.scope((s) => {
          const [p, n] = s.str(message);
          this.fn.arag_deliver(engine, session >>> 0, requestId >>> 0, 0, p, n);
        });
      })
      .catch(() => {});
  }
}

/** Refuses a module built from another include/arag.h than this library was generated
 * from (web/src/abi.mjs): its statuses, enums or struct layouts would be misread. */
function checkAbi(raw) {
  let text = null;
  if (raw.has('arag_abi_json')) {
    const p = raw.fn.arag_abi_json() >>> 0;
    text = raw.getCString(p);
    raw.free(p);
  }
  if (text !== ABI_JSON) {
    throw new AragError(
      Status.ARAG_E_INVALID,
      text === null
        ? 'the wasm module does not describe itself (no arag_abi_json): it is not a build of this arag'
        : 'the wasm module was built from another include/arag.h than this host library (its enums or struct layouts differ): load the module that came with it'
    );
  }
  return raw;
}

/**
 * Loads and instantiates the module.
 * @param {{ wasm?: any, kind?: 'emscripten'|'wasi', createModule?: Function,
 *           print?: (s: string) => void, printErr?: (s: string) => void }} [opts]
 * @returns {Promise<RawModule>}
 */
export async function loadModule(opts = {}) {
  let { wasm, kind } = opts;
  if (kind !== undefined && kind !== 'emscripten' && kind !== 'wasi') {
    throw new AragError(Status.ARAG_E_INVALID, `kind must be 'emscripten' or 'wasi', not ${JSON.stringify(kind)}`);
  }
  if (wasm === undefined || wasm === null) wasm = defaultWasmUrl(kind || 'emscripten');
  const mod = await compileWasm(wasm, kind || 'emscripten');
  const actual = detectKind(mod);
  if (!kind) kind = actual;
  else if (kind !== actual) {
    throw new AragError(Status.ARAG_E_INVALID, `the wasm module is the ${actual} build, but kind is '${kind}'`);
  }

  if (kind === 'wasi') {
    let memory = null;
    let raw = null;
    const env = {
      arag_host_fetch: (...a) => raw._hostFetch(...a),
    };
    // Any other env import would be a build mistake: fail loudly when called.
    for (const imp of WebAssembly.Module.imports(mod)) {
      if (imp.module === 'env' && imp.kind === 'function' && !(imp.name in env)) {
        env[imp.name] = () => {
          throw new AragError(Status.ARAG_E_STATE, `wasm import env.${imp.name} is not provided`);
        };
      }
    }
    const imports = {
      wasi_snapshot_preview1: wasiImports(mod, () => memory, { stdout: opts.print, stderr: opts.printErr }),
      env,
    };
    const instance = await WebAssembly.instantiate(mod, imports);
    memory = instance.exports.memory;
    raw = new RawModule('wasi', instance.exports, () => memory);
    if (typeof instance.exports._initialize === 'function') instance.exports._initialize();
    return checkAbi(raw);
  }

  const factory = opts.createModule || createAragModule;
  let raw = null;
  let failInstantiate;
  const instantiateFailed = new Promise((_, reject) => {
    failInstantiate = reject;
  });
  const moduleArg = {
    locateFile: (p) => p,
    instantiateWasm(imports, receive) {
      WebAssembly.instantiate(mod, imports).then(
        (instance) => receive(instance, mod),
        (err) => failInstantiate(err)
      );
      return {};
    },
    aragHostFetch: (...a) => raw._hostFetch(...a),
  };
  if (opts.print) moduleArg.print = opts.print;
  if (opts.printErr) moduleArg.printErr = opts.printErr;
  const M = await Promise.race([factory(moduleArg), instantiateFailed]);
  // Emscripten minifies the wasm export names; Module carries them as _name wrappers.
  const asm = M.asm || M.wasmExports || {};
  const memory = Object.values(asm).find((v) => v instanceof WebAssembly.Memory);
  if (!memory) throw new AragError(Status.ARAG_E_STATE, 'the Emscripten module exposes no memory');
  const exportsByName = {};
  for (const key of Object.keys(M)) {
    if (key.startsWith('_') && typeof M[key] === 'function') {
      // The wrappers replace themselves with the wasm function on first call.
      Object.defineProperty(exportsByName, key.slice(1), { get: () => M[key], enumerable: true });
    }
  }
  raw = new RawModule('emscripten', exportsByName, () => memory);
  raw.emscripten = M;
  return checkAbi(raw);
}
