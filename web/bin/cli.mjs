// What every arag command shares: usage errors, option parsing with --help and --version,
// typed option values and output files (their folders created).
import { parseArgs } from 'node:util';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// The package root: dist/ (the built module) lives here, in a clone and in node_modules alike.
export const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const version = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')).version;

// A bad command line: reported as `arag COMMAND: message`, exit status 2.
export class UsageError extends Error {}

// A command's options (plus -h/--help and -V/--version); null when help or the version was
// asked for and written.
export function parseOptions(argv, options, help) {
  let args;
  try {
    args = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: { ...options, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'V' } },
    }).values;
  } catch (e) {
    throw new UsageError(e.message);
  }
  if (args.help) {
    process.stdout.write(help);
    return null;
  }
  if (args.version) {
    process.stdout.write(`arag ${version}\n`);
    return null;
  }
  return args;
}

// The data set folder: --data, else $ARAG_DATA_ROOT/<name>. Never a folder inside the
// installed package: data sets are the user's, not the package's.
export function dataDir(args, name = 'amazon-beauty') {
  if (args.data) return args.data;
  const root = process.env.ARAG_DATA_ROOT;
  if (!root) throw new UsageError(`--data DIR is required (a folder with items.jsonl and interactions.jsonl), or set ARAG_DATA_ROOT to read ${name}/ under it`);
  return join(root, name);
}

export function kindOf(args) {
  const kind = args.kind || 'emscripten';
  if (!['emscripten', 'wasi'].includes(kind)) throw new UsageError(`--kind: expected emscripten or wasi, got "${kind}"`);
  return kind;
}

// Writes an output file, creating its folder.
export function writeOut(file, text) {
  mkdirSync(dirname(resolve(file)), { recursive: true });
  writeFileSync(file, text);
}

export function jsonObject(name, text) {
  let v;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--${name}: not JSON (${e.message})`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new UsageError(`--${name}: expected a JSON object`);
  return v;
}

export function int(name, v, min) {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min) throw new UsageError(`--${name}: expected an integer >= ${min}, got "${v}"`);
  return Number(v);
}

// A number in [lo, hi) (or (lo, hi) when open).
export function num(name, v, lo, hi, { open = false } = {}) {
  if (v === undefined) return undefined;
  const x = Number(v);
  const inside = (open ? x > lo : x >= lo) && x < hi;
  if (v.trim() === '' || !Number.isFinite(x) || !inside) throw new UsageError(`--${name}: expected a number in ${open ? '(' : '['}${lo}, ${hi}), got "${v}"`);
  return x;
}
