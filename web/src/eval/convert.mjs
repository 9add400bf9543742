// Converters from public data set formats to the common format of the evaluation (a
// folder with items.jsonl and interactions.jsonl): Amazon reviews (the 2014, 2018 and
// 2023 releases: review files and metadata files, plain or gzipped), MovieLens (100K's
// u.data/u.item, 1M's ratings.dat/movies.dat, the CSV releases' ratings.csv/movies.csv) and
// a plain CSV of user,item,timestamp with an optional items file.
//
// Every converter reads its input line by line, reports a bad line with file and line
// number, and writes nothing until the whole input has been read: the output folder is
// written to a temporary folder and renamed into place. Interactions are written sorted
// by user, then time, then input order; items by id; only items some kept interaction
// names. Users with fewer than minInteractions interactions (default 5, what the
// evaluation needs) are left out, and so are interactions of items without a title.
import { createReadStream, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';

export class ConvertError extends Error {
  constructor(file, line, message) {
    super(line ? `${file}:${line}: ${message}` : `${file}: ${message}`);
    this.name = 'ConvertError';
  }
}

const MAX_TEXT = 4000; // characters of description kept per item (the embedder reads 1,000 bytes)

/** Calls fn(text, lineNumber) for every non-blank line of a file (.gz read through gunzip). */
export async function eachLine(file, fn, { encoding = 'utf8' } = {}) {
  if (!existsSync(file)) throw new ConvertError(file, 0, 'no such file');
  let stream = createReadStream(file);
  if (file.endsWith('.gz')) stream = stream.pipe(createGunzip());
  stream.setEncoding(encoding);
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const line of rl) {
      n++;
      const text = n === 1 && line.charCodeAt(0) === 0xfeff ? line.slice(1) : line;
      if (text.trim()) await fn(text, n);
    }
  } catch (e) {
    if (e instanceof ConvertError) throw e;
    throw new ConvertError(file, n, `cannot read (${e.code || e.message})`);
  }
  return n;
}

// ---------------------------------------------------------------- loose JSON
// The 2014 Amazon metadata files hold one Python literal a line ({'asin': '...', ...},
// True/False/None, single-quoted strings): JSON first, then this small parser of that
// subset. Nothing is evaluated.
export function parseLiteral(text) {
  try {
    return JSON.parse(text);
  } catch {
    /* a Python literal, below */
  }
  let i = 0;
  const fail = (what) => {
    throw new Error(`${what} at character ${i + 1}`);
  };
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const value = (depth) => {
    if (depth > 64) fail('nested too deeply');
    ws();
    const c = text[i];
    if (c === '{' || c === '[' || c === '(') {
      const close = c === '{' ? '}' : c === '[' ? ']' : ')';
      i++;
      const out = c === '{' ? {} : [];
      ws();
      while (text[i] !== close) {
        if (i >= text.length) fail(`missing "${close}"`);
        if (c === '{') {
          const k = value(depth + 1);
          ws();
          if (text[i] !== ':') fail('expected ":"');
          i++;
          out[String(k)] = value(depth + 1);
        } else out.push(value(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          ws();
        } else if (text[i] !== close) fail(`expected "," or "${close}"`);
      }
      i++;
      return out;
    }
    if (c === "'" || c === '"') return str(c);
    const m = /^(?:-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|True|False|None|-?inf|nan)/.exec(text.slice(i, i + 40));
    if (!m) fail('unexpected text');
    i += m[0].length;
    if (m[0] === 'True') return true;
    if (m[0] === 'False') return false;
    if (m[0] === 'None' || /inf|nan/.test(m[0])) return null;
    return Number(m[0]);
  };
  const str = (q) => {
    i++;
    let s = '';
    while (i < text.length && text[i] !== q) {
      if (text[i] === '\\') {
        const e = text[i + 1];
        const simple = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '\\': '\\', "'": "'", '"': '"', '/': '/' };
        if (e in simple) {
          s += simple[e];
          i += 2;
        } else if (e === 'x' || e === 'u') {
          const len = e === 'x' ? 2 : 4;
          const hex = text.slice(i + 2, i + 2 + len);
          if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) fail('bad escape');
          s += String.fromCharCode(parseInt(hex, 16));
          i += 2 + len;
        } else {
          s += e === undefined ? '' : `\\${e}`;
          i += 2;
        }
      } else s += text[i++];
    }
    if (text[i] !== q) fail('unterminated string');
    i++;
    return s;
  };
  const v = value(0);
  ws();
  if (i !== text.length) fail('text after the value');
  return v;
}

// ---------------------------------------------------------------- text cleanup
const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };
export function cleanText(s) {
  if (typeof s !== 'string') return '';
  return s
    .replace(/<[^>]{0,200}>/g, ' ')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e) => {
      if (e[0] === '#') {
        const n = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return n > 0 && n < 0x110000 && !(n >= 0xd800 && n < 0xe000) ? String.fromCodePoint(n) : ' ';
      }
      return ENTITIES[e.toLowerCase()] ?? m;
    })
    .replace(/\s+/g, ' ')
    .trim();
}

function priceOf(v) {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  if (typeof v === 'string') {
    const m = /^\s*\$?\s*(\d+(?:,\d{3})*(?:\.\d+)?)\s*$/.exec(v);
    if (m) return Number(m[1].replace(/,/g, ''));
  }
  return undefined;
}

// ---------------------------------------------------------------- output
/**
 * Writes a data set. items: Map id -> item object (id, title, ...); rows: [{user, item,
 * ts, order}]. Returns counts. Nothing is written before everything is known.
 */
export function writeDataset(out, items, rows, { minInteractions = 5, force = false } = {}) {
  const dir = resolve(out);
  if (existsSync(dir) && !force) {
    const clash = ['items.jsonl', 'interactions.jsonl'].filter((f) => existsSync(join(dir, f)));
    if (clash.length) throw new ConvertError(dir, 0, `already holds ${clash.join(' and ')} (pass --force to replace them)`);
  }
  const titled = rows.filter((r) => items.has(r.item));
  const perUser = new Map();
  for (const r of titled) (perUser.get(r.user) || perUser.set(r.user, []).get(r.user)).push(r);
  const keptUsers = [...perUser.keys()].filter((u) => perUser.get(u).length >= minInteractions).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const lines = [];
  const used = new Set();
  for (const u of keptUsers) {
    const list = perUser.get(u).sort((a, b) => a.ts - b.ts || a.order - b.order);
    for (const r of list) {
      used.add(r.item);
      lines.push(JSON.stringify({ user: r.user, item: r.item, ts: r.ts }));
    }
  }
  if (!lines.length) {
    throw new ConvertError(dir, 0, `no user has ${minInteractions} interactions with titled items (of ${rows.length} read): nothing written`);
  }
  const ids = [...used].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const itemLines = ids.map((id) => JSON.stringify(items.get(id)));
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  writeFileSync(join(tmp, 'items.jsonl'), `${itemLines.join('\n')}\n`);
  writeFileSync(join(tmp, 'interactions.jsonl'), `${lines.join('\n')}\n`);
  mkdirSync(dirname(dir), { recursive: true });
  if (existsSync(dir)) {
    for (const f of ['items.jsonl', 'interactions.jsonl']) renameSync(join(tmp, f), join(dir, f));
    rmSync(tmp, { recursive: true, force: true });
  } else renameSync(tmp, dir);
  return {
    out: dir,
    users: keptUsers.length,
    items: ids.length,
    interactions: lines.length,
    read: rows.length,
    dropped_untitled: rows.length - titled.length,
    dropped_users: perUser.size - keptUsers.length,
  };
}

function item(id, { title, categories, brand, price, text }) {
  const it = { id, title };
  if (categories && categories.length) it.categories = categories.slice(0, 16);
  if (brand) it.brand = brand;
  if (price !== undefined) it.price = price;
  if (text) it.text = text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
  return it;
}

// ---------------------------------------------------------------- Amazon
/** The fields of one Amazon review line, any release; null for a line that is not a review. */
export function amazonReview(o) {
  const user = o.reviewerID ?? o.user_id;
  const id = o.parent_asin ?? o.asin;
  let ts = o.unixReviewTime;
  if (ts === undefined && Number.isFinite(o.timestamp)) ts = Math.floor(o.timestamp / 1000); // 2023: ms
  if (typeof user !== 'string' || !user || typeof id !== 'string' || !id || !Number.isFinite(ts)) return null;
  return { user, item: id, ts };
}

/** An item of the common format from one Amazon metadata line, any release; null without a title. */
export function amazonItem(o) {
  const id = o.parent_asin ?? o.asin;
  const title = cleanText(o.title);
  if (typeof id !== 'string' || !id || !title) return null;
  let categories = [];
  if (Array.isArray(o.categories) && Array.isArray(o.categories[0])) categories = o.categories[0]; // 2014: paths
  else if (Array.isArray(o.category)) categories = o.category; // 2018
  else if (Array.isArray(o.categories)) categories = o.categories; // 2023
  if (!categories.length && typeof o.main_category === 'string') categories = [o.main_category];
  categories = categories.map(cleanText).filter(Boolean);
  const desc = [o.description, o.features].flat().filter((s) => typeof s === 'string');
  const brand = cleanText(o.brand ?? o.store ?? (o.details && o.details.Brand));
  return item(id, { title, categories, brand, price: priceOf(o.price), text: cleanText(desc.join(' ')) });
}

export async function convertAmazon({ reviews, meta, out, minInteractions = 5, force = false }) {
  if (!reviews || !meta) throw new ConvertError('amazon', 0, 'needs a reviews file and a metadata file');
  const rows = [];
  const wanted = new Set();
  let skipped = 0;
  await eachLine(reviews, (text, line) => {
    let o;
    try {
      o = JSON.parse(text);
    } catch (e) {
      throw new ConvertError(reviews, line, `malformed JSON (${e.message})`);
    }
    const r = o && typeof o === 'object' ? amazonReview(o) : null;
    if (!r) throw new ConvertError(reviews, line, 'not a review (needs reviewerID or user_id, asin or parent_asin, unixReviewTime or timestamp)');
    rows.push({ ...r, order: rows.length });
    wanted.add(r.item);
  });
  const items = new Map();
  await eachLine(meta, (text, line) => {
    let o;
    try {
      o = parseLiteral(text);
    } catch (e) {
      throw new ConvertError(meta, line, `neither JSON nor a Python literal (${e.message})`);
    }
    if (!o || typeof o !== 'object' || Array.isArray(o)) throw new ConvertError(meta, line, 'expected an object');
    const id = o.parent_asin ?? o.asin;
    if (!wanted.has(id) || items.has(id)) return;
    const it = amazonItem(o);
    if (it) items.set(id, it);
    else skipped++;
  });
  return { ...writeDataset(out, items, rows, { minInteractions, force }), metadata_without_title: skipped };
}

// ---------------------------------------------------------------- MovieLens
// The 19 genres of MovieLens 100K's u.item, in column order (its u.genre file).
const ML100K_GENRES = ['unknown', 'Action', 'Adventure', 'Animation', "Children's", 'Comedy', 'Crime', 'Documentary', 'Drama', 'Fantasy', 'Film-Noir', 'Horror', 'Musical', 'Mystery', 'Romance', 'Sci-Fi', 'Thriller', 'War', 'Western'];

function movie(id, title, genres, released) {
  const g = genres.filter((x) => x && x !== 'unknown' && x !== '(no genres listed)');
  const year = /\((\d{4})\)\s*$/.exec(title);
  const text = [g.length ? `Genres: ${g.join(', ')}.` : '', released ? `Released ${released}.` : year ? `Released ${year[1]}.` : ''].filter(Boolean).join(' ');
  // categories is a path from general to specific; genres are not one, so the first
  // genre stands as the category and all of them are in the text.
  return item(id, { title: title.trim(), categories: g.length ? [g[0]] : [], text });
}

function ratingRow(file, line, user, id, rating, ts, minRating, rows) {
  const r = Number(rating);
  const t = Number(ts);
  if (!user || !id || !Number.isFinite(r) || !Number.isFinite(t)) throw new ConvertError(file, line, 'expected user, movie, rating and timestamp');
  if (r >= minRating) rows.push({ user, item: id, ts: t, order: rows.length });
}

/** dir: an unpacked MovieLens release (100K, 1M, or one of the CSV releases). */
export async function convertMovieLens({ dir, out, minRating = 0, minInteractions = 5, force = false }) {
  const has = (f) => existsSync(join(dir, f));
  const rows = [];
  const items = new Map();
  if (has('u.data') && has('u.item')) {
    const data = join(dir, 'u.data');
    await eachLine(data, (text, line) => {
      const [u, m, r, t] = text.split('\t');
      ratingRow(data, line, u, m, r, t, minRating, rows);
    });
    const file = join(dir, 'u.item');
    await eachLine(file, (text, line) => {
      const f = text.split('|');
      if (f.length < 5 + ML100K_GENRES.length) throw new ConvertError(file, line, `expected ${5 + ML100K_GENRES.length} fields separated by |`);
      const genres = ML100K_GENRES.filter((_, k) => f[5 + k] === '1');
      items.set(f[0], movie(f[0], f[1], genres, f[2]));
    }, { encoding: 'latin1' });
  } else if (has('ratings.dat') && has('movies.dat')) {
    const data = join(dir, 'ratings.dat');
    await eachLine(data, (text, line) => {
      const [u, m, r, t] = text.split('::');
      ratingRow(data, line, u, m, r, t, minRating, rows);
    });
    const file = join(dir, 'movies.dat');
    await eachLine(file, (text, line) => {
      const f = text.split('::');
      if (f.length !== 3) throw new ConvertError(file, line, 'expected MovieID::Title::Genres');
      items.set(f[0], movie(f[0], f[1], f[2].split('|')));
    }, { encoding: 'latin1' });
  } else if (has('ratings.csv') && has('movies.csv')) {
    const data = join(dir, 'ratings.csv');
    await eachCsvRecord(data, (f, line, n) => {
      if (n === 0 && f[0] === 'userId') return;
      ratingRow(data, line, f[0], f[1], f[2], f[3], minRating, rows);
    });
    const file = join(dir, 'movies.csv');
    await eachCsvRecord(file, (f, line, n) => {
      if (n === 0 && f[0] === 'movieId') return;
      if (f.length !== 3) throw new ConvertError(file, line, 'expected movieId,title,genres');
      items.set(f[0], movie(f[0], f[1], f[2].split('|')));
    });
  } else {
    throw new ConvertError(dir, 0, 'no MovieLens files here (u.data and u.item, ratings.dat and movies.dat, or ratings.csv and movies.csv)');
  }
  return writeDataset(out, items, rows, { minInteractions, force });
}

// ---------------------------------------------------------------- CSV
/** Splits one CSV record (RFC 4180: quoted fields, "" for a quote). Returns null when a
 * quoted field runs past the end of the line (the caller joins the next line). */
export function splitCsv(text) {
  const out = [];
  let i = 0;
  for (;;) {
    if (text[i] === '"') {
      let s = '';
      i++;
      for (;;) {
        if (i >= text.length) return null;
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            s += '"';
            i += 2;
          } else {
            i++;
            break;
          }
        } else s += text[i++];
      }
      out.push(s);
      if (i < text.length && text[i] !== ',') throw new Error('text after a quoted field');
    } else {
      const j = text.indexOf(',', i);
      out.push((j < 0 ? text.slice(i) : text.slice(i, j)).trim());
      i = j < 0 ? text.length : j;
    }
    if (i >= text.length) return out;
    i++; // the comma
    if (i === text.length) {
      out.push('');
      return out;
    }
  }
}

/** Calls fn(fields, line, recordIndex) for every CSV record of a file. */
export async function eachCsvRecord(file, fn) {
  let pending = null;
  let start = 0;
  let n = 0;
  await eachLine(file, (text, line) => {
    const whole = pending === null ? text : `${pending}\n${text}`;
    if (pending === null) start = line;
    let f;
    try {
      f = splitCsv(whole);
    } catch (e) {
      throw new ConvertError(file, start, e.message);
    }
    if (f === null) {
      pending = whole;
      return;
    }
    pending = null;
    fn(f, start, n++);
  });
  if (pending !== null) throw new ConvertError(file, start, 'a quoted field is not closed');
}

function timeOf(v) {
  if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  const t = Date.parse(v);
  return Number.isFinite(t) ? Math.floor(t / 1000) : NaN;
}

const USER_COLS = ['user', 'user_id', 'userid', 'customer', 'customer_id', 'reviewerid'];
const ITEM_COLS = ['item', 'item_id', 'itemid', 'product', 'product_id', 'sku', 'asin', 'movieid'];
const TIME_COLS = ['timestamp', 'ts', 'time', 'date', 'datetime', 'created_at'];

/**
 * interactions: a CSV of user,item,timestamp (a header row naming the columns is optional;
 * without one the first three columns are taken in that order); timestamps are numbers or
 * dates. items (optional): items.jsonl, or a CSV with a header naming id and title and
 * optionally brand, categories (a path separated by ">" or "|"), price, text. Without
 * items every item's title is its id.
 */
export async function convertCsv({ interactions, items: itemsFile, out, minInteractions = 5, force = false }) {
  if (!interactions) throw new ConvertError('csv', 0, 'needs an interactions file');
  const rows = [];
  let cols = [0, 1, 2];
  await eachCsvRecord(interactions, (f, line, n) => {
    if (n === 0) {
      const lower = f.map((x) => x.toLowerCase());
      const find = (names) => lower.findIndex((x) => names.includes(x));
      const named = [find(USER_COLS), find(ITEM_COLS), find(TIME_COLS)];
      if (named.every((k) => k >= 0)) {
        cols = named;
        return;
      }
      if (f.length >= 3 && !Number.isFinite(timeOf(f[2]))) {
        throw new ConvertError(interactions, line, `a header row must name a user, an item and a time column (got ${f.join(', ')})`);
      }
    }
    const [u, it, t] = cols.map((k) => f[k]);
    if (!u || !it || t === undefined) throw new ConvertError(interactions, line, 'expected user,item,timestamp');
    const ts = timeOf(t);
    if (!Number.isFinite(ts)) throw new ConvertError(interactions, line, `"${t}" is neither a number nor a date`);
    rows.push({ user: u, item: it, ts, order: rows.length });
  });
  const items = new Map();
  if (!itemsFile) {
    for (const r of rows) if (!items.has(r.item)) items.set(r.item, { id: r.item, title: r.item });
  } else if (itemsFile.endsWith('.jsonl') || itemsFile.endsWith('.jsonl.gz')) {
    await eachLine(itemsFile, (text, line) => {
      let o;
      try {
        o = JSON.parse(text);
      } catch (e) {
        throw new ConvertError(itemsFile, line, `malformed JSON (${e.message})`);
      }
      if (!o || typeof o.id !== 'string' || typeof o.title !== 'string') throw new ConvertError(itemsFile, line, 'an item needs string "id" and "title"');
      items.set(o.id, o);
    });
  } else {
    let head = null;
    await eachCsvRecord(itemsFile, (f, line, n) => {
      if (n === 0) {
        head = f.map((x) => x.toLowerCase());
        if (!head.includes('id') || !head.includes('title')) throw new ConvertError(itemsFile, line, 'the header must name an id and a title column');
        return;
      }
      const get = (name) => {
        const k = head.indexOf(name);
        return k >= 0 ? f[k] : undefined;
      };
      const id = get('id');
      const title = cleanText(get('title'));
      if (!id || !title) throw new ConvertError(itemsFile, line, 'an item needs an id and a title');
      const cats = get('categories') || get('category');
      items.set(id, item(id, {
        title,
        categories: cats ? cats.split(/\s*[>|]\s*/).map(cleanText).filter(Boolean) : [],
        brand: cleanText(get('brand')),
        price: priceOf(get('price')),
        text: cleanText(get('text') || get('description')),
      }));
    });
  }
  return writeDataset(out, items, rows, { minInteractions, force });
}

export function describe(r) {
  const parts = [`${r.users} users, ${r.items} items, ${r.interactions} interactions in ${r.out}`];
  const n = (k, one, many) => `${k} ${k === 1 ? one : many}`;
  if (r.dropped_untitled) parts.push(`${n(r.dropped_untitled, 'interaction', 'interactions')} dropped: no title for the item`);
  if (r.dropped_users) parts.push(`${n(r.dropped_users, 'user', 'users')} dropped: fewer interactions than the minimum`);
  return parts.join('; ');
}

