#!/usr/bin/env node
// The length of every C function in src/: a function longer than MAX lines (signature to
// closing brace) fails the check, unless scripts/function-length-allow.txt names it. An
// entry of that list whose function is no longer too long (or gone) fails too, so the
// list can only shrink.
//
//   node scripts/function-length.mjs           the check (make test)
//   node scripts/function-length.mjs --list    every function, longest first
//   --max N                                    another limit than 80
//   --root DIR                                 another tree than this repository's
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const ROOT = resolve(opt('--root', fileURLToPath(new URL('..', import.meta.url))));
const MAX = Number(opt('--max', 80));
const ALLOW = join(ROOT, 'scripts', 'function-length-allow.txt');

function cFiles(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...cFiles(p));
    else if (/\.[ch]$/.test(e.name)) out.push(p);
  }
  return out;
}

// The text with comments, string and character literals and preprocessor lines blanked
// (newlines kept, so offsets keep their line numbers).
function code(text) {
  const s = text.split('');
  let i = 0;
  const blank = (from, to) => {
    for (let k = from; k < to; k++) if (s[k] !== '\n') s[k] = ' ';
  };
  let lineStart = true;
  while (i < s.length) {
    const c = s[i];
    if (lineStart && /[ \t]/.test(c)) {
      i++;
      continue;
    }
    if (lineStart && c === '#') {
      let j = i;
      while (j < s.length && !(s[j] === '\n' && s[j - 1] !== '\\')) j++;
      blank(i, j);
      i = j;
      continue;
    }
    lineStart = c === '\n';
    if (c === '/' && s[i + 1] === '*') {
      const j = text.indexOf('*/', i + 2);
      const end = j < 0 ? s.length : j + 2;
      blank(i, end);
      i = end;
    } else if (c === '/' && s[i + 1] === '/') {
      let j = i;
      while (j < s.length && s[j] !== '\n') j++;
      blank(i, j);
      i = j;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < s.length && s[j] !== c) j += s[j] === '\\' ? 2 : 1;
      blank(i + 1, j);
      i = j + 1;
    } else i++;
  }
  return s.join('');
}

// Top-level blocks opened right after a parenthesized list (a function's parameters) and
// with no '=' before them: { name, line, lines }.
export function functions(text) {
  const src = code(text);
  const lineOf = (() => {
    const starts = [0];
    for (let i = 0; i < src.length; i++) if (src[i] === '\n') starts.push(i + 1);
    return (off) => {
      let lo = 0, hi = starts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (starts[mid] <= off) lo = mid;
        else hi = mid - 1;
      }
      return lo + 1;
    };
  })();
  const out = [];
  let depth = 0, headStart = 0, open = null;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '{') {
      if (depth === 0) {
        const head = src.slice(headStart, i);
        const m = /([A-Za-z_]\w*)\s*\(([^()]|\([^()]*\))*\)\s*$/.exec(head);
        const paren = m ? head.slice(0, m.index) : '';
        open = m && !head.includes('=') && !/\b(struct|union|enum)\s*\w*\s*$/.test(paren)
          ? { name: m[1], line: lineOf(headStart + head.search(/\S/)) }
          : null;
      }
      depth++;
    } else if (c === '}') {
      depth--;
      if (depth === 0) {
        if (open) out.push({ ...open, lines: lineOf(i) - open.line + 1 });
        open = null;
        headStart = i + 1;
      }
    } else if (c === ';' && depth === 0) headStart = i + 1;
  }
  return out;
}

const all = [];
for (const f of cFiles(join(ROOT, 'src'))) {
  const file = relative(ROOT, f);
  for (const fn of functions(readFileSync(f, 'utf8'))) all.push({ file, ...fn });
}
all.sort((a, b) => b.lines - a.lines || (a.file < b.file ? -1 : 1));

if (args.includes('--list')) {
  for (const f of all) console.log(`${String(f.lines).padStart(5)}  ${f.file}:${f.line}  ${f.name}`);
  process.exit(0);
}

// The allow-list: one function name a line ('#' starts a comment).
const allowed = new Set(
  existsSync(ALLOW)
    ? readFileSync(ALLOW, 'utf8').split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean)
    : [],
);
const long = all.filter((f) => f.lines > MAX);
const errors = [];
for (const f of long)
  if (!allowed.has(f.name)) errors.push(`${f.file}:${f.line}: ${f.name} is ${f.lines} lines (at most ${MAX}): split it`);
for (const name of allowed)
  if (!long.some((f) => f.name === name))
    errors.push(`${relative(ROOT, ALLOW)}: ${name} is no longer over ${MAX} lines (or gone): remove it from the list`);
for (const e of errors) console.error(`function-length: ${e}`);
if (errors.length) process.exit(1);
console.log(`function-length: ${all.length} functions in src/, the longest ${all[0] ? `${all[0].name} (${all[0].lines} lines)` : 'none'}; ` +
  `${long.length} over ${MAX} lines, all on the allow-list`);
