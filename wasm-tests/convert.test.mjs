// arag convert: Amazon reviews (2014, 2018 and 2023 files), MovieLens (100K, 1M, CSV
// releases) and a plain CSV log, from small fixtures written in those formats
// (wasm-tests/fixtures/convert/, fictional products and films), into data sets that the
// evaluation loads; errors name file and line and write nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT } from './helpers/common.mjs';
import { loadDataset } from '../web/src/eval/data.mjs';
import { parseLiteral, splitCsv, cleanText } from '../web/src/eval/convert.mjs';

const run = promisify(execFile);
const CLI = join(ROOT, 'web/bin/arag.mjs');
const FX = join(ROOT, 'wasm-tests/fixtures/convert');
const jsonl = (f) => readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

async function convert(args) {
  try {
    const r = await run(process.execPath, [CLI, 'convert', ...args]);
    return { code: 0, ...r };
  } catch (e) {
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function withTmp(fn) {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'arag-convert-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

// What the 2014 fixture says, read here without the converter: reviews, and the metadata
// of the items that have a title.
function amazonTruth() {
  const reviews = jsonl(join(FX, 'amazon-2014/reviews_Test_5.json'));
  const meta = readFileSync(join(FX, 'amazon-2014/meta_Test.json'), 'utf8').split('\n').filter(Boolean);
  const titled = new Map();
  for (const line of meta) {
    const asin = /'asin': '([^']+)'/.exec(line)[1];
    const title = /'title': '([^']+)'/.exec(line);
    if (title) titled.set(asin, title[1].replace(/&amp;/g, '&'));
  }
  const per = new Map();
  for (const r of reviews) if (titled.has(r.asin)) (per.get(r.reviewerID) || per.set(r.reviewerID, []).get(r.reviewerID)).push({ user: r.reviewerID, item: r.asin, ts: r.unixReviewTime });
  const kept = [...per.keys()].filter((u) => per.get(u).length >= 5).sort();
  const rows = kept.flatMap((u) => per.get(u).sort((a, b) => a.ts - b.ts));
  return { reviews, titled, rows, dropped: reviews.length - [...per.values()].flat().length };
}

test('amazon: the 2014 files (metadata as Python literals) to a data set the evaluation loads', withTmp(async (dir) => {
  const out = join(dir, 'beauty');
  const r = await convert(['amazon', '--reviews', join(FX, 'amazon-2014/reviews_Test_5.json'), '--meta', join(FX, 'amazon-2014/meta_Test.json'), '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const truth = amazonTruth();
  assert.deepEqual(jsonl(join(out, 'interactions.jsonl')), truth.rows, 'sorted by user then time, users under 5 left out');
  assert.match(r.stdout, new RegExp(`^arag convert amazon: ${new Set(truth.rows.map((x) => x.user)).size} users, \\d+ items, ${truth.rows.length} interactions in .*; ${truth.dropped} interactions dropped: no title for the item; 1 user dropped`));
  const items = jsonl(join(out, 'items.jsonl'));
  assert.deepEqual(items.map((it) => it.id), [...new Set(truth.rows.map((x) => x.item))].sort(), 'only items some kept interaction names, by id');
  for (const it of items) assert.equal(it.title, truth.titled.get(it.id));
  const cleanser = items.find((it) => it.id === 'T000000001');
  assert.deepEqual(cleanser, {
    id: 'T000000001', title: 'Fernbrook Gentle Foaming Cleanser', categories: ['Beauty', 'Skin Care', 'Face', 'Cleansers'],
    brand: 'Fernbrook', price: 8.99, text: 'A gentle cleanser for sensitive skin.',
  });
  assert.equal(items.find((it) => it.id === 'T000000002').text, "Rich balm; it's fragrance-free.", 'a double-quoted Python string');
  assert.equal(items.find((it) => it.id === 'T000000004').text, 'Sheer tint & SPF 50.');
  const ds = await loadDataset(out);
  assert.equal(ds.users.length, new Set(truth.rows.map((x) => x.user)).size);
}));

test('amazon: the 2018 and 2023 files and gzipped files give the same interactions', withTmp(async (dir) => {
  const truth = amazonTruth();
  const gz = join(dir, 'gz');
  mkdirSync(gz);
  for (const f of ['reviews_Test_5.json', 'meta_Test.json']) writeFileSync(join(gz, `${f}.gz`), gzipSync(readFileSync(join(FX, 'amazon-2014', f))));
  const runs = {
    2018: ['amazon-2018/Test_5.json', 'amazon-2018/meta_Test.json'],
    2023: ['amazon-2023/Test.jsonl', 'amazon-2023/meta_Test.jsonl'],
  };
  for (const [name, [rv, mt]] of Object.entries(runs)) {
    const r = await convert(['amazon', '--reviews', join(FX, rv), '--meta', join(FX, mt), '--out', join(dir, name)]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(jsonl(join(dir, name, 'interactions.jsonl')), truth.rows, name);
  }
  const i18 = jsonl(join(dir, '2018', 'items.jsonl')).find((it) => it.id === 'T000000003');
  assert.equal(i18.price, 11, 'a "$11.00" price string');
  assert.equal(i18.text, 'Mineral filters only. Made in small batches.', 'description list joined, markup dropped');
  const i23 = jsonl(join(dir, '2023', 'items.jsonl')).find((it) => it.id === 'T000000003');
  assert.equal(i23.brand, 'Otterlight', '2023: the store is the brand');
  assert.deepEqual(i23.categories, ['Skin Care', 'Sun']);
  const r = await convert(['amazon', '--reviews', join(gz, 'reviews_Test_5.json.gz'), '--meta', join(gz, 'meta_Test.json.gz'), '--out', join(dir, 'from-gz')]);
  assert.equal(r.code, 0, r.stderr);
  const plain = await convert(['amazon', '--reviews', join(FX, 'amazon-2014/reviews_Test_5.json'), '--meta', join(FX, 'amazon-2014/meta_Test.json'), '--out', join(dir, 'plain')]);
  assert.equal(plain.code, 0);
  for (const f of ['items.jsonl', 'interactions.jsonl']) assert.equal(readFileSync(join(dir, 'from-gz', f), 'utf8'), readFileSync(join(dir, 'plain', f), 'utf8'));
}));

test('movielens: 100K (Latin-1), 1M and the CSV release agree; arag eval runs on the result', withTmp(async (dir) => {
  const data = readFileSync(join(FX, 'movielens-100k/u.data'), 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t').map(Number));
  const expected = data.map(([u, m, , t]) => ({ user: String(u), item: String(m), ts: t })).sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : a.ts - b.ts));
  for (const rel of ['movielens-100k', 'movielens-1m', 'movielens-csv']) {
    const r = await convert(['movielens', '--in', join(FX, rel), '--out', join(dir, rel)]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(jsonl(join(dir, rel, 'interactions.jsonl')), expected, rel);
    const items = new Map(jsonl(join(dir, rel, 'items.jsonl')).map((it) => [it.id, it]));
    assert.equal(items.get('4').title, 'Café des Brumes (1994)', `${rel}: accents read in the file's encoding`);
    assert.deepEqual(items.get('2').categories, ['Action']);
    assert.match(items.get('2').text, /^Genres: Action, Adventure, Thriller\. Released/);
  }
  const csvTitle = jsonl(join(dir, 'movielens-csv', 'items.jsonl')).find((it) => it.id === '5').title;
  assert.equal(csvTitle, 'Mirrorwork, the "Director\'s Cut" (1995)', 'a quoted CSV field with a comma and quotes');
  // Only ratings >= 4 (the CSV release has half stars: the fixture's are x.5).
  const liked = await convert(['movielens', '--in', join(FX, 'movielens-100k'), '--min-rating', '4', '--min-interactions', '1', '--out', join(dir, 'liked')]);
  assert.equal(liked.code, 0, liked.stderr);
  assert.equal(jsonl(join(dir, 'liked', 'interactions.jsonl')).length, data.filter((x) => x[2] >= 4).length);
  const ev = await run(process.execPath, [CLI, 'eval', '--data', join(dir, 'movielens-100k'), '--methods', 'recency,rag,arag', '--resamples', '10', '--quiet', '--json', join(dir, 'eval.json')]);
  const res = JSON.parse(readFileSync(join(dir, 'eval.json'), 'utf8'));
  assert.equal(res.dataset, 'movielens-100k');
  assert.equal(res.users, new Set(expected.map((x) => x.user)).size);
  assert.match(ev.stdout, /\| arag \|/);
}));

test('csv: named columns in any order, dates, an items CSV; or bare rows with ids as titles', withTmp(async (dir) => {
  const r = await convert(['csv', '--interactions', join(FX, 'csv/orders.csv'), '--items', join(FX, 'csv/products.csv'), '--out', join(dir, 'shop')]);
  assert.equal(r.code, 0, r.stderr);
  const truth = amazonTruth();
  assert.deepEqual(jsonl(join(dir, 'shop', 'interactions.jsonl')), truth.rows.map((x) => ({ ...x, user: x.user.toLowerCase() })), 'ISO dates read as the same seconds');
  const items = jsonl(join(dir, 'shop', 'items.jsonl'));
  assert.deepEqual(items.find((it) => it.id === 'T000000004'), {
    id: 'T000000004', title: 'Otterlight Tinted Sun Fluid', categories: ['Beauty', 'Skin Care', 'Sun'], brand: 'Otterlight', price: 13.25, text: 'Sheer tint & SPF 50.',
  });
  const bare = await convert(['csv', '--interactions', join(FX, 'csv/plain.csv'), '--out', join(dir, 'bare')]);
  assert.equal(bare.code, 0, bare.stderr);
  for (const it of jsonl(join(dir, 'bare', 'items.jsonl'))) assert.equal(it.title, it.id);
  assert.equal(jsonl(join(dir, 'bare', 'interactions.jsonl')).length, truth.reviews.length, 'without items nothing is untitled');
  await loadDataset(join(dir, 'bare'));
}));

test('errors: a bad line names file and line and writes nothing; an existing data set is kept', withTmp(async (dir) => {
  const bad = join(dir, 'bad.csv');
  writeFileSync(bad, 'user,item,timestamp\nu1,i1,1\nu1,i2,yesterday-ish\n');
  let r = await convert(['csv', '--interactions', bad, '--out', join(dir, 'o1')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /bad\.csv:3: "yesterday-ish" is neither a number nor a date/);
  assert.ok(!existsSync(join(dir, 'o1')));
  writeFileSync(bad, 'u1,i1,1\nu1,"i2,2\n');
  r = await convert(['csv', '--interactions', bad, '--out', join(dir, 'o1')]);
  assert.match(r.stderr, /bad\.csv:2: a quoted field is not closed/);
  const meta = join(dir, 'meta.json');
  writeFileSync(meta, `${readFileSync(join(FX, 'amazon-2014/meta_Test.json'), 'utf8')}{'asin': 'T1', 'title': 'open\n`);
  r = await convert(['amazon', '--reviews', join(FX, 'amazon-2014/reviews_Test_5.json'), '--meta', meta, '--out', join(dir, 'o2')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /meta\.json:13: neither JSON nor a Python literal \(unterminated string/);
  assert.ok(!existsSync(join(dir, 'o2')));
  // An existing data set is not replaced without --force.
  const out = join(dir, 'keep');
  mkdirSync(out);
  writeFileSync(join(out, 'items.jsonl'), 'mine\n');
  r = await convert(['movielens', '--in', join(FX, 'movielens-1m'), '--out', out]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /already holds items\.jsonl \(pass --force to replace them\)/);
  assert.equal(readFileSync(join(out, 'items.jsonl'), 'utf8'), 'mine\n');
  r = await convert(['movielens', '--in', join(FX, 'movielens-1m'), '--out', out, '--force']);
  assert.equal(r.code, 0, r.stderr);
  // Usage errors: exit 2.
  for (const [args, msg] of [
    [['--out', out], /a format is required/],
    [['xml', '--out', out], /unknown format "xml"/],
    [['amazon', '--reviews', 'x', '--out', out], /amazon needs --reviews FILE and --meta FILE/],
    [['csv', '--in', FX, '--interactions', bad, '--out', out], /--in is an option of "arag convert movielens"/],
    [['movielens', '--in', FX, '--min-rating', 'high', '--out', out], /--min-rating: expected a number/],
    [['movielens', '--in', FX], /--out DIR is required/],
  ]) {
    r = await convert(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, msg);
  }
  r = await convert(['movielens', '--in', join(FX, 'csv'), '--out', join(dir, 'o3')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no MovieLens files here/);
  r = await convert(['csv', '--interactions', join(FX, 'csv/plain.csv'), '--min-interactions', '99', '--out', join(dir, 'o4')]);
  assert.match(r.stderr, /no user has 99 interactions/);
  assert.ok(!existsSync(join(dir, 'o4')));
}));

test('the parsers: Python literals, CSV records, markup and entities', () => {
  assert.deepEqual(parseLiteral(`{'a': [1, -2.5e3, True, False, None], "b": 'it\\'s', 'c': {'d': (1, 2)}, 'e': '\\xe9\\u00e9'}`), {
    a: [1, -2500, true, false, null], b: "it's", c: { d: [1, 2] }, e: 'éé',
  });
  assert.deepEqual(parseLiteral('{"json": [1, "x"]}'), { json: [1, 'x'] });
  for (const bad of ["{'a': 1", "{'a' 1}", "{'a': __import__('os')}", "{'a': 1} extra", `{'deep': ${'['.repeat(100)}${']'.repeat(100)}}`]) {
    assert.throws(() => parseLiteral(bad), Error, bad.slice(0, 30));
  }
  assert.deepEqual(splitCsv('a, b ,"c,d","e""f",'), ['a', 'b', 'c,d', 'e"f', '']);
  assert.equal(splitCsv('"open'), null);
  assert.throws(() => splitCsv('"a"b,c'), /text after a quoted field/);
  assert.equal(cleanText('<p>Tom &amp; Jerry&#39;s &#x263A; <br/>mug</p>'), "Tom & Jerry's \u263a mug");
});
