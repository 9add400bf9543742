// Minimal WASI preview1 imports for the reactor build (dist/arag-wasi.wasm). The library
// performs no I/O; wasi-libc still links a few calls (fd_write for stdio, fd_close,
// fd_seek, clocks, random). Anything else the module imports answers ENOSYS, so a newer
// libc that imports more still instantiates.

const ESUCCESS = 0;
const EBADF = 8;
const EINVAL = 28;
const ENOSYS = 52;

/** Thrown by proc_exit: the module asked to stop (it never should as a reactor). */
export class WasiExit extends Error {
  constructor(code) {
    super(`wasm module called proc_exit(${code})`);
    this.name = 'WasiExit';
    this.code = code;
  }
}

/**
 * Builds the wasi_snapshot_preview1 import object for a compiled module.
 * @param {WebAssembly.Module} module the module (its import list decides what is provided)
 * @param {() => WebAssembly.Memory} getMemory the instance's memory, once instantiated
 * @param {{ stdout?: (line: string) => void, stderr?: (line: string) => void }} [io]
 */
export function wasiImports(module, getMemory, io = {}) {
  const decoder = new TextDecoder();
  const pending = { 1: '', 2: '' };
  const sinks = {
    1: io.stdout || ((l) => console.log(l)),
    2: io.stderr || ((l) => console.error(l)),
  };
  const view = () => new DataView(getMemory().buffer);
  const bytes = () => new Uint8Array(getMemory().buffer);

  const impl = {
    fd_write(fd, iovs, iovsLen, nwrittenPtr) {
      if (fd !== 1 && fd !== 2) return EBADF;
      const dv = view();
      let total = 0;
      let text = '';
      for (let i = 0; i < iovsLen; i++) {
        const ptr = dv.getUint32(iovs + i * 8, true);
        const len = dv.getUint32(iovs + i * 8 + 4, true);
        text += decoder.decode(bytes().subarray(ptr, ptr + len));
        total += len;
      }
      const lines = (pending[fd] + text).split('\n');
      pending[fd] = lines.pop();
      for (const l of lines) sinks[fd](l);
      view().setUint32(nwrittenPtr, total, true);
      return ESUCCESS;
    },
    fd_close(fd) {
      return fd <= 2 ? ESUCCESS : EBADF;
    },
    fd_seek(fd, _offset, _whence, newOffsetPtr) {
      if (fd > 2) return EBADF;
      view().setBigUint64(newOffsetPtr, 0n, true);
      return ESUCCESS;
    },
    fd_fdstat_get(fd, statPtr) {
      if (fd > 2) return EBADF;
      const dv = view();
      for (let i = 0; i < 24; i++) dv.setUint8(statPtr + i, 0);
      dv.setUint8(statPtr, 2); // filetype: character device
      return ESUCCESS;
    },
    proc_exit(code) {
      throw new WasiExit(code);
    },
    clock_time_get(clockId, _precision, timePtr) {
      let ns;
      if (clockId === 0) {
        ns = BigInt(Date.now()) * 1000000n;
      } else if (clockId === 1 || clockId === 2 || clockId === 3) {
        const t = typeof performance !== 'undefined' ? performance.now() : Date.now();
        ns = BigInt(Math.round(t * 1e6));
      } else {
        return EINVAL;
      }
      view().setBigUint64(timePtr, ns, true);
      return ESUCCESS;
    },
    clock_res_get(_clockId, resPtr) {
      view().setBigUint64(resPtr, 1000n, true);
      return ESUCCESS;
    },
    random_get(ptr, len) {
      const out = bytes().subarray(ptr, ptr + len);
      // getRandomValues takes at most 65536 bytes per call.
      for (let off = 0; off < len; off += 65536) {
        crypto.getRandomValues(out.subarray(off, Math.min(len, off + 65536)));
      }
      return ESUCCESS;
    },
    environ_sizes_get(countPtr, sizePtr) {
      view().setUint32(countPtr, 0, true);
      view().setUint32(sizePtr, 0, true);
      return ESUCCESS;
    },
    environ_get() {
      return ESUCCESS;
    },
    args_sizes_get(countPtr, sizePtr) {
      view().setUint32(countPtr, 0, true);
      view().setUint32(sizePtr, 0, true);
      return ESUCCESS;
    },
    args_get() {
      return ESUCCESS;
    },
    sched_yield() {
      return ESUCCESS;
    },
  };

  const out = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.module !== 'wasi_snapshot_preview1' || imp.kind !== 'function') continue;
    out[imp.name] = impl[imp.name] || (() => ENOSYS);
  }
  return out;
}
