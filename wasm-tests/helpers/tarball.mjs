// Consumers of the package as users install it: `npm pack` makes the tarball (once per
// process), and each consumer app (a folder of wasm-tests/consumers/ or any template) is
// copied to build/consumers/<name>/ and gets the tarball with `npm install`, offline.
// The apps live inside the repository so that the bundlers they run (vite, webpack,
// rollup, esbuild, wrangler, typescript: the repository's devDependencies) resolve from
// its node_modules, while `arag` resolves from the app's own node_modules (the tarball).
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ROOT } from './common.mjs';

export const CONSUMERS = join(ROOT, 'wasm-tests', 'consumers');
const WORK = join(ROOT, 'build', 'consumers');
const BIN = join(ROOT, 'node_modules', '.bin');

let packed = null;

/** Runs a command to completion; throws with its output when it exits non-zero. */
export function sh(cmd, args, { cwd = ROOT, env = {}, timeout = 180000 } = {}) {
  const r = spawnSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', timeout, maxBuffer: 64 << 20 });
  const out = `${r.stdout || ''}${r.stderr || ''}`;
  if (r.status !== 0) {
    // Long lines (minified code in a stack trace) cut, so the message stays readable.
    const shown = out.split('\n').map((l) => (l.length > 400 ? `${l.slice(0, 400)}...` : l)).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.status ?? r.signal}:\n${shown}`);
  }
  return { stdout: r.stdout, stderr: r.stderr, out };
}

/** A devDependency's command from the repository's node_modules/.bin. */
export const bin = (name) => join(BIN, name);

/** The tarball `npm pack` makes of the repository (dist/ must be built: make wasm). */
export function packTarball() {
  if (packed) return packed;
  if (!existsSync(join(ROOT, 'dist', 'arag.wasm'))) throw new Error('dist/arag.wasm is missing: run make wasm first');
  const dir = join(WORK, 'pack');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const { stdout } = sh('npm', ['pack', '--json', '--pack-destination', dir]);
  const [info] = JSON.parse(stdout);
  packed = { file: join(dir, info.filename), files: info.files.map((f) => f.path), size: info.size, unpackedSize: info.unpackedSize };
  return packed;
}

/**
 * Copies a consumer app to build/consumers/<name>/ (fresh) and installs the tarball into
 * it with npm, offline. from: a folder (its package.json, if any, is kept without its
 * devDependencies; one is written otherwise). Returns the app's folder.
 */
export function installConsumer(from, name = from.split('/').pop()) {
  const { file } = packTarball();
  const dir = join(WORK, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  cpSync(from, dir, { recursive: true, filter: (src) => !/[/\\](node_modules|dist|out|\.wrangler)$/.test(src) });
  const manifest = join(dir, 'package.json');
  const pkg = existsSync(manifest) ? JSON.parse(readFileSync(manifest, 'utf8')) : { name: `consumer-${name}`, private: true, type: 'module' };
  // A template's own dev tools (wrangler) are the repository's pinned devDependencies here,
  // so the install stays offline; its dependencies (arag) are what the tarball gives.
  delete pkg.devDependencies;
  writeFileSync(manifest, JSON.stringify(pkg, null, 2));
  sh('npm', ['install', '--offline', '--no-audit', '--no-fund', '--no-save', '--ignore-scripts', file], { cwd: dir });
  return dir;
}

/** Copies the shared page and worker sources (wasm-tests/consumers/common) into an app. */
export function addCommon(dir) {
  for (const f of readdirSync(join(CONSUMERS, 'common'))) cpSync(join(CONSUMERS, 'common', f), join(dir, f));
}

/** A free TCP port on 127.0.0.1 (for servers that take a port number, not 0). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * `wrangler dev --local` in an app folder: resolves once it is ready to answer, with its
 * URL and stop(). Offline: no login, metrics off. readme: true runs `npx wrangler dev` with
 * no option at all, as a template's README says (wrangler takes 8787, or a free port when
 * that is taken, and prints where it listens).
 */
export async function wranglerDev(dir, { timeout = 90000, readme = false } = {}) {
  const port = await freePort();
  const home = mkdtempSync(join(WORK, 'wrangler-home-'));
  const [cmd, args] = readme
    ? ['npx', ['wrangler', 'dev']]
    : [bin('wrangler'), ['dev', '--local', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(await freePort()), '--show-interactive-dev-session=false']];
  const child = spawn(cmd, args, {
    cwd: dir,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', XDG_CONFIG_HOME: home, CI: 'true', NO_COLOR: '1', npm_config_offline: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let log = '';
  let url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {}
      await new Promise((r) => {
        const t = setTimeout(() => {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {}
          r();
        }, 5000);
        child.once('exit', () => {
          clearTimeout(t);
          r();
        });
      });
    }
    rmSync(home, { recursive: true, force: true });
  };
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`wrangler dev was not ready in ${timeout} ms:\n${log}`)), timeout);
    const onData = (c) => {
      log += c;
      const ready = /Ready on (http:\/\/[^\s]+)/.exec(log);
      if (ready) {
        if (readme) url = ready[1].replace(/\/$/, '');
        clearTimeout(t);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`wrangler dev exited ${code}:\n${log}`));
    });
  }).catch(async (e) => {
    await stop();
    throw e;
  });
  return { url, stop, log: () => log };
}
