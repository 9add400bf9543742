// The types of `arag/arag.wasm` and `arag/arag-wasi.wasm` imported as modules, the way
// Cloudflare Workers (wrangler) and workerd import wasm: a compiled module. (Vite's
// `?url` import of the same subpath is typed by vite/client as a string.)
declare const wasmModule: WebAssembly.Module;
export default wasmModule;
