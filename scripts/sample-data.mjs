// The sample data set: the demo's fictional catalog (web/demo/make-catalog.mjs) and a
// generated log of simulated shoppers, in the common format (items.jsonl,
// interactions.jsonl). Deterministic: the same bytes on every run. It exists so that the
// evaluation, the examples and the tests run on a clone with no public data set.
//
// The shoppers' sequences have structure a recommender can learn, none of it random noise
// alone: each shopper keeps to one or two categories and mostly to one brand in each;
// popular items are bought more often; and an item is often followed by its
// "bought-together" partner (the same brand's product in the category's next line: a
// shampoo by its conditioner, a skillet by a spatula). One purchase in ten is anywhere in
// the shop. The last 24 products are new arrivals: only a shopper's latest purchase can
// be one (one in five is), so some held-out targets are in nobody's history.
//
//   node scripts/sample-data.mjs [--out DIR] [--users N] [--seed S]
//   (default: build/data/sample-shop, 600 shoppers)
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { makeCatalog, rng } from '../web/demo/make-catalog.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SAMPLE_DIR = join(ROOT, 'build', 'data', 'sample-shop');

// Weighted pick: weight popularity + 25, so every item can be chosen.
function pickWeighted(r, pool) {
  let total = 0;
  for (const it of pool) total += it.popularity + 25;
  let x = r() * total;
  for (const it of pool) {
    x -= it.popularity + 25;
    if (x < 0) return it;
  }
  return pool[pool.length - 1];
}

const pick = (r, xs) => xs[Math.floor(r() * xs.length)];

/** @returns {{items: object[], interactions: {user: string, item: string, ts: number}[]}} */
export function makeSampleData({ users = 600, seed = 20250701 } = {}) {
  const { items: all } = makeCatalog();
  const fresh = all.slice(-24);
  const items = all.slice(0, -24);
  const r = rng(seed);
  const byCat = new Map();
  for (const it of items) {
    const [cat] = it.categories;
    if (!byCat.has(cat)) byCat.set(cat, []);
    byCat.get(cat).push(it);
  }
  const cats = [...byCat.keys()];
  const subsOf = new Map(cats.map((c) => [c, [...new Set(byCat.get(c).map((it) => it.categories[1]))].sort()]));
  const brandsOf = new Map(cats.map((c) => [c, [...new Set(byCat.get(c).map((it) => it.brand))].sort()]));
  // An item's partners: the same brand's products in the category's next line (cyclic),
  // or in any other line of the category when the brand has none there.
  const partners = new Map();
  for (const it of items) {
    const [cat, sub] = it.categories;
    const subs = subsOf.get(cat);
    const next = subs[(subs.indexOf(sub) + 1) % subs.length];
    const same = byCat.get(cat).filter((o) => o.brand === it.brand && o.id !== it.id);
    const inNext = same.filter((o) => o.categories[1] === next);
    partners.set(it.id, inNext.length ? inNext : same.filter((o) => o.categories[1] !== sub));
  }

  const interactions = [];
  for (let u = 1; u <= users; u++) {
    const user = `shopper-${String(u).padStart(4, '0')}`;
    const main = pick(r, cats);
    const second = r() < 0.5 ? main : pick(r, cats);
    const brand = new Map([main, second].map((c) => [c, pick(r, brandsOf.get(c))]));
    const length = Math.min(30, 5 + Math.floor(-Math.log(1 - r()) * 6));
    let ts = 1714000000 + Math.floor(r() * 86400 * 60);
    const seen = new Set();
    let prev = null;
    for (let guard = 0; seen.size < length && guard < 400; guard++) {
      const roll = r();
      let pool;
      if (seen.size === length - 1 && r() < 0.2) {
        pool = fresh.filter((it) => it.categories[0] === main);
        if (!pool.length) pool = fresh;
      } else if (prev && roll < 0.35) pool = partners.get(prev.id);
      else if (roll < 0.45) pool = items;
      else {
        const c = r() < 0.7 ? main : second;
        pool = byCat.get(c);
        if (r() < 0.65) pool = pool.filter((it) => it.brand === brand.get(c));
      }
      pool = pool.filter((it) => !seen.has(it.id));
      if (!pool.length) continue;
      const it = pickWeighted(r, pool);
      seen.add(it.id);
      interactions.push({ user, item: it.id, ts });
      ts += 3600 + Math.floor(r() * 86400 * 5);
      prev = it;
    }
  }
  return { items: all, interactions };
}

function jsonl(rows) {
  return rows.map((x) => JSON.stringify(x)).join('\n') + '\n';
}

/**
 * Writes the sample data set into dir unless it already holds the same bytes; returns
 * dir. Written to a temporary folder first and renamed, so a reader never sees half.
 */
export function writeSampleData(dir = SAMPLE_DIR, opts = {}) {
  const { items, interactions } = makeSampleData(opts);
  const files = { 'items.jsonl': jsonl(items), 'interactions.jsonl': jsonl(interactions) };
  const same = Object.entries(files).every(([f, text]) => {
    try {
      return readFileSync(join(dir, f), 'utf8') === text;
    } catch {
      return false;
    }
  });
  if (same) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  for (const [f, text] of Object.entries(files)) writeFileSync(join(tmp, f), text);
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  mkdirSync(dirname(dir), { recursive: true });
  renameSync(tmp, dir);
  return dir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string' }, users: { type: 'string' }, seed: { type: 'string' } } });
  const opts = {};
  if (values.users !== undefined) opts.users = Number(values.users);
  if (values.seed !== undefined) opts.seed = Number(values.seed);
  for (const [k, v] of Object.entries(opts)) {
    if (!Number.isInteger(v) || v < 1) {
      console.error(`sample-data: --${k} must be a positive integer`);
      process.exit(2);
    }
  }
  const dir = writeSampleData(values.out ? resolve(values.out) : SAMPLE_DIR, opts);
  const n = readFileSync(join(dir, 'interactions.jsonl'), 'utf8').split('\n').filter(Boolean).length;
  console.log(`sample data set in ${dir}: ${makeCatalog().items.length} items, ${n} interactions`);
}
