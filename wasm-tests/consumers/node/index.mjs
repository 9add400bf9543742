// A Node ESM consumer: the default module file (read from disk next to the package's
// module), the WASI build by kind, the wasm subpath and package.json through the exports map.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { recommend } from './recommend.js';

const require = createRequire(import.meta.url);
const pkg = require('arag/package.json');
const wasmPath = new URL(import.meta.resolve('arag/arag.wasm'));
const wasiPath = new URL(import.meta.resolve('arag/arag-wasi.wasm'));

const results = {
  version: pkg.version,
  byDefault: await recommend(),
  wasi: await recommend({ kind: 'wasi' }),
  fromBytes: await recommend({ wasm: await readFile(wasmPath) }),
  wasiFromBytes: await recommend({ wasm: await readFile(wasiPath) }),
};
process.stdout.write(JSON.stringify(results));
