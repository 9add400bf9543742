// The C library as C projects consume it: `cmake --install` of the native and the
// Emscripten builds into fresh prefixes, then one consumer program (tests/consumer) built
// against each with find_package(arag) and with pkg-config (shared and static), through
// add_subdirectory of the source tree, and with emcc (pkg-config and find_package). Each
// runs an offline recommendation and must print the order the JS host library gives.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, requireFile } from './helpers/common.mjs';
import { sh } from './helpers/tarball.mjs';

const WORK = join(ROOT, 'build', 'c-consumers');
const SRC = join(ROOT, 'tests', 'consumer');
const NATIVE = requireFile(join(ROOT, 'build', 'native', 'CMakeCache.txt'), 'run `make native` first') && join(ROOT, 'build', 'native');
const EM = requireFile(join(ROOT, 'build', 'emscripten', 'CMakeCache.txt'), 'run `make wasm` first') && join(ROOT, 'build', 'emscripten');
const EMENV = { NODE_PATH: '/usr/share/nodejs' };
let expected; // the JS host library's first three ids for the same catalog and history

before(async () => {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  // emcc writes CommonJS .js files; the repository's package.json says "module".
  writeFileSync(join(WORK, 'package.json'), '{ "type": "commonjs" }\n');
  // wasm-tests/consumers/common/recommend.js imports 'arag': here the repository itself.
  const { recommend } = await import('./consumers/common/recommend.js');
  expected = (await recommend()).order.join('\n') + '\n';
});

function install(build, name) {
  const prefix = join(WORK, name);
  sh('cmake', ['--install', build, '--prefix', prefix]);
  return prefix;
}

const runNode = (js) => sh(process.execPath, ['--no-experimental-fetch', js]).stdout;

// The functions include/arag.h declares ARAG_API: the library's whole API.
const API = [...readFileSync(join(ROOT, 'include', 'arag.h'), 'utf8').matchAll(/^ARAG_API [^(]*?\b(arag_\w+)\(/gm)].map((m) => m[1]).sort();
// The global symbols a library file defines (nm prints "address type name").
const definedGlobals = (args) => sh('nm', args).stdout.split('\n').map((l) => l.trim().split(/\s+/))
  .filter((f) => f.length === 3 && /^[A-Z]$/.test(f[1]) && f[1] !== 'U').map((f) => f[2]).sort();

test('cmake --install: header, static and shared library (cJSON inside, only the API global), arag.pc, CMake package, licenses', () => {
  const prefix = install(NATIVE, 'native');
  for (const f of ['include/arag.h', 'lib/libarag.a', 'lib/libarag.so', 'lib/pkgconfig/arag.pc', 'lib/cmake/arag/arag-config.cmake',
    'lib/cmake/arag/arag-config-version.cmake', 'lib/cmake/arag/arag-targets.cmake', 'share/doc/arag/LICENSE', 'share/doc/arag/THIRD-PARTY-NOTICES.txt']) {
    assert.ok(existsSync(join(prefix, f)), `${f} installed`);
  }
  assert.ok(API.length >= 60 && API.includes('arag_recommend_start') && API.includes('arag_catalog_restore'), `the API read from arag.h: ${API.length} functions`);
  const archive = join(prefix, 'lib', 'libarag.a');
  assert.deepEqual(sh('ar', ['t', archive]).stdout.trim().split('\n'), ['arag_public.o'], 'one object: arag, cJSON and arag_strtod');
  assert.deepEqual(definedGlobals(['-g', '--defined-only', archive]), API, 'libarag.a: the API is global, nothing else');
  assert.deepEqual(definedGlobals(['-D', '--defined-only', join(prefix, 'lib', 'libarag.so')]), API, 'libarag.so exports the API, nothing else');
  assert.match(readFileSync(join(prefix, 'share/doc/arag/THIRD-PARTY-NOTICES.txt'), 'utf8'), /cJSON[\s\S]*Dave Gamble/);
});

test('native consumer: find_package(arag), pkg-config (shared and static) and add_subdirectory give the JS recommendation', () => {
  const prefix = join(WORK, 'native');
  if (!existsSync(prefix)) install(NATIVE, 'native');
  const fp = join(WORK, 'find-package');
  sh('cmake', ['-S', SRC, '-B', fp, `-DCMAKE_PREFIX_PATH=${prefix}`]);
  sh('cmake', ['--build', fp]);
  assert.equal(sh(join(fp, 'consumer'), []).stdout, expected, 'find_package');

  const env = { PKG_CONFIG_PATH: join(prefix, 'lib', 'pkgconfig') };
  const flags = sh('pkg-config', ['--cflags', '--libs', 'arag'], { env }).stdout.trim().split(/\s+/);
  assert.ok(flags.includes('-larag') && !flags.some((f) => /cjson/i.test(f)), `one library to link: ${flags.join(' ')}`);
  const shared = join(WORK, 'consumer-shared');
  sh('cc', ['-std=c11', join(SRC, 'consumer.c'), ...flags, `-Wl,-rpath,${join(prefix, 'lib')}`, '-o', shared]);
  assert.match(sh('ldd', [shared]).stdout, /libarag\.so/);
  assert.equal(sh(shared, []).stdout, expected, 'pkg-config, shared');
  const libs = sh('pkg-config', ['--static', '--libs', 'arag'], { env }).stdout.trim().split(/\s+/);
  const staticBin = join(WORK, 'consumer-static');
  sh('cc', ['-std=c11', join(SRC, 'consumer.c'), ...flags.filter((f) => f.startsWith('-I')), '-Wl,-Bstatic', ...libs.filter((f) => f !== '-lm'), '-Wl,-Bdynamic', '-lm', '-o', staticBin]);
  assert.doesNotMatch(sh('ldd', [staticBin]).stdout, /libarag/);
  assert.equal(sh(staticBin, []).stdout, expected, 'pkg-config --static');

  // A program with functions of the names libarag's insides have (its own cJSON, say),
  // each failing: both libraries keep calling their own.
  const same = join(SRC, 'same_names.c');
  const sharedSame = join(WORK, 'consumer-same-names-shared');
  sh('cc', ['-std=c11', join(SRC, 'consumer.c'), same, ...flags, `-Wl,-rpath,${join(prefix, 'lib')}`, '-o', sharedSame]);
  assert.equal(sh(sharedSame, []).stdout, expected, 'same names, shared');
  const staticSame = join(WORK, 'consumer-same-names-static');
  sh('cc', ['-std=c11', join(SRC, 'consumer.c'), same, ...flags.filter((f) => f.startsWith('-I')), '-Wl,-Bstatic', ...libs.filter((f) => f !== '-lm'), '-Wl,-Bdynamic', '-lm', '-o', staticSame]);
  assert.equal(sh(staticSame, []).stdout, expected, 'same names, static');

  const sub = join(WORK, 'subdirectory');
  sh('cmake', ['-S', SRC, '-B', sub, `-DARAG_SOURCE_DIR=${ROOT}`]);
  sh('cmake', ['--build', sub, '-j', process.env.JOBS || '2']);
  assert.ok(!existsSync(join(sub, 'arag', 'test_engine')), 'add_subdirectory builds the library alone, no tests');
  assert.equal(sh(join(sub, 'consumer'), []).stdout, expected, 'add_subdirectory');
});

test('a plain compiler run, the two lines docs/install.md gives, builds the consumer', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'install.md'), 'utf8');
  const block = doc.match(/without any generator:\n\n```sh\n([\s\S]*?)```/);
  assert.ok(block, 'docs/install.md has the plain compiler block');
  const lines = block[1].trim().split('\n');
  assert.equal(lines.length, 2);
  const dir = join(WORK, 'plain');
  mkdirSync(dir, { recursive: true });
  for (const line of lines) {
    const cmd = line.replace(/\bapp\.c\b/, join(SRC, 'consumer.c')).replace(/\bcjson\.o\b/g, join(dir, 'cjson.o'))
      .replace(/-o app$/, `-o ${join(dir, 'app')}`);
    sh('sh', ['-c', cmd]);
  }
  assert.equal(sh(join(dir, 'app'), []).stdout, expected, 'plain cc');
});

test('Emscripten consumer: libarag.a from the installed prefix, linked by emcc with pkg-config and with find_package, no --js-library', () => {
  const prefix = install(EM, 'emscripten');
  assert.ok(existsSync(join(prefix, 'lib', 'libarag.a')) && !existsSync(join(prefix, 'lib', 'libarag.so')));
  const env = { ...EMENV, PKG_CONFIG_PATH: join(prefix, 'lib', 'pkgconfig') };
  const flags = sh('pkg-config', ['--cflags', '--libs', 'arag'], { env }).stdout.trim().split(/\s+/);
  const js = join(WORK, 'consumer-em.js');
  sh('emcc', ['-O2', join(SRC, 'consumer.c'), ...flags, '-o', js], { env });
  assert.equal(runNode(js), expected, 'emcc + pkg-config');

  const fp = join(WORK, 'find-package-em');
  sh('emcmake', ['cmake', '-S', SRC, '-B', fp, `-Darag_DIR=${join(prefix, 'lib', 'cmake', 'arag')}`], { env: EMENV });
  sh('cmake', ['--build', fp], { env: EMENV });
  assert.equal(runNode(join(fp, 'consumer.js')), expected, 'emcmake + find_package');
});
