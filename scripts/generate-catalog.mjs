// A large fictional catalog in the common format (items.jsonl), for measuring what a
// catalog of a given size costs: building it, restoring its snapshot, holding it. Every
// brand, product and word is invented (pseudo-words from syllables). Deterministic: the
// same bytes for the same size and seed.
//
// The items look like a department store's: a brand and a product line in the title, a
// three-level category path, a size or pack count, a description on three items in five
// (words drawn from a vocabulary of a few thousand, common ones more often, as in real
// text), a price and a popularity, and "bought together" partners on one in four.
//
//   node scripts/generate-catalog.mjs --items N [--seed S] [--out FILE]
//   (default: 100000 items into build/data/generated-<N>/items.jsonl)
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { rng } from '../web/demo/make-catalog.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const SYL = ['ba', 'co', 'di', 'fe', 'ga', 'hu', 'ki', 'lo', 'ma', 'ne', 'pi', 'ro', 'sa', 'tu', 've', 'wi', 'zo', 'bri', 'cla', 'dro', 'fli', 'gra', 'plo', 'stu', 'tra', 'ven', 'mor', 'lin', 'kas', 'dur'];
const NOUNS = ['Cream', 'Serum', 'Shampoo', 'Lamp', 'Kettle', 'Notebook', 'Pen Set', 'Backpack', 'Blender', 'Towel', 'Mug', 'Chair', 'Desk Organizer', 'Headphones', 'Charger', 'Cable', 'Jacket', 'Sneakers', 'Candle', 'Pillow', 'Frying Pan', 'Knife Set', 'Water Bottle', 'Yoga Mat', 'Toy Car', 'Puzzle', 'Stapler', 'Printer Paper', 'Ink Cartridge', 'Face Mask'];
const ADJ = ['Classic', 'Compact', 'Deluxe', 'Eco', 'Gentle', 'Heavy-Duty', 'Lightweight', 'Matte', 'Organic', 'Portable', 'Premium', 'Quick-Dry', 'Soft', 'Travel', 'Ultra', 'Vintage', 'Waterproof', 'Wireless'];
const COLORS = ['Black', 'White', 'Navy', 'Sage', 'Coral', 'Slate', 'Ivory', 'Amber', 'Teal', 'Plum'];
const SIZES = ['8 oz', '12 oz', '250 ml', '500 ml', '1 L', 'Pack of 2', 'Pack of 6', 'Pack of 12', 'Small', 'Medium', 'Large', 'XL', '10 in', '14 in'];

function word(r, min = 2, max = 3) {
  let w = '';
  const n = min + Math.floor(r() * (max - min + 1));
  for (let i = 0; i < n; i++) w += SYL[Math.floor(r() * SYL.length)];
  return w;
}
const cap = (w) => w[0].toUpperCase() + w.slice(1);
const pick = (r, xs) => xs[Math.floor(r() * xs.length)];
// Zipf-like: index i drawn with weight about 1 / (i + 1).
const zipf = (r, n) => Math.min(n - 1, Math.floor(Math.exp(r() * Math.log(n + 1)) - 1));

/** Generates n items. @returns {object[]} */
export function generateItems(n, seed = 7) {
  const r = rng(seed);
  const vocab = Array.from({ length: 4000 }, () => word(r, 1, 3));
  const brands = Array.from({ length: Math.max(20, Math.round(n / 400)) }, () => cap(word(r, 2, 3)));
  const lines = Array.from({ length: Math.max(50, Math.round(n / 40)) }, () => cap(word(r, 2, 3)));
  const top = Array.from({ length: 12 }, () => cap(word(r, 2, 3)));
  const mid = Array.from({ length: 80 }, () => cap(word(r, 2, 3)));
  const leaf = Array.from({ length: 400 }, () => `${cap(word(r, 2, 2))} ${pick(r, NOUNS)}`);
  const items = [];
  for (let i = 0; i < n; i++) {
    const brand = brands[zipf(r, brands.length)];
    const noun = pick(r, NOUNS);
    const title = `${brand} ${pick(r, lines)} ${pick(r, ADJ)} ${noun}, ${pick(r, COLORS)}, ${pick(r, SIZES)}`;
    const l = Math.floor(r() * leaf.length);
    const it = { id: `g${String(i).padStart(7, '0')}`, title, brand, categories: [top[l % top.length], mid[l % mid.length], leaf[l]] };
    if (r() < 0.6) {
      const words = [];
      const len = 15 + Math.floor(r() * 40);
      for (let k = 0; k < len; k++) words.push(vocab[zipf(r, vocab.length)]);
      it.text = `${cap(words.join(' '))}. A ${noun.toLowerCase()} by ${brand}.`;
    }
    it.price = Math.round((2 + r() * 200) * 100) / 100;
    it.popularity = zipf(r, 5000);
    if (i > 10 && r() < 0.25) {
      it.related = {};
      for (let k = 0; k < 3; k++) it.related[`g${String(Math.floor(r() * i)).padStart(7, '0')}`] = 1 + Math.floor(r() * 9);
    }
    items.push(it);
  }
  return items;
}

/** Writes the items as JSON lines (once per size and seed) and returns the file. */
export function writeGeneratedCatalog({ items = 100000, seed = 7, out } = {}) {
  const file = out || join(ROOT, 'build', 'data', `generated-${items}`, 'items.jsonl');
  if (!out && existsSync(file)) return file;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, generateItems(items, seed).map((it) => JSON.stringify(it)).join('\n') + '\n');
  return file;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { items: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' } } });
  const file = writeGeneratedCatalog({ items: Number(values.items ?? 100000), seed: Number(values.seed ?? 7), out: values.out });
  console.log(file);
}
