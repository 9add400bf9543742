#!/usr/bin/env node
// Figures in the documentation are written from the JSON of the command that measured
// them, never copied by hand, so two pages cannot disagree and none can go stale.
//
// - A command writes its measurements to docs/figures/<name>.json.
// - A renderer scripts/figures/<name>.mjs exports render(json, { view, figure }) ->
//   Markdown. A name without its own renderer uses the renderer of its longest prefix
//   that has one, cut at a '-': eval-amazon-beauty is drawn by scripts/figures/eval.mjs.
//   `view` picks one of several tables of the same JSON; figure(other) reads another
//   figure's JSON.
// - A Markdown file (README.md, docs/**/*.md) holds the rendered block between
//     <!-- figures:<name>[:<view>] -->  and  <!-- /figures:<name>[:<view>] -->
//
//   node scripts/figures.mjs            rewrite every block from its JSON
//   node scripts/figures.mjs --check    exit 1, naming each block that differs (make test)
//   --root DIR                          another tree than this repository's
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

const OPEN = /<!-- figures:([a-z0-9][a-z0-9_.-]*)(?::([a-z0-9_-]+))? -->/g;

function markdownFiles(root) {
  const out = [];
  if (existsSync(join(root, 'README.md'))) out.push(join(root, 'README.md'));
  const walk = (dir) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir).sort()) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (e.endsWith('.md')) out.push(p);
    }
  };
  walk(join(root, 'docs'));
  return out;
}

function lineOf(text, index) {
  return text.slice(0, index).split('\n').length;
}

/** The renderer file for a figure name: its own, or its longest '-' prefix's. */
function rendererFile(root, name) {
  const parts = name.split('-');
  for (let n = parts.length; n > 0; n--) {
    const f = join(root, 'scripts', 'figures', `${parts.slice(0, n).join('-')}.mjs`);
    if (existsSync(f)) return f;
  }
  return null;
}

/**
 * Rewrites (or, with check, compares) every figures block under root.
 * @returns {Promise<{blocks: number, changed: string[], errors: string[], unused: string[]}>}
 */
export async function updateFigures({ root = ROOT, check = false } = {}) {
  const errors = [];
  const changed = [];
  const used = new Set();
  const jsonCache = new Map();
  const figure = (name) => {
    if (!jsonCache.has(name)) {
      const f = join(root, 'docs', 'figures', `${name}.json`);
      if (!existsSync(f)) throw new Error(`no docs/figures/${name}.json`);
      try {
        jsonCache.set(name, JSON.parse(readFileSync(f, 'utf8')));
      } catch (e) {
        throw new Error(`docs/figures/${name}.json: ${e.message}`);
      }
    }
    return jsonCache.get(name);
  };
  const renderers = new Map();
  const writes = [];
  let blocks = 0;
  for (const file of markdownFiles(root)) {
    const rel = relative(root, file);
    const text = readFileSync(file, 'utf8');
    let out = '';
    let at = 0;
    OPEN.lastIndex = 0;
    for (let m; (m = OPEN.exec(text)); ) {
      const [open, name, view] = m;
      const tag = view ? `${name}:${view}` : name;
      const close = `<!-- /figures:${tag} -->`;
      const end = text.indexOf(close, m.index + open.length);
      const next = text.slice(m.index + open.length, end < 0 ? undefined : end).search(OPEN);
      if (end < 0 || next >= 0) {
        errors.push(`${rel}:${lineOf(text, m.index)}: figures:${tag} is not closed by ${close}`);
        continue;
      }
      blocks++;
      used.add(name);
      let body;
      try {
        const rf = rendererFile(root, name);
        if (!rf) throw new Error(`no renderer scripts/figures/${name}.mjs (nor one of a prefix)`);
        if (!renderers.has(rf)) renderers.set(rf, await import(pathToFileURL(rf).href));
        const md = renderers.get(rf).render(figure(name), { view: view || null, figure, name });
        if (typeof md !== 'string') throw new Error(`${relative(root, rf)} returned no Markdown for ${tag}`);
        body = `\n${md.trim()}\n`;
      } catch (e) {
        errors.push(`${rel}:${lineOf(text, m.index)}: figures:${tag}: ${e.message}`);
        continue;
      }
      const from = m.index + open.length;
      if (text.slice(from, end) !== body) changed.push(`${rel}:${lineOf(text, m.index)}: figures:${tag}`);
      out += text.slice(at, from) + body;
      at = end;
      OPEN.lastIndex = end + close.length;
    }
    out += text.slice(at);
    if (out !== text) writes.push([file, out]);
  }
  // Nothing is written when any block failed: a page is never half redrawn.
  if (!check && !errors.length) for (const [file, out] of writes) writeFileSync(file, out);
  const dir = join(root, 'docs', 'figures');
  const unused = existsSync(dir)
    ? readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => basename(f, '.json')).filter((n) => !used.has(n)).sort()
    : [];
  return { blocks, changed, errors, unused };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  let root = ROOT;
  let check = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--check') check = true;
    else if (args[i] === '--root' && i + 1 < args.length) root = resolve(args[++i]);
    else {
      console.error(`figures: unknown argument ${args[i]} (usage: node scripts/figures.mjs [--check] [--root DIR])`);
      process.exit(2);
    }
  }
  const r = await updateFigures({ root, check });
  for (const e of r.errors) console.error(`figures: ${e}`);
  for (const n of r.unused) console.error(`figures: note: docs/figures/${n}.json is shown in no document`);
  if (check) {
    for (const c of r.changed) console.error(`figures: ${c} differs from its JSON (run node scripts/figures.mjs)`);
    console.log(`figures: ${r.blocks} blocks checked, ${r.changed.length} differ, ${r.errors.length} errors`);
    process.exit(r.errors.length || r.changed.length ? 1 : 0);
  }
  console.log(`figures: ${r.blocks} blocks, ${r.changed.length} rewritten, ${r.errors.length} errors`);
  process.exit(r.errors.length ? 1 : 0);
}
