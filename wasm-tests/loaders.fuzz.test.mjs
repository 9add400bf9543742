// Mutation fuzzing of the data-set loaders in JS (the evaluation harness's items.jsonl /
// interactions.jsonl parser) and, behind them, of the module's catalog and history JSON
// loaders: seeded mutations of the sample data set's lines (bytes flipped, cut,
// duplicated, quotes and braces, NUL, lone surrogates, BOM, CRLF, huge numbers, deep
// nesting).
// Invariants: the JS loader returns well-typed records or throws a DataError with a line
// number inside the text; the module accepts a batch or throws an AragError, and a
// refused batch changes nothing (count and snapshot bytes).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DIST, requireFile, rng } from './helpers/common.mjs';
import { sampleDataSet } from './helpers/data.mjs';
import { parseItems, parseInteractions, DataError } from '../web/src/eval/data.mjs';

requireFile(join(DIST, 'index.mjs'), 'run `make wasm` first');
const { createArag, AragError } = await import('../dist/index.mjs');

const DATA_DIR = sampleDataSet();
const itemLines = readFileSync(join(DATA_DIR, 'items.jsonl'), 'utf8').split('\n').filter(Boolean).slice(0, 300);
const interLines = readFileSync(join(DATA_DIR, 'interactions.jsonl'), 'utf8').split('\n').filter(Boolean).slice(0, 300);

const SNIPPETS = ['"', '\\', '{', '}', '[', ']', ',', ':', '\u0000', '\\u0000', '\uD800', '\\ud800', '\uFEFF', '\r\n', '\n', '1e999', '-0', 'null', 'true', '"id":', '"title":1', '[[[[[[[[[[', '\u2028', '\u{1F525}', 'é', '\\"'];

function mutate(text, r) {
  let s = text;
  const n = 1 + Math.floor(r() * 4);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(r() * (s.length + 1));
    switch (Math.floor(r() * 6)) {
      case 0: // insert a snippet
        s = s.slice(0, at) + SNIPPETS[Math.floor(r() * SNIPPETS.length)] + s.slice(at);
        break;
      case 1: // delete a span
        s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 8));
        break;
      case 2: // cut here
        s = s.slice(0, at);
        break;
      case 3: // duplicate a span
        s = s.slice(0, at) + s.slice(at, at + 20) + s.slice(at);
        break;
      case 4: // replace one character
        s = s.slice(0, at) + String.fromCharCode(Math.floor(r() * 0x3000)) + s.slice(at + 1);
        break;
      default: // long run
        s = s.slice(0, at) + 'x'.repeat(Math.floor(r() * 20000)) + s.slice(at);
    }
  }
  return s;
}

function batch(lines, r, size = 5) {
  const start = Math.floor(r() * (lines.length - size));
  const picked = lines.slice(start, start + size);
  const i = Math.floor(r() * picked.length);
  picked[i] = mutate(picked[i], r);
  const sep = r() < 0.2 ? '\r\n' : '\n';
  return (r() < 0.1 ? '\uFEFF' : '') + picked.join(sep);
}

const N_TEXTS = 3000;
const N_MODULE = 600;
let arag;
before(async () => {
  arag = await createArag();
});

test(`JS data-set loader: ${N_TEXTS} mutated items/interactions texts give records or a DataError with a line`, { timeout: 60000 }, () => {
  const r = rng(2026);
  let accepted = 0;
  let refused = 0;
  for (let i = 0; i < N_TEXTS; i++) {
    const text = batch(itemLines, r);
    const nLines = text.split('\n').length;
    try {
      const { items, byId } = parseItems(text);
      for (const it of items) {
        assert.equal(typeof it.id, 'string');
        assert.ok(it.id.length > 0);
        assert.equal(typeof it.title, 'string');
      }
      accepted++;
      // interactions against the accepted items
      const inter = batch(interLines, r);
      try {
        parseInteractions(inter, byId, 'interactions.jsonl', 1);
      } catch (e) {
        assert.ok(e instanceof DataError, `${e && e.name}: ${e && e.message}`);
      }
    } catch (e) {
      assert.ok(e instanceof DataError, `not a DataError: ${e && e.name}: ${e && e.message}`);
      assert.ok(e.line >= 0 && e.line <= nLines, `line ${e.line} of ${nLines}`);
      refused++;
    }
  }
  assert.ok(accepted > 100 && refused > 100, `accepted ${accepted}, refused ${refused}`);
  console.log(`loaders-fuzz js ${JSON.stringify({ texts: N_TEXTS, accepted, refused })}`);
});

test(`module catalog/history loaders: ${N_MODULE} mutated JSON-lines batches, all-or-nothing`, { timeout: 120000 }, () => {
  const r = rng(7);
  const cat = arag.createCatalog({ dim: 64 });
  const hist = arag.createHistory({ dim: 64 });
  cat.add(itemLines.slice(0, 5).join('\n'));
  hist.add(interLines.slice(0, 3).map((l, i) => ({ id: JSON.parse(l).item, ts: i })));
  let ok = 0;
  let refused = 0;
  for (let i = 0; i < N_MODULE; i++) {
    const text = batch(itemLines, r);
    const before = cat.count;
    try {
      cat.add(text);
      ok++;
      assert.ok(cat.count >= before);
    } catch (e) {
      assert.ok(e instanceof AragError, `not an AragError: ${e && e.name}: ${e && e.message}`);
      assert.ok(e.message.length > 0);
      assert.equal(cat.count, before, 'a refused batch changes nothing');
      refused++;
    }
    const snap = hist.snapshot();
    const events = batch(itemLines, r, 3).replace(/"id"/, '"ts":1,"id"');
    try {
      hist.add(events);
    } catch (e) {
      assert.ok(e instanceof AragError, `${e && e.name}: ${e && e.message}`);
      assert.deepEqual(hist.snapshot(), snap, 'a refused history batch changes nothing');
    }
  }
  assert.ok(ok > 50 && refused > 50, `ok ${ok}, refused ${refused}`);
  console.log(`loaders-fuzz module ${JSON.stringify({ batches: N_MODULE, accepted: ok, refused })}`);
  cat.free();
  hist.free();
});
