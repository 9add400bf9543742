// Data set loading for the evaluation harness: a folder with items.jsonl and
// interactions.jsonl. Every malformed line is reported with file and line number, and
// loading stops there: the harness never computes on half-read data.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

export class DataError extends Error {
  constructor(file, line, message) {
    super(line ? `${file}:${line}: ${message}` : `${file}: ${message}`);
    this.name = 'DataError';
    this.file = file;
    this.line = line;
  }
}

const MAX_ID_BYTES = 256;

function isNonEmptyString(v) {
  return typeof v === 'string' && v.length > 0;
}

// Splits a JSON-lines text into [{ line, text }] (1-based line numbers). Blank lines
// (only whitespace) are skipped; a final line without newline counts.
export function splitLines(text) {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a UTF-8 byte order mark
  const out = [];
  let start = 0;
  let line = 1;
  const n = text.length;
  while (start <= n) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = n;
    let s = text.slice(start, end);
    if (s.endsWith('\r')) s = s.slice(0, -1);
    if (s.trim().length > 0) out.push({ line, text: s });
    if (end === n) break;
    start = end + 1;
    line++;
  }
  return out;
}

function parseLine(file, rec) {
  let v;
  try {
    v = JSON.parse(rec.text);
  } catch (e) {
    throw new DataError(file, rec.line, `malformed JSON (${e.message})`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new DataError(file, rec.line, 'expected a JSON object');
  }
  return v;
}

// Parses items.jsonl text. Returns { items: [{ id, title, line, json }] } in file order.
// json is the original line (what the catalog is given).
export function parseItems(text, file = 'items.jsonl') {
  const items = [];
  const byId = new Map();
  for (const rec of splitLines(text)) {
    const v = parseLine(file, rec);
    if (!isNonEmptyString(v.id)) throw new DataError(file, rec.line, '"id" must be a non-empty string');
    if (Buffer.byteLength(v.id) > MAX_ID_BYTES) {
      throw new DataError(file, rec.line, `"id" is longer than ${MAX_ID_BYTES} bytes`);
    }
    if (typeof v.title !== 'string') throw new DataError(file, rec.line, '"title" must be a string');
    if (v.categories !== undefined &&
        (!Array.isArray(v.categories) || !v.categories.every((c) => typeof c === 'string'))) {
      throw new DataError(file, rec.line, '"categories" must be an array of strings');
    }
    if (v.text !== undefined && typeof v.text !== 'string') {
      throw new DataError(file, rec.line, '"text" must be a string');
    }
    if (byId.has(v.id)) {
      throw new DataError(file, rec.line, `duplicate item id "${v.id}" (first on line ${items[byId.get(v.id)].line})`);
    }
    byId.set(v.id, items.length);
    items.push({ id: v.id, title: v.title, line: rec.line, json: rec.text });
  }
  if (items.length === 0) throw new DataError(file, 0, 'no items');
  return { items, byId };
}

// The splits: 'test' holds out each user's last interaction, 'valid' the one before it,
// with the last dropped as if it had not happened yet (it is in no history, in no
// statistic, and may be drawn as a negative): the test protocol on every sequence
// without its last interaction. Tune on 'valid', report on 'test'.
export const SPLITS = { test: 0, valid: 1 };

// Parses interactions.jsonl text against the item ids. Returns the eligible users
// (>= minInteractions after the split's dropped interactions) in order of first
// appearance, each { user, history, target } where history/target are { item, ts, line }:
// target is the last interaction by ts (ties by file order) left after dropping
// `dropLast`, history all before it.
export function parseInteractions(text, byId, file = 'interactions.jsonl', minInteractions = 5, dropLast = 0) {
  const perUser = new Map();
  let count = 0;
  for (const rec of splitLines(text)) {
    const v = parseLine(file, rec);
    if (!isNonEmptyString(v.user)) throw new DataError(file, rec.line, '"user" must be a non-empty string');
    if (!isNonEmptyString(v.item)) throw new DataError(file, rec.line, '"item" must be a non-empty string');
    if (typeof v.ts !== 'number' || !Number.isFinite(v.ts)) {
      throw new DataError(file, rec.line, '"ts" must be a finite number');
    }
    if (!byId.has(v.item)) throw new DataError(file, rec.line, `unknown item "${v.item}" (not in items.jsonl)`);
    let list = perUser.get(v.user);
    if (!list) {
      list = [];
      perUser.set(v.user, list);
    }
    list.push({ item: v.item, ts: v.ts, line: rec.line, order: count++ });
  }
  if (count === 0) throw new DataError(file, 0, 'no interactions');
  const users = [];
  for (const [user, list] of perUser) {
    if (list.length - dropLast < minInteractions) continue;
    list.sort((a, b) => a.ts - b.ts || a.order - b.order);
    const events = list.slice(0, list.length - dropLast).map(({ item, ts, line }) => ({ item, ts, line }));
    users.push({ user, history: events.slice(0, -1), target: events[events.length - 1] });
  }
  return { users, interactions: count, allUsers: perUser.size };
}

// Loads a data folder. Throws DataError (with file:line) on the first malformed line.
export async function loadDataset(dir, { minInteractions = 5, split = 'test' } = {}) {
  if (!Object.hasOwn(SPLITS, split)) throw new Error(`unknown split "${split}" (test or valid)`);
  const itemsFile = join(dir, 'items.jsonl');
  const interFile = join(dir, 'interactions.jsonl');
  let itemsText, interText;
  try {
    itemsText = await readFile(itemsFile, 'utf8');
  } catch (e) {
    throw new DataError(itemsFile, 0, `cannot read (${e.code || e.message})`);
  }
  try {
    interText = await readFile(interFile, 'utf8');
  } catch (e) {
    throw new DataError(interFile, 0, `cannot read (${e.code || e.message})`);
  }
  const { items, byId } = parseItems(itemsText, itemsFile);
  const drop = SPLITS[split];
  const { users, interactions, allUsers } = parseInteractions(interText, byId, interFile, minInteractions, drop);
  if (users.length === 0) {
    throw new DataError(interFile, 0, `no user has >= ${minInteractions + drop} interactions`);
  }
  return {
    name: basename(dir.replace(/[\\/]+$/, '')) || dir,
    dir,
    split,
    items,
    byId,
    users,
    interactions,
    allUsers,
    fingerprint: { items: sha256(itemsText), interactions: sha256(interText) },
  };
}

function sha256(text) {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
