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

test('cmake --install: header, static and shared library (cJSON inside, its symbols hidden), arag.pc, CMake package, licenses', () => {
  const prefix = install(NATIVE, 'native');
  for (const f of ['include/arag.h', 'lib/libarag.a', 'lib/libarag.so', 'lib/pkgconfig/arag.pc', 'lib/cmake/arag/arag-config.cmake',
    'lib/cmake/arag/arag-config-version.cmake', 'lib/cmake/arag/arag-targets.cmake', 'share/doc/arag/LICENSE', 'share/doc/arag/THIRD-PARTY-NOTICES.txt']) {
    assert.ok(existsSync(join(prefix, f)), `${f} installed`);
  }
  const members = sh('ar', ['t', join(prefix, 'lib', 'libarag.a')]).stdout.split('\n');
  assert.ok(members.includes('cJSON.c.o') && members.includes('fast_strtod.c.o') && members.includes('engine.c.o'), 'one archive: arag, cJSON and arag_strtod');
  const dynamic = sh('nm', ['-D', '--defined-only', join(prefix, 'lib', 'libarag.so')]).stdout;
  assert.match(dynamic, / T arag_recommend_start$/m);
  assert.doesNotMatch(dynamic, /cJSON_/, 'cJSON stays inside the shared library');
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

  const sub = join(WORK, 'subdirectory');
  sh('cmake', ['-S', SRC, '-B', sub, `-DARAG_SOURCE_DIR=${ROOT}`]);
  sh('cmake', ['--build', sub, '-j', process.env.JOBS || '2']);
  assert.ok(!existsSync(join(sub, 'arag', 'test_engine')), 'add_subdirectory builds the library alone, no tests');
  assert.equal(sh(join(sub, 'consumer'), []).stdout, expected, 'add_subdirectory');
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
