#!/usr/bin/env node
// The seeded hardening suites' figures (make hardening-figures): runs each suite, reads the
// summary line it prints, and writes them to docs/figures/hardening.json (drawn in
// docs/hardening.md by scripts/figures/hardening.mjs). A suite that fails records nothing:
// the script exits 1 and the JSON stays as it was.
//   node scripts/hardening-record.mjs [--json FILE] [--native DIR]
//   --native: the build folder of the C suites (default build/native-asan: ASan + UBSan,
//   LeakSanitizer at exit)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const args = process.argv.slice(2);
let out = join(ROOT, 'docs', 'figures', 'hardening.json');
let native = join(ROOT, 'build', 'native-asan');
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--json') out = resolve(args[++i]);
  else if (args[i] === '--native') native = resolve(args[++i]);
  else {
    console.error(`hardening-record: unknown argument ${args[i]} (usage: node scripts/hardening-record.mjs [--json FILE] [--native DIR])`);
    process.exit(2);
  }
}

/** Runs one suite; returns its output, or exits 1 when it failed. */
function run(label, cmd, argv) {
  if (!existsSync(cmd)) {
    console.error(`hardening-record: ${cmd} is missing (make asan / make wasm)`);
    process.exit(2);
  }
  const t0 = Date.now();
  const r = spawnSync(cmd, argv, { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 28 });
  const text = `${r.stdout || ''}\n${r.stderr || ''}`;
  if (r.status !== 0) {
    process.stderr.write(text.slice(-4000));
    console.error(`hardening-record: ${label} failed (exit ${r.status ?? r.signal}); nothing recorded`);
    process.exit(1);
  }
  console.log(`hardening-record: ${label} passed (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  return text;
}

/** The JSON after `prefix` on the last line that starts with it. */
function summary(text, prefix, label) {
  const line = text.split('\n').filter((l) => l.startsWith(prefix)).pop();
  if (!line) {
    console.error(`hardening-record: ${label} printed no "${prefix}" line`);
    process.exit(1);
  }
  return JSON.parse(line.slice(prefix.length));
}

const node = process.execPath;
const faultsC = run('tests/test_faults', join(native, 'test_faults'), []);
const allocC = run('tests/test_alloc_faults', join(native, 'test_alloc_faults'), []);
const loaders = run('wasm-tests/loaders.fuzz.test.mjs', node, ['wasm-tests/loaders.fuzz.test.mjs']);
const faultsJs = run('wasm-tests/faults.test.mjs', node, ['wasm-tests/faults.test.mjs']);
const injection = run('wasm-tests/injection.test.mjs', node, ['wasm-tests/injection.test.mjs']);

const figures = {
  what: 'make hardening-figures: the seeded fault-injection, allocation-failure, mutation and prompt-injection suites, the counts each run printed',
  date: new Date().toISOString().slice(0, 10),
  native_build: basename(native),
  native_faults: summary(faultsC, 'faults-summary ', 'test_faults'),
  alloc_faults: summary(allocC, 'alloc-faults-summary ', 'test_alloc_faults'),
  loaders_fuzz: { js: summary(loaders, 'loaders-fuzz js ', 'loaders fuzz'), module: summary(loaders, 'loaders-fuzz module ', 'loaders fuzz') },
  wasm_faults: {
    emscripten: summary(faultsJs, 'faults emscripten: ', 'faults (emscripten)'),
    wasi: summary(faultsJs, 'faults wasi: ', 'faults (wasi)'),
  },
  http_faults: summary(faultsJs, 'faults http: ', 'faults (http)'),
  injection: summary(injection, 'injection ', 'injection'),
};
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(figures, null, 1)}\n`);
console.log(`hardening-record: written to ${out}`);
